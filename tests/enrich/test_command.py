from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from tokencensus.enrich.classify.command import classify_command

app = typer.Typer()
app.command("classify")(classify_command)
app.command("noop")(lambda: None)  # keep "classify" a named subcommand
runner = CliRunner()


def _prompts(tmp_path, rows):
    f = tmp_path / "p.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return f


def test_classify_jsonl_to_parquet_drops_text_and_reports_bad_rows(tmp_path):
    src = _prompts(
        tmp_path,
        [
            {"id": "a", "prompt": "Write a Python script that renames files", "user": "u1"},
            {"id": "b", "prompt": 42, "user": "u2"},
            {"prompt": "no id here at all, just text", "user": "u3"},
            {"id": "d", "prompt": "", "user": "u4"},
        ],
    )
    out = tmp_path / "o.parquet"
    res = runner.invoke(app, ["classify", str(src), "--out", str(out), "--rate", "1"])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out)
    assert "prompt" not in table.column_names and "user" in table.column_names
    assert table.column("sampled").to_pylist() == [True, False, False, False]
    assert "data row 2: field 'prompt' is not a string (saw int 42)" in res.output
    assert "data row 3: field 'id' is missing or not a string" in res.output
    assert "data row 4: field 'prompt' is empty" in res.output


def test_classify_csv_text_column_and_jsonl_out(tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("id,body\n1,Translate to Spanish: good morning everyone\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    res = runner.invoke(
        app, ["classify", str(src), "--out", str(out), "--text-column", "body", "--rate", "1"]
    )
    assert res.exit_code == 0, res.output
    row = json.loads(out.read_text().splitlines()[0])
    assert row["id"] == "1" and "body" not in row and row["prompt_language"] == "en"


def test_evaluate_prints_scores(tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_text(
        json.dumps({"text": "Fix the IndexError in my Python loop", "category": "Programming"})
        + "\n"
        + json.dumps({"text": "Translate this email into French please", "category": "Translation"})
        + "\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["classify", "--evaluate", str(f)])
    assert res.exit_code == 0, res.output
    for needle in ("precision", "macro-F1 over 2 categories", "confusion matrix", "prompts/s"):
        assert needle in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify"], "Pass an INPUT file to classify, or --evaluate LABELED.jsonl."),
        (
            ["classify", "missing.jsonl", "--out", "o.parquet"],
            "Input file missing.jsonl does not exist",
        ),
        (
            ["classify", "--backend", "gogle", "--evaluate", "x.jsonl"],
            "Unknown classifier backend 'gogle'",
        ),
        (
            ["classify", "--backend", "labels", "--evaluate", "x.jsonl"],
            "--backend labels needs --labels FILE",
        ),
        (["classify", "--rate", "3"], "Sample rate must be a number"),
    ],
)
def test_command_errors(args, message):
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert message in " ".join(res.output.split())


def test_missing_text_column_and_bad_outputs(tmp_path):
    src = _prompts(tmp_path, [{"id": "a", "text": "hello there"}])
    res = runner.invoke(app, ["classify", str(src), "--out", str(tmp_path / "o.parquet")])
    assert "has no column 'prompt' (fields seen: id, text)" in " ".join(res.output.split())
    src = _prompts(tmp_path, [{"id": "a", "prompt": "hello there"}])
    res = runner.invoke(app, ["classify", str(src), "--out", str(tmp_path / "o.txt")])
    assert "use .parquet or .jsonl" in res.output
    res = runner.invoke(app, ["classify", str(src)])
    assert "Pass --out FILE.parquet" in res.output
    res = runner.invoke(
        app, ["classify", str(src), "--dry-run", "--out", str(tmp_path / "o.parquet")]
    )
    assert "--dry-run estimates Google costs" in " ".join(res.output.split())


def test_google_dry_run_sends_nothing(tmp_path):
    src = _prompts(tmp_path, [{"id": str(i), "prompt": "x" * 1200} for i in range(10)])
    res = runner.invoke(
        app, ["classify", str(src), "--backend", "google", "--dry-run", "--rate", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "10 prompts -> 10 classifyText units, estimated $0.00" in res.output


def test_help_mentions_options():
    res = runner.invoke(app, ["classify", "--help"])
    assert res.exit_code == 0
    for opt in ("--text-column", "--rate", "--backend", "--evaluate", "--dry-run"):
        assert opt in res.output
