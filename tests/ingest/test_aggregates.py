"""Aggregate rows: what they can feed, and their week x model sums."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import FIXTURES, run_ingest
from tokencensus.errors import ConfigError
from tokencensus.ingest.aggregates import (
    AGGREGATE_ARTIFACTS,
    EVENT_ONLY_ARTIFACTS,
    WEEKLY_COLUMNS,
    coverage_message,
    weekly_rows,
)
from tokencensus.store import Store


def test_every_paper_artifact_is_classified_once() -> None:
    paper = {f"F{i}" for i in range(1, 30)} | {"T1", "T2", "T3"}
    assert set(AGGREGATE_ARTIFACTS) | set(EVENT_ONLY_ARTIFACTS) == paper
    assert not set(AGGREGATE_ARTIFACTS) & set(EVENT_ONLY_ARTIFACTS)
    assert "F25 (need user ids (cohort retention))" in coverage_message()


def test_weekly_rows_sum_one_source(tmp_path: Path) -> None:
    store = tmp_path / "s"
    run_ingest(FIXTURES / "openrouter" / "activity_api.json", "openrouter", store)
    run_ingest(FIXTURES / "openrouter" / "rankings-2025-11-30.json", "openrouter", store)
    aggregates = Store.open(store).read("aggregates")
    activity = weekly_rows(aggregates, "openrouter-activity")
    assert tuple(activity.column_names) == WEEKLY_COLUMNS
    rows = {r["model"]: r for r in activity.to_pylist()}
    assert {r["week"].isoformat() for r in rows.values()} == {
        "2025-06-23"
    }  # Sat 28 and Sun 29 June
    sonnet = rows["anthropic/claude-4-sonnet-20250522"]
    assert (sonnet["requests"], sonnet["prompt_tokens"], sonnet["cost_usd"]) == (96, 980000, 12.5)
    assert sonnet["finish_reason"] is None and sonnet["is_byok"] is False
    rankings = weekly_rows(aggregates, "openrouter-rankings")
    assert rankings.num_rows == 3 and rankings.column("cost_usd").null_count == 3
    with pytest.raises(ConfigError, match="No aggregate rows from source 'helicone'"):
        weekly_rows(aggregates, "helicone")
