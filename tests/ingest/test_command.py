"""``tokencensus ingest``: options, the summary it prints, and its error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.ingest.helpers import FIXTURES, SALT, generation, write_jsonl
from tokencensus.cli import app
from tokencensus.store import Store

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_ambient_salt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TOKENCENSUS_SALT", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./tokencensus.toml


def _ingest(*args: str, salt: bool = True) -> object:
    env = {"TOKENCENSUS_SALT": SALT.decode()} if salt else {}
    return runner.invoke(app, ["ingest", *args, "-q"], env=env)


def test_help_lists_formats_and_options() -> None:
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    for word in (
        "--format",
        "--into",
        "--salt-file",
        "--wait",
        "openrouter",
        "litellm",
        "conversations",
    ):
        assert word in result.output


def test_summary_counts(tmp_path: Path) -> None:
    result = _ingest(
        str(FIXTURES / "openrouter" / "generations.jsonl"),
        "-f",
        "openrouter",
        "--into",
        str(tmp_path / "s"),
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "records read" in out and "events added" in out and "quarantined" in out
    assert "4" in out.split("events added")[1].splitlines()[0]
    assert "3 records quarantined" in result.stderr
    assert "line 5, field 'total_cost': negative value" in " ".join(result.stderr.split())


def test_json_summary_and_second_run(tmp_path: Path) -> None:
    src = str(FIXTURES / "openrouter" / "activity.csv")
    first = json.loads(
        _ingest(src, "-f", "openrouter", "--into", str(tmp_path / "s"), "--json").stdout
    )
    again = json.loads(
        _ingest(src, "-f", "openrouter", "--into", str(tmp_path / "s"), "--json").stdout
    )
    assert (first["read"], first["added"], first["quarantined"]) == (7, 4, 3)
    assert (again["added"], again["skipped_inputs"]) == (0, [src])
    forced = json.loads(
        _ingest(src, "-f", "openrouter", "--into", str(tmp_path / "s"), "--json", "--force").stdout
    )
    assert (forced["added"], forced["already_present"]) == (0, 4)


def test_missing_salt_says_how_to_make_one(tmp_path: Path) -> None:
    result = _ingest(
        str(FIXTURES / "openrouter" / "generations.jsonl"),
        "-f",
        "openrouter",
        "--into",
        str(tmp_path / "s"),
        salt=False,
    )
    assert result.exit_code == 1
    text = " ".join(result.stderr.split())
    assert "ingest needs a secret salt" in text and "secrets.token_hex(32)" in text
    assert not (tmp_path / "s").exists()


def test_short_salt_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "ingest",
            str(FIXTURES / "otel" / "spans.jsonl"),
            "-f",
            "otel",
            "--into",
            str(tmp_path / "s"),
            "--salt",
            "short",
        ],
    )
    assert result.exit_code == 1
    assert "use at least 16 random characters" in " ".join(result.stderr.split())


def test_salt_from_config_file(tmp_path: Path) -> None:
    (tmp_path / "salt.txt").write_text(SALT.decode() + "\n")
    (tmp_path / "tokencensus.toml").write_text(
        '[ingest]\nsalt_file = "salt.txt"\nsample_rate = 0\n'
    )
    result = _ingest(
        str(FIXTURES / "otel" / "spans.jsonl"),
        "-f",
        "otel",
        "--into",
        str(tmp_path / "s"),
        salt=False,
    )
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "s" / "tokencensus-store.json").read_text())
    assert SALT.decode() not in json.dumps(meta)
    assert SALT.decode() not in "".join(
        p.read_text("utf-8", "replace") for p in (tmp_path / "s").rglob("*.json*")
    )


def test_unknown_format(tmp_path: Path) -> None:
    result = _ingest(
        str(FIXTURES / "otel" / "spans.jsonl"), "-f", "langfuze", "--into", str(tmp_path / "s")
    )
    assert result.exit_code == 1
    assert "Unknown format 'langfuze'. Did you mean langfuse?" in result.stderr


def test_locked_store(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [generation(1)])
    with Store.create(tmp_path / "s").transaction():
        result = _ingest(str(src), "-f", "openrouter", "--into", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "is being written by another ingest" in " ".join(result.stderr.split())


def test_aggregate_only_store_is_explained(tmp_path: Path) -> None:
    result = _ingest(
        str(FIXTURES / "openrouter" / "activity_api.json"),
        "-f",
        "openrouter",
        "--into",
        str(tmp_path / "s"),
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.stderr.split())
    assert "This store holds aggregates only" in text and "F24 (need billing countries)" in text
    study = runner.invoke(
        app, ["study", str(tmp_path / "s"), "-o", str(tmp_path / "out"), "-q", "--no-figures"]
    )
    assert study.exit_code == 0, study.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["load"]["mode"] == "aggregates"
    assert "F24" in manifest["not_computable"]
    assert "F24 needs billing countries" in (tmp_path / "out" / "index.html").read_text()


def _truncated_gz(path: Path, text: str) -> Path:
    import gzip

    data = gzip.compress(text.encode("utf-8"))
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("gen.jsonl.gz", "openrouter"),
        ("activity.csv.gz", "openrouter"),
        ("spend.csv.gz", "litellm"),
    ],
)
def test_damaged_gzip_input_is_one_message(tmp_path: Path, name: str, fmt: str) -> None:
    """A truncated .gz stops the ingest with its file and line: never a bare 'Aborted.'
    (EOFError) nor a traceback, and the store gains nothing."""
    if name.endswith(".jsonl.gz"):
        text = "".join(json.dumps(generation(i)) + "\n" for i in range(3000))
    else:
        fixture = "openrouter/activity.csv" if fmt == "openrouter" else "litellm/spend_logs.csv"
        header, *rows = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
        text = header + "\n" + "\n".join(rows[:1] * 3000) + "\n"
    src = _truncated_gz(tmp_path / name, text)
    result = _ingest(str(src), "-f", fmt, "--into", str(tmp_path / "s"))
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert f"error: {src}: damaged gzip file: its compressed data ends early, in line " in message
    assert "(the file is truncated). Nothing was loaded" in message
    assert "Aborted" not in result.output and "Traceback" not in result.output
    assert Store.open(tmp_path / "s").read("events").num_rows == 0
