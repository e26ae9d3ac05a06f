"""The simulated store: layout, schema, determinism, and shares that do not depend on size or seed."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tokencensus.errors import ConfigError
from tokencensus.ingest.reader import read_events
from tokencensus.schema import EVENT_SCHEMA
from tokencensus.simulate import simulate


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "store"
    simulate(100_000, out, seed=7, workers=2)
    return out


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_layout_and_manifest(store: Path) -> None:
    weeks = sorted(p.name for p in (store / "events").iterdir())
    assert weeks[0] == "week=2024-07-01"
    assert weeks[-1] == "week=2025-11-24"
    for name in weeks:
        monday = date.fromisoformat(name.removeprefix("week="))
        assert monday.weekday() == 0
        assert [p.name for p in (store / "events" / name).iterdir()] == ["part-00000.parquet"]
    meta = json.loads((store / "tokencensus-store.json").read_text())
    assert meta["format"] == "tokencensus-events"
    assert meta["version"] == 1
    assert meta["generator"] == "tokencensus simulate"
    assert (meta["seed"], meta["events"]) == (7, 100_000)
    accounts = pq.read_table(store / "accounts.parquet")
    assert {"user_id", "workload", "billing_country", "continent", "language"} <= set(
        accounts.column_names
    )


def test_files_hold_exactly_the_canonical_schema(store: Path) -> None:
    for path in (store / "events").rglob("*.parquet"):
        assert pq.read_schema(path).remove_metadata().equals(EVENT_SCHEMA)


def test_the_sample_has_row_groups_of_its_own(store: Path) -> None:
    """Every row group is all sampled or all unsampled, so that reading the sample skips
    the others by their statistics (schema.sample_row_groups)."""
    mixed, sampled_groups = 0, 0
    for path in (store / "events").rglob("*.parquet"):
        meta = pq.ParquetFile(path).metadata
        leaves = [meta.schema.column(i).path for i in range(meta.num_columns)]
        col = leaves.index("sampled")
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(col).statistics
            mixed += stats.min != stats.max
            sampled_groups += bool(stats.min)
    assert mixed == 0
    assert sampled_groups > 0


def test_canonical_reader_loads_every_row(store: Path, tmp_path: Path) -> None:
    summary = read_events([store / "events"], tmp_path / "staging", tmp_path / "q.jsonl")
    assert (summary.loaded, summary.quarantined) == (100_000, 0)


def test_same_seed_writes_identical_files(store: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    simulate(100_000, again, seed=7, workers=1)  # one process: the same files as two
    assert _digest(again) == _digest(store)


def test_other_seed_writes_other_events(store: Path, other_seed: Path) -> None:
    # the same N (100,000) and window, another seed: only the seed differs
    meta = [json.loads((s / "tokencensus-store.json").read_text()) for s in (store, other_seed)]
    assert [m["events"] for m in meta] == [100_000, 100_000]
    a, b = _digest(store / "events"), _digest(other_seed / "events")
    assert set(a) == set(b)  # the same week files...
    assert all(a[week] != b[week] for week in a)  # ...each holding other events
    assert _digest(store)["accounts.parquet"] != _digest(other_seed)["accounts.parquet"]


def test_refuses_to_mix_with_an_existing_store(store: Path) -> None:
    with pytest.raises(ConfigError, match="already holds a simulated store"):
        simulate(1_000, store, seed=7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": 0}, "--events must be at least 1"),
        ({"events": 10, "seed": -1}, "--seed must be between"),
        ({"events": 10, "start": date(2025, 2, 1), "end": date(2025, 1, 1)}, "is before --start"),
        ({"events": 10, "sample_rate": 1.5}, "--sample-rate must be between 0 and 1"),
    ],
)
def test_bad_options_say_what_to_do(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        simulate(out_dir=tmp_path / "x", **kwargs)


def test_custom_window_keeps_events_inside(tmp_path: Path) -> None:
    out = tmp_path / "w"
    simulate(5_000, out, seed=1, start=date(2024, 11, 3), end=date(2025, 1, 15))
    lo, hi = duckdb.sql(
        f"SELECT min(created_at), max(created_at) FROM '{out}/events/*/*.parquet'"
    ).fetchall()[0]
    assert lo.date() >= date(2024, 11, 3)
    assert hi.date() <= date(2025, 1, 15)


# ----------------------------------------------------------------------- shape checks
SHARES = """
WITH e AS (
    SELECT e.*, m.source_type, prompt_tokens + completion_tokens AS t
    FROM read_parquet('{glob}', hive_partitioning=false) e
    JOIN (SELECT * FROM models) m ON e.model = m.slug
)
SELECT
    sum(t) FILTER (source_type = 'Closed') / sum(t) AS closed,
    sum(t) FILTER (prompt_language = 'en') / sum(t) AS english,
    sum(t) FILTER (finish_reason = 'tool_calls') / sum(t) AS tool_calls,
    sum(t) FILTER (created_at >= '2025-06-01') / sum(t) AS after_june,
    avg(prompt_tokens) FILTER (created_at >= '2025-09-01')
        / avg(prompt_tokens) FILTER (created_at < '2025-01-01') AS prompt_growth
