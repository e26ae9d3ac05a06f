"""`study` on a store of aggregate rows only: the artifacts week x model sums can feed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.helpers import FIXTURES, run_ingest
from tokencensus.errors import ConfigError
from tokencensus.ingest.aggregates import AGGREGATE_ARTIFACTS, EVENT_ONLY_ARTIFACTS
from tokencensus.study import run_study

# activity_api.json, week of Mon 2025-06-23 (its -4 requests row is quarantined at ingest):
GPT41_MINI = 4_210_332 + 512_004  # closed
V3_0324 = 190_311 + 30_022  # Chinese open weights (the :free endpoint)
SONNET_4 = 980_000 + 60_000  # closed


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("agg")
    store = root / "store"
    run_ingest(FIXTURES / "openrouter" / "activity_api.json", "openrouter", store)
    from tokencensus.analyses import StudyConfig

    result = run_study([store], root / "out", config=StudyConfig(min_users=10), figures=False)
    return result, root / "out"


def test_only_aggregate_artifacts_are_computed(run):
    result, out = run
    assert set(result.results) == set(AGGREGATE_ARTIFACTS)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["not_computable"]) == set(EVENT_ONLY_ARTIFACTS)
    assert manifest["not_computable"]["F12"] == (
        "needs finish reasons, which aggregate rows do not carry"
    )
    assert manifest["load"]["mode"] == "aggregates"
    assert manifest["load"]["aggregate_source"] == "openrouter-activity"
    assert (out / "index.html").exists()


def test_f1_from_aggregates(run):
    result, _ = run
    f1 = result.results["F1"].data.set_index("source_type")
    total = GPT41_MINI + V3_0324 + SONNET_4
    assert f1.loc["Closed", "tokens"] == GPT41_MINI + SONNET_4
    assert f1.loc["Chinese OSS", "tokens"] == V3_0324
    assert f1.loc["Closed", "share"] == pytest.approx((GPT41_MINI + SONNET_4) / total)
    assert not f1["suppressed"].any()  # aggregates carry no users: nothing to mask


def test_several_sources_need_a_choice(tmp_path: Path):
    store = tmp_path / "s"
    run_ingest(FIXTURES / "openrouter" / "activity_api.json", "openrouter", store)
    run_ingest(FIXTURES / "openrouter" / "rankings-2025-11-30.json", "openrouter", store)
    with pytest.raises(ConfigError, match=r"several sources .* --aggregate-source"):
        run_study([store], tmp_path / "out", write_report=False)
    result = run_study(
        [store], tmp_path / "out", write_report=False, aggregate_source="openrouter-rankings"
    )
    assert result.results["F1"].data["tokens"].sum() > 0
