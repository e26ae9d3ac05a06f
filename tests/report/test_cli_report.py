"""``tokencensus study`` report options end to end: figures, PDF, no references, headline."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tokencensus.cli import app


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    from tokencensus.simulate.run import simulate

    sim = simulate(1500, tmp_path_factory.mktemp("store") / "store", seed=5, sample_rate=0.3)
    return sim.events_dir


def test_study_writes_figures_and_pdf_without_references(events_dir, tmp_path):
    pytest.importorskip("pypdf")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["study", str(events_dir), "--out", str(out), "-q", "--artifacts", "F1,F19,T3",
         "--pdf", "--no-reference"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == ["F1.png", "F1.svg", "F19.png", "F19.svg"]
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    html = (out / "index.html").read_text()
    assert "paper:" not in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"report", "figures", "pdf"} <= set(manifest["timings_s"])
    headline = manifest["headline"]
    for key in ("reasoning_share", "tool_call_share", "programming_share", "median_cost_per_m"):
        assert headline[key] is not None and headline[key] > 0, key
    assert (
        headline["programming_share_low"]
        <= headline["programming_share"]
        <= headline["programming_share_high"]
    )


def test_study_without_figures(events_dir, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["study", str(events_dir), "--out", str(out), "-q", "--artifacts", "F1", "--no-figures"],
    )
    assert result.exit_code == 0, result.output
    assert not (out / "figures").exists()
    assert "paper: Chinese OSS mean 13.0%" in (out / "index.html").read_text()


def test_pdf_without_pypdf_fails_before_the_study(monkeypatch, events_dir, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_pypdf(name, *args, **kwargs):
        if name == "pypdf":
            raise ImportError("no pypdf")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pypdf)
    result = CliRunner().invoke(
        app, ["study", str(events_dir), "--out", str(tmp_path / "o"), "-q", "--pdf"]
    )
    assert result.exit_code == 1
    assert "pip install pypdf (the 'pdf' extra of tokencensus)" in " ".join(result.output.split())
    assert not (tmp_path / "o").exists()  # refused before reading anything
