"""``compare``: two runs on shared axes, the largest differences first."""

from __future__ import annotations

import copy
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.report.conftest import FIXTURE_RUN
from tokencensus.cli import app
from tokencensus.report.compare import compare_html, compare_runs, differences


@pytest.fixture(scope="module")
def shifted(fixture_run):
    """The fixture run with 20 pp of closed share moved to RoW OSS and prompts 3x longer."""
    other = copy.deepcopy(fixture_run)
    f1 = other.results["F1"].data
    f1["share"] = f1["share"].astype(float)
    f1.loc[f1["source_type"] == "Closed", "share"] -= 0.2
    f1.loc[f1["source_type"] == "RoW OSS", "share"] += 0.2
    other.results["F14"].data["mean_prompt_tokens"] *= 3
    return other


def test_largest_differences_come_first(fixture_run, shifted):
    diffs = differences(fixture_run, shifted)
    top = diffs.head(3)
    assert list(zip(top["artifact"], top["series"], strict=True))[:2] in (
        [("F1", "Closed"), ("F1", "RoW OSS")],
        [("F1", "RoW OSS"), ("F1", "Closed")],
    )
    assert top.iloc[0]["gap"] == pytest.approx(0.2, abs=1e-9) or top.iloc[0][
        "gap"
    ] == pytest.approx(-0.2, abs=1e-9)
    f14 = diffs[diffs["artifact"] == "F14"].iloc[0]
    assert f14["gap"] == pytest.approx(3.0) and f14["magnitude"] == pytest.approx(1.585, abs=1e-3)
    assert top.iloc[2]["artifact"] == "F14"
    assert diffs["magnitude"].is_monotonic_decreasing
    same = differences(fixture_run, fixture_run)
    assert (same["magnitude"] == 0).all() and len(same) > 100


def test_charts_share_axes_side_by_side(fixture_run, shifted):
    html, _ = compare_html(fixture_run, shifted, labels=("mine", "demo"), bundle="")
    specs = json.loads(
        re.search(r'id="tc-specs">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</")
    )
    assert specs["F1"]["facet"]["field"] == "run" and specs["F1"]["facet"]["sort"] == [
        "mine",
        "demo",
    ]
    assert specs["F1"]["resolve"]["scale"]["x"] == "shared"  # y is shared by default in facets
    assert specs["F22"]["facet"]["sort"][:2] == ["Anthropic · mine", "Anthropic · demo"]
    assert "T3" not in specs and 'id="T3"' in html
    assert html.index("The differences that matter") < html.index('id="section-open_closed"')


def test_compare_command(tmp_path):
    result = CliRunner().invoke(
        app,
        ["compare", str(FIXTURE_RUN), str(FIXTURE_RUN), "--out", str(tmp_path), "--label-a", "mine", "--label-b", "demo"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Compared 31 artifacts" in result.output or "Compared 32 artifacts" in result.output
    diffs = pd.read_csv(tmp_path / "differences.csv")
    assert {"mine", "demo", "gap", "magnitude"} <= set(diffs.columns)
    assert (tmp_path / "index.html").stat().st_size > 500_000  # the chart library is inline


def test_compare_rejects_a_folder_without_a_run(tmp_path):
    result = CliRunner().invoke(
        app, ["compare", str(tmp_path), str(FIXTURE_RUN), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "is not a study output folder: it has no manifest.json" in " ".join(
        result.output.split()
    )


def test_compare_runs_accepts_results(fixture_run, shifted, tmp_path):
    diffs = compare_runs(fixture_run, shifted, tmp_path, labels=("a", "b"))
    assert (tmp_path / "index.html").exists() and len(diffs) > 100
