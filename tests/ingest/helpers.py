"""Ingest test helpers: the test salt, one-call ingest, reading a store back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from tokencensus.ingest.pipeline import IngestOptions, IngestSummary, ingest
from tokencensus.ingest.sources.base import SourceOptions
from tokencensus.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SALT = b"tokencensus-test-salt-0123456789"


def run_ingest(
    spec: str | Path, fmt: str, store: Path, *, sample_rate: float = 0.0, **source: Any
) -> IngestSummary:
    options = IngestOptions(salt=SALT, source=SourceOptions(**source), sample_rate=sample_rate)
    return ingest(str(spec), fmt, store, options)


def events(store: Path) -> pa.Table:
    return Store.open(store).read("events")


def quarantine(store: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted((store / "quarantine").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def store_snapshot(store: Path) -> dict[str, bytes]:
    """Every committed file of a store (not locks, staging or journals) -> its bytes."""
    out = {}
    for path in sorted(store.rglob("*")):
        rel = path.relative_to(store).as_posix()
        if path.is_file() and not rel.startswith(("_staging", "_txn", ".lock", ".commit.lock")):
            out[rel] = path.read_bytes()
    return out


def generation(
    i: int, *, day: str = "2025-05-12", user: str = "u1", model: str = "openai/gpt-4o-mini"
) -> dict:
    """A valid OpenRouter generation object with id ``gen-<i>``."""
    return {
        "id": f"gen-{i}",
        "created_at": f"{day}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z",
        "model": model,
        "external_user": user,
        "tokens_prompt": 100 + i % 50,
        "tokens_completion": 20 + i % 7,
        "total_cost": 0.0001 * (1 + i % 5),
        "finish_reason": "stop",
        "provider_name": "OpenAI",
    }


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return path
