"""The demo pipeline and the two CLI commands, at a small size."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tokencensus.cli import app
from tokencensus.simulate.demo import run_demo

runner = CliRunner()


def test_demo_writes_report_scorecard_and_store(tmp_path: Path) -> None:
    result = run_demo(tmp_path, events=20_000, seed=3, artifacts=["F1", "T1", "F14"])
    for name in ("index.html", "scorecard.csv", "manifest.json", "store/tokencensus-store.json"):
        assert (tmp_path / name).is_file(), name
    card = pd.read_csv(tmp_path / "scorecard.csv")
    measured = card[card["artifact"].isin(["F1", "T1", "F14"])]
    assert (measured["status"] != "not measurable").all()
    assert (
        card.loc[~card["artifact"].isin(["F1", "T1", "F14"]), "status"] == "not measurable"
    ).all()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["scorecard"]["summary"] == result.summary
    assert manifest["simulation"]["events"] == 20_000
    html = (tmp_path / "index.html").read_text()
    assert "Reproduction scorecard" in html
    assert f"{result.summary['passed']} of {result.summary['measurable']}" in html


def test_simulate_command(tmp_path: Path) -> None:
    out = tmp_path / "s"
    res = runner.invoke(app, ["simulate", "--out", str(out), "--events", "3000", "-q"])
    assert res.exit_code == 0, res.output
    assert "3,000 events from" in res.output
    assert (out / "events").is_dir()


def test_simulate_command_errors_exit_1_with_a_message(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["simulate", "--out", str(tmp_path), "--end", "2024-01-01", "--events", "10", "-q"]
    )
    assert res.exit_code == 1
    assert "error:" in res.output
    assert "--end 2024-01-01 is before --start 2024-07-01" in " ".join(res.output.split())


def test_help_texts() -> None:
    for command in ("simulate", "demo"):
        res = runner.invoke(app, [command, "--help"])
        assert res.exit_code == 0
        assert "--events" in res.output
