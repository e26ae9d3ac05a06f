"""The CLI end to end: exit codes, messages, and the files a study writes."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES, make_events, repeat
from tokencensus.analyses import ARTIFACTS
from tokencensus.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory):
    rows = repeat(
        30, model="deepseek/deepseek-chat", week="2025-02-03", prompt=100, completion=10, prefix="a"
    )
    rows += repeat(
        20,
        model="anthropic/claude-sonnet-4",
        week="2025-02-10",
        prompt=100,
        completion=10,
        prefix="b",
    )
    rows += repeat(
        3, model="someone/unknown-model", week="2025-02-10", prompt=10, completion=0, prefix="c"
    )
    df = make_events(rows).to_pandas()
    path = tmp_path_factory.mktemp("in") / "events.csv"
    df[
        ["id", "created_at", "user_id", "model", "prompt_tokens", "completion_tokens", "cost_usd"]
    ].to_csv(path, index=False)
    with path.open("a") as fh:
        fh.write("bad1,2025-02-11,u1,m,12.5,1,0\n")
    return path


@pytest.fixture(scope="module")
def study_run(events_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(
        app,
        ["study", str(events_csv), str(events_csv), "--out", str(out), "--quiet",
         "--catalog", str(FIXTURES / "catalog_small.csv"), "--no-figures"],
    )  # fmt: skip
    return result, out


def test_study_writes_every_artifact(study_run):
    result, out = study_run
    assert result.exit_code == 0, result.output
    for aid in ARTIFACTS:
        assert (out / "data" / f"{aid}.csv").exists()
        assert (out / "data" / f"{aid}.parquet").exists()
        assert (out / "sql" / f"{aid}.sql").read_text().strip().startswith(("SELECT", "WITH"))
    f1 = pd.read_csv(out / "data" / "F1.csv")
    assert list(f1.columns)[:4] == ["week", "source_type", "tokens", "share"]
    assert set(f1["week"]) == {"2025-02-03", "2025-02-10"}
    # launch markers of F1's models released inside the weeks shown: none in Feb 3-16, 2025
    markers = pd.read_csv(out / "data" / "F1_markers.csv")
    assert list(markers.columns) == ["model", "label", "release_date"] and markers.empty


def test_f1_markers_come_from_the_catalog(events_csv, tmp_path):
    """A marker model whose (overridden) release date falls in the study's weeks is marked,
    with the catalog's name as its label; the others stay out."""
    header = (FIXTURES / "catalog_small.csv").read_text(encoding="utf-8").splitlines()[0]
    columns = header.split(",")
    row = {
        "slug": "moonshotai/kimi-k2",
        "name": "Kimi K2 (test launch)",
        "release_date": "2025-02-12",
    }
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        header + "\n" + ",".join(row.get(c, "") for c in columns) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["study", str(events_csv), "--out", str(out), "-q", "--catalog", str(catalog),
         "--artifacts", "F1", "--no-report"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    markers = pd.read_csv(out / "data" / "F1_markers.csv")
    assert markers.to_dict("records") == [
        {
            "model": "moonshotai/kimi-k2",
            "label": "Kimi K2 (test launch)",
            "release_date": "2025-02-12",
        }
    ]


def test_manifest_counts(study_run):
    result, out = study_run
    manifest = json.loads((out / "manifest.json").read_text())
    # the same file given twice is read once
    assert manifest["rows"] == {
        "read": 54, "quarantined": 1, "duplicates": 0, "loaded": 53, "outside_window": 0, "events": 53,
    }  # fmt: skip
    assert manifest["unknown_models"]["list"] == [
        {"model": "someone/unknown-model", "events": 3, "tokens": 30}
    ]
    assert manifest["engine"] == "duckdb"
    assert set(manifest["timings_s"]) >= {
        "read",
        "load",
        "rollups",
        "analyses",
        "write",
        "report",
        "total",
    }
    assert (
        "line 55, field 'prompt_tokens': not an integer: '12.5'"
        in manifest["quarantine"]["examples"][0]
    )
    assert "1 records rejected" in result.output


def test_report_is_self_contained(study_run):
    _, out = study_run
    html = (out / "index.html").read_text()
    for aid in ARTIFACTS:
        assert f'id="{aid}"' in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "vegaEmbed" in html
    assert "someone/unknown-model" in html  # unknown models are reported on the front page


def test_duplicate_ids_across_files_load_once(events_csv, tmp_path):
    copy = tmp_path / "copy.csv"
    copy.write_text(events_csv.read_text())
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["study", str(events_csv), str(copy), "--out", str(out), "-q", "--no-report"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "manifest.json").read_text())["rows"]
    assert rows["duplicates"] == 53 and rows["events"] == 53 and rows["quarantined"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "nope.csv", "--out", "{tmp}"], "error: Input nope.csv does not exist."),
        (
            ["study", "{csv}", "--out", "{tmp}", "--engine", "duckbd"],
            "Unknown engine 'duckbd'. Did you mean duckdb?",
        ),
        (["study", "{csv}", "--out", "{tmp}", "--artifacts", "F99"], "Unknown artifact 'F99'."),
        (
            ["study", "{csv}", "--out", "{tmp}", "--start", "03/01/2025"],
            "--start expects a date YYYY-MM-DD, got '03/01/2025'.",
        ),
        (
            ["study", "{csv}", "--out", "{tmp}", "--start", "2030-01-01"],
            "None of the 53 valid events falls inside the window",
        ),
    ],
)
def test_errors_exit_1_with_a_message(events_csv, tmp_path, args, message):
    result = runner.invoke(app, [a.format(tmp=tmp_path, csv=events_csv) for a in args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_damaged_gzip_input_is_one_message(events_csv, tmp_path):
    import gzip

    data = gzip.compress(events_csv.read_bytes())
    path = tmp_path / "events.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    result = runner.invoke(app, ["study", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert f"error: {path}: damaged gzip file: its compressed data ends early, in line" in text
    assert "Aborted" not in text and "Traceback" not in text


def test_all_rows_bad_is_unusable(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,created_at,user_id,model,prompt_tokens,completion_tokens,cost_usd\nx,soon,u,m,1,1,0\n"
    )
    result = runner.invoke(app, ["study", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "No usable events: read 1 records from 1 file(s), all 1 rejected." in result.output
    assert (tmp_path / "out" / "quarantine.jsonl").exists()


def test_help_on_every_command():
    import typer

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert {"study", "artifacts"} <= set(commands)
    for cmd in [[], *([name] for name in commands)]:
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_artifacts_lists_registry():
    result = runner.invoke(app, ["artifacts"])
    assert result.exit_code == 0
    assert all(aid in result.output for aid in ARTIFACTS)
