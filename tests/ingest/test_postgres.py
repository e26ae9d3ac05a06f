"""LiteLLM_SpendLogs read from a real PostgreSQL server (started by the ``postgres_url`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.helpers import FIXTURES, SALT, events, quarantine, run_ingest
from tokencensus.errors import InputError
from tokencensus.ingest.pipeline import pseudonymize
from tokencensus.ingest.sources.litellm import SPEND_LOGS_COLUMNS, redact_url
from tokencensus.store import Store

pytestmark = pytest.mark.postgres

TABLE = "LiteLLM_SpendLogs"


def _ddl(table: str = TABLE) -> str:
    cols = ", ".join(f'"{name}" {pg_type}' for name, pg_type in SPEND_LOGS_COLUMNS.items())
    return (
        f'CREATE TABLE "{table}" ({cols}, CONSTRAINT "{table}_pkey" PRIMARY KEY ("request_id")); '
        f'CREATE INDEX "{table}_startTime_idx" ON "{table}" ("startTime")'
    )


@pytest.fixture
def database(postgres_url: str) -> str:
    """A fresh database holding LiteLLM_SpendLogs, seeded from the CSV fixture."""
    import psycopg

    name = "litellm_test"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url) as conn:
        conn.execute(_ddl())
        columns = ", ".join(f'"{c}"' for c in SPEND_LOGS_COLUMNS)
        with conn.cursor().copy(
            f'COPY "{TABLE}" ({columns}) FROM STDIN (FORMAT csv, HEADER true)'
        ) as copy:
            copy.write((FIXTURES / "litellm" / "spend_logs.csv").read_bytes())
    return url


def _insert(url: str, rows: list[dict]) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        for row in rows:
            names = ", ".join(f'"{k}"' for k in row)
            marks = ", ".join(["%s"] * len(row))
            conn.execute(f'INSERT INTO "{TABLE}" ({names}) VALUES ({marks})', list(row.values()))


def _request(i: int, day: str) -> dict:
    return {
        "request_id": f"req-{day}-{i}",
        "call_type": "acompletion",
        "api_key": "k",
        "spend": 0.002,
        "total_tokens": 120,
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "startTime": f"{day} 12:00:{i:02d}",
        "endTime": f"{day} 12:00:{i + 1:02d}",
        "model": "gpt-4o-mini",
        "end_user": f"user-{i}",
        "status": "success",
        "metadata": json.dumps({"headers": {"cf-ipcountry": "SG"}}),
    }


def test_read_by_url_matches_the_csv_export(database: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    summary = run_ingest(database, "litellm", store)
    expected = json.loads((FIXTURES / "litellm" / "spend_logs.expected.json").read_text())
    rows = sorted(events(store).to_pylist(), key=lambda r: r["id"])
    assert [r["id"] for r in rows] == [r["id"] for r in expected["events"]]
    for row, want in zip(rows, expected["events"], strict=True):
        want = {
            **want,
            "user_id": pseudonymize(__import__("pyarrow").array([want["user_id"]]), SALT)[
                0
            ].as_py(),
        }
        for name, value in want.items():
            got = row[name].isoformat() if hasattr(row[name], "isoformat") else row[name]
            assert got == (pytest.approx(value) if isinstance(value, float) else value), (
                row["id"],
                name,
            )
    assert summary.not_generations == {"call_type aembedding": 1}
    bad = quarantine(store)
    assert [(q["field"], q["reason"]) for q in bad] == [("prompt_tokens", "negative value: '-5'")]
    assert bad[0]["row"] >= 1 and bad[0]["file"] == redact_url(database) + "#" + TABLE


def test_incremental_reads_only_new_rows(database: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = run_ingest(database, "litellm", store)
    entry = Store.open(store).sources[-1]
    assert entry["kind"] == "postgres" and entry["watermark"].startswith("2025-05-20 10:30:00")
    _insert(database, [_request(i, "2025-05-21") for i in range(3)])
    second = run_ingest(database, "litellm", store)
    assert (first.added, second.added) == (4, 3)
    assert second.read == 4  # one day of look-back: the 2025-05-20 row again, plus the 3 new
    assert second.already_present == 1
    full = run_ingest(database, "litellm", store, full=True)
    assert (full.added, full.already_present) == (0, 7)
    ids = events(store).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 7
    assert {
        r["billing_country"] for r in events(store).to_pylist() if r["id"].startswith("req-")
    } == {"SG"}


def test_cli_ingest_by_url(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tokencensus.cli import app

    monkeypatch.setenv("TOKENCENSUS_SALT", SALT.decode())
    result = CliRunner().invoke(
        app,
        ["ingest", database, "--format", "litellm", "--into", str(tmp_path / "s"), "--json", "-q"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 4


def test_unknown_table_lists_the_tables(database: str, tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"No table 'SpendLogs' in .* Tables found: public\.LiteLLM_SpendLogs"
    ):
        run_ingest(database, "litellm", tmp_path / "s", table="SpendLogs")


def test_unreachable_server_hides_the_password(tmp_path: Path, postgres_url: str) -> None:
    url = "postgresql://admin:s3cret@127.0.0.1:1/litellm"
    with pytest.raises(
        InputError,
        match=r"Cannot connect to PostgreSQL at postgresql://admin:\*\*\*@127\.0\.0\.1:1/litellm",
    ) as exc:
        run_ingest(url, "litellm", tmp_path / "s")
    assert "s3cret" not in str(exc.value)


def test_ci_runs_the_readme_command_with_ci_set() -> None:
    """The server fixture fails instead of skipping only when ``$CI`` is set: CI must set it,
    and otherwise run exactly the README's test command."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    after = readme.split("run them (this is what CI runs):", 1)[1]
    command = after.split("```bash\n", 1)[1].split("\n```", 1)[0].strip()
    assert command.endswith("python -m pytest")
    lines = [
        line
        for line in (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-2:] == ["export CI=1", command]
