"""Rollup upkeep: how kept rollups take new weeks in (``ByWeek``, ``Sums``, ``Firsts``)."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa

from tokencensus.engine import connect, get_engine
from tokencensus.rollup import ROLLUPS, ByWeek, Firsts, Sums, merge_sums

MAY, JUNE, JULY = date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)
REFERENCES = {"model_map", "models", "countries", "label_paths", "retention_targets", "config"}


def test_merge_sums_regroups_only_the_partitions_new_rows_touch() -> None:
    kept = pa.table({
        "user_id": ["a", "a", "b"], "month": [MAY, JUNE, JUNE],
        "requests": [1, 2, 3], "tokens": [10, 20, 30],
    })  # fmt: skip
    new = pa.table({
        "user_id": ["a", "c", "a"], "month": [JUNE, JULY, JULY],
        "requests": [5, 1, 1], "tokens": [50, 7, 8],
    })  # fmt: skip
    backend = connect("duckdb")
    eng = get_engine("duckdb")
    try:
        k = eng.load_arrow(backend, "kept", kept)
        n = eng.load_arrow(backend, "new", new)
        merged, touched = merge_sums(k, n, Sums(sums=("requests", "tokens"), partition="month"))
        assert touched == [JUNE, JULY]
        rows = merged.order_by(["month", "user_id"]).to_pyarrow().to_pylist()
        assert rows == [
            {"user_id": "a", "month": JUNE, "requests": 7, "tokens": 70},
            {"user_id": "b", "month": JUNE, "requests": 3, "tokens": 30},
            {"user_id": "a", "month": JULY, "requests": 1, "tokens": 8},
            {"user_id": "c", "month": JULY, "requests": 1, "tokens": 7},
        ]
        assert merged.schema()["requests"] == ibis.dtype("int64")
        # a replaced week's old rows are subtracted; keys left with nothing are dropped
        o = eng.load_arrow(backend, "old", kept.slice(1, 1))  # (a, June): 2 requests
        less, touched = merge_sums(k, n, Sums(sums=("requests", "tokens"), partition="month"), o)
        assert touched == [JUNE, JULY]
        assert less.filter(less.user_id == "a").order_by("month").to_pyarrow().to_pylist()[0] == {
            "user_id": "a", "month": JUNE, "requests": 5, "tokens": 50,
        }  # fmt: skip
        gone = eng.load_arrow(backend, "gone", kept.slice(2, 1))  # all of (b, June)
        without, _ = merge_sums(k, n, Sums(sums=("requests", "tokens"), partition="month"), gone)
        assert "b" not in without.user_id.to_pyarrow().to_pylist()
        whole, none = merge_sums(k, n, Sums(sums=("requests", "tokens")))
        assert none == []
        assert whole.requests.sum().to_pyarrow().as_py() == 1 + 2 + 3 + 5 + 1 + 1
        assert whole.count().to_pyarrow().as_py() == 5  # (a, May) kept as it was
    finally:
        backend.disconnect()


def test_add_sums_updates_the_kept_table_in_place() -> None:
    """Sums without a partition: the delta is added key by key (null keys match null keys),
    new keys inserted, keys brought to zero deleted; the same rows as merge_sums gives."""
    from tokencensus.rollup import sums_delta

    kept = pa.table({
        "user_id": ["a", "a", "b"], "lang": ["en", None, "de"],
        "requests": [1, 2, 3], "tokens": [10, 20, 30],
    })  # fmt: skip
    new = pa.table({
        "user_id": ["a", "c"], "lang": [None, "fr"], "requests": [5, 1], "tokens": [50, 7],
    })  # fmt: skip
    old = pa.table({"user_id": ["b"], "lang": ["de"], "requests": [3], "tokens": [30]})
    upkeep = Sums(sums=("requests", "tokens"))
    backend = connect("duckdb")
    eng = get_engine("duckdb")
    try:
        k = eng.materialize(backend, "kept", eng.load_arrow(backend, "k", kept), kept=True)
        n = eng.load_arrow(backend, "new", new)
        o = eng.load_arrow(backend, "old", old)
        expected, _ = merge_sums(k, n, upkeep, o)
        want = expected.order_by(["user_id", "lang"]).to_pyarrow().to_pylist()
        delta = sums_delta(k.columns, n, upkeep, o)
        out = eng.add_sums(backend, "kept", ["user_id", "lang"], upkeep.sums, delta)
        rows = out.order_by(["user_id", "lang"]).to_pyarrow().to_pylist()
        assert (
            rows
            == want
            == [
                {"user_id": "a", "lang": "en", "requests": 1, "tokens": 10},
                {"user_id": "a", "lang": None, "requests": 7, "tokens": 70},
                {"user_id": "c", "lang": "fr", "requests": 1, "tokens": 7},
            ]
        )
    finally:
        backend.disconnect()


def test_every_rollup_upkeep_fits_its_rollup() -> None:
    """``ByWeek`` rollups have a ``week`` column; ``Sums`` name integer columns and a
    partition of theirs; they read only pass outputs, reference tables, rollups without
    upkeep (rebuilt every run) and rollups kept by week (whose new and old rows the
    runner computes for the replaced weeks); ``Firsts`` group a ``Sums`` rollup with a
    partition, their first value of the partition's type."""
    from tokencensus.analyses import StudyConfig
    from tokencensus.catalog import load_catalog
    from tokencensus.rollup import PASS_OUTPUTS
    from tokencensus.study import _pass_schemas

    inputs: dict[str, object] = {
        name: ibis.table(schema, name=name) for name, schema in _pass_schemas().items()
    }
    inputs["model_map"] = ibis.table({"raw": "string", "slug": "string"}, name="model_map")
    inputs["models"] = ibis.table(
        ibis.Schema.from_pyarrow(load_catalog().to_arrow().schema), name="models"
    )
    inputs["countries"] = ibis.table({"country": "string", "continent": "string"}, name="c")
    inputs["label_paths"] = ibis.table(
        {"path": "string", "tag": "string", "category": "string"}, name="label_paths"
    )
    inputs["retention_targets"] = ibis.table(
        {"model": "string", "name": "string", "family": "string"}, name="retention_targets"
    )
    inputs["config"] = StudyConfig()
    for spec in ROLLUPS.values():  # registered in dependency order
        for param in spec.params:
            if spec.upkeep is not None:
                assert (
                    param in PASS_OUTPUTS
                    or param in REFERENCES
                    or (isinstance(spec.upkeep, Firsts) and param == spec.upkeep.source)
                    or (param in ROLLUPS and ROLLUPS[param].upkeep is None)
                    or (param in ROLLUPS and isinstance(ROLLUPS[param].upkeep, ByWeek))
                ), (spec.name, param)
        inputs[spec.name] = spec.func(**{p: inputs[p] for p in spec.params})
        schema = inputs[spec.name].schema()  # type: ignore[attr-defined]
        if isinstance(spec.upkeep, ByWeek):
            assert schema["week"] == ibis.dtype("date"), spec.name
        elif isinstance(spec.upkeep, Sums):
            for column in spec.upkeep.sums:
                assert schema[column].is_integer(), (spec.name, column)
            assert spec.upkeep.partition is None or spec.upkeep.partition in schema
        elif isinstance(spec.upkeep, Firsts):
            source = ROLLUPS[spec.upkeep.source].upkeep
            assert isinstance(source, Sums) and source.partition is not None, spec.name
            assert spec.upkeep.source in spec.params, spec.name
            source_schema = inputs[spec.upkeep.source].schema()  # type: ignore[attr-defined]
            assert schema[spec.upkeep.column] == source_schema[source.partition], spec.name
