"""Real OpenRouter weekly rankings through the aggregate path: ranks and shares match the files.

The data (github.com/johnbean393/openrouter-inference-stats, no license declared) is not
committed; the test reads it from the shared data folder and skips when that is absent.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from tests.ingest.helpers import run_ingest
from tokencensus.ingest.sources.openrouter import rankings_week
from tokencensus.store import Store

DATA = (
    Path(os.environ.get("TOKENCENSUS_SHARED", "/work/shared")) / "data" / "openrouter-weekly-top10"
)

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(),
    reason=f"real rankings data not present at {DATA} (set TOKENCENSUS_SHARED); it is not redistributable",
)


def test_weekly_ranks_and_shares_match_the_files(tmp_path: Path) -> None:
    files = sorted(DATA.rglob("*.json"))
    assert len(files) >= 60
    store = tmp_path / "store"
    summary = run_ingest(DATA, "openrouter", store)
    assert summary.quarantined == 0 and summary.read == 0  # aggregates only, all valid

    rows = Store.open(store).read("aggregates").to_pylist()
    by_week: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        assert row["source"] == "openrouter-rankings" and row["period"] == "week"
        by_week[row["period_start"].isoformat()][row["model"]] = row
    assert (
        summary.aggregates_added
        == len(rows)
        == sum(len(json.loads(f.read_text())["models"]) for f in files)
    )

    for f in files:
        doc = json.loads(f.read_text())
        week = rankings_week(doc["date"])
        stored = by_week[week]
        listed = {m["slug"]: m for m in doc["models"]}
        assert set(stored) == set(listed), f.name
        # ranks recomputed from the stored token totals
        order = sorted(stored, key=lambda s: -stored[s]["total_tokens"])
        for rank, slug in enumerate(order, start=1):
            assert rank == listed[slug]["rank"] == stored[slug]["rank"], (f.name, slug)
        # shares among the listed models, exactly
        total_file = sum(m["total_tokens"] for m in doc["models"])
        total_store = sum(r["total_tokens"] for r in stored.values())
        assert total_store == total_file
        for slug, m in listed.items():
            assert stored[slug]["total_tokens"] / total_store == m["total_tokens"] / total_file
            assert stored[slug]["prompt_tokens"] == m["prompt_tokens"]
            assert stored[slug]["requests"] == m["request_count"]


def test_reingesting_the_rankings_adds_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(DATA / "data", "openrouter", store)
    again = run_ingest(
        DATA / "data",
        "openrouter",
        store,
    )
    assert again.aggregates_added == 0 and len(again.skipped_inputs) == len(
        list((DATA / "data").glob("*.json"))
    )