FROM e
"""


def _shares(root: Path) -> dict[str, float]:
    from tokencensus.catalog import load_catalog

    con = duckdb.connect()
    con.register("models", load_catalog().models[["slug", "source_type"]])
    row = con.sql(SHARES.format(glob=f"{root}/events/*/*.parquet")).fetchall()[0]
    return dict(
        zip(("closed", "english", "tool_calls", "after_june", "prompt_growth"), row, strict=True)
    )


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "larger"
    simulate(400_000, out, seed=7)
    return out


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "seed"
    simulate(100_000, out, seed=11)
    return out


@pytest.mark.parametrize("other", ["larger", "other_seed"])
def test_shape_does_not_depend_on_size_or_seed(
    store: Path, larger: Path, other_seed: Path, other: str
) -> None:
    a, b = _shares(store), _shares(larger if other == "larger" else other_seed)
    for key in ("closed", "english", "tool_calls", "after_june"):
        assert abs(a[key] - b[key]) < 0.06, (key, a[key], b[key])
    assert 0.75 < a["prompt_growth"] / b["prompt_growth"] < 1.33


# ----------------------------------------------------------------- size invariance
HEADLINE = """
WITH e AS (
    SELECT e.model, m.source_type, prompt_tokens + completion_tokens AS t
    FROM read_parquet('{glob}', hive_partitioning=false) e
    LEFT JOIN (SELECT * FROM models) m ON e.model = m.slug
)
SELECT model, sum(t)::DOUBLE / sum(sum(t)) OVER () AS share,
       bool_or(source_type IN ('Chinese OSS', 'RoW OSS')) AS oss
FROM e GROUP BY model
"""
LABELS = """
SELECT id, prompt_tokens + completion_tokens AS t, l.path AS path, l.confidence AS c
FROM (SELECT *, unnest(categories) AS l
      FROM read_parquet('{glob}', hive_partitioning=false) WHERE categories IS NOT NULL)
WHERE l.confidence >= 0.5
"""


def _headline(root: Path) -> dict[str, object]:
    """Open-weights share of tokens, programming share (the sample, F19's rule), model shares."""
    from tokencensus.catalog import load_catalog
    from tokencensus.enrich.classify.taxonomy import OTHERS, load_mapping

    con = duckdb.connect()
    con.register("models", load_catalog().models[["slug", "source_type"]])
    glob = f"{root}/events/*/*.parquet"
    models = con.sql(HEADLINE.format(glob=glob)).df().sort_values("share", ascending=False)
    labels = con.sql(LABELS.format(glob=glob)).df()
    mapping = load_mapping()
    labels["category"] = labels["path"].map({p: mapping.category(p) for p in set(labels["path"])})
    labels["w"] = labels["t"] * labels["c"] / labels.groupby("id")["c"].transform("sum")
    named = labels[labels["category"] != OTHERS]
    return {
        "oss": float(models.loc[models["oss"].fillna(False), "share"].sum()),
        "programming": float(named.loc[named["category"] == "Programming", "w"].sum())
        / float(named["w"].sum()),
        "models": dict(zip(models["model"], models["share"], strict=True)),
    }


#: Stated tolerances of the size invariance (docs/simulate.md), 100K against 400K events of
#: one seed.  Set from 10 seeds (0-9) with a margin: largest differences seen were 2.3 pp
#: (open weights), 7.1 pp (programming: 5,000 accounts at 100K, a few large coding accounts
#: move it) and 2.3 pp (a top-6 model's share).
OSS_PP, PROGRAMMING_PP, MODEL_PP, ORDER_GAP_PP = 0.03, 0.08, 0.03, 0.03


def test_headline_aggregates_do_not_depend_on_size(store: Path, larger: Path) -> None:
    small, big = _headline(store), _headline(larger)
    assert abs(small["oss"] - big["oss"]) <= OSS_PP, (small["oss"], big["oss"])
    assert 0.2 < big["oss"] < 0.4  # the platform's shape, not an empty comparison
    assert abs(small["programming"] - big["programming"]) <= PROGRAMMING_PP, (
        small["programming"], big["programming"],
    )  # fmt: skip
    assert big["programming"] > 0.3
    top = list(big["models"])[:6]
    for m in top:
        assert abs(small["models"].get(m, 0.0) - big["models"][m]) <= MODEL_PP, m
    # top-model order: any two of the top six whose shares (at 400K) are 3 pp apart keep
    # their order at 100K; closer pairs may swap
    for i, x in enumerate(top):
        for y in top[i + 1 :]:
            if big["models"][x] - big["models"][y] >= ORDER_GAP_PP:
                assert small["models"].get(x, 0.0) > small["models"].get(y, 0.0), (x, y)
