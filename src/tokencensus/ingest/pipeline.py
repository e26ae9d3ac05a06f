"""``ingest``: native logs -> validated canonical events in a store, loss-free and idempotent.

For every input of the chosen format the adapter yields batches of canonical-named
columns; each batch then goes through the same steps, whatever its format:

1. records that could not be parsed (bad JSON, wrong field count, invalid UTF-8) and
   values longer than :data:`MAX_TEXT` characters are quarantined;
2. ``user_id`` is replaced by HMAC-SHA256(salt, user id), 128 bits in hex -- the salt
   comes from the caller and is never written anywhere;
3. finish reasons are normalized (``sources/data/finish_reasons.csv``; a reason not in
   the table becomes ``other``, the source's own value kept in ``native_finish_reason``);
4. country hints (codes or English names) become ``billing_country``; unknown hints
   are dropped (counted), never a reason to lose an event;
5. prompt text, where the source has it, feeds language detection and the sampled
   classifier, then is dropped (:func:`tokencensus.ingest.sources.text.enrich_prompt_text`);
6. where a source records no cost at all, ``cost_usd`` is estimated from the catalog's
   list prices (0 when the model has none; both counted);
7. :func:`tokencensus.ingest.validate.validate_batch` checks every value; bad records
   go to the quarantine with file, line/row, field (the source's own name) and reason;
8. good rows are staged in a store transaction, committed at the end (see
   :mod:`tokencensus.store`).

Files already ingested (same SHA-256) are skipped without being read.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.enrich.reference import language_names
from tokencensus.ingest.aggregates import validate_aggregates
from tokencensus.ingest.formats import POS
from tokencensus.ingest.quarantine import FieldError, QuarantineWriter, Rejection
from tokencensus.ingest.sources import get_source
from tokencensus.ingest.sources.base import (
    PROMPT_TEXT,
    SourceBatch,
    SourceInput,
    SourceOptions,
    connect,
    country_code,
    finish_reason_map,
)
from tokencensus.ingest.sources.text import enrich_prompt_text
from tokencensus.ingest.validate import validate_batch
from tokencensus.schema import FINISH_REASONS
from tokencensus.store import CommitResult, Store

__all__ = ["MAX_TEXT", "IngestOptions", "IngestSummary", "ingest", "pseudonymize"]

#: Longest text value accepted in an id, user, model, provider or app field.
MAX_TEXT = 1024
_TEXT_FIELDS = (
    "id",
    "user_id",
    "model",
    "provider",
    "app_id",
    "finish_reason",
    "native_finish_reason",
)
_HASH_HEX = 32


class Reporter(Protocol):
    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


class _Silent:
    def start(self, stage: str, total: int | None = None) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


@dataclass(frozen=True)
class IngestOptions:
    """How to ingest. ``salt`` is required and is never stored."""

    salt: bytes
    source: SourceOptions = field(default_factory=SourceOptions)
    #: Share of prompts (with text) classified; 0 detects languages only.
    sample_rate: float = 0.0025
    classifier: str = "offline"
    #: Seconds to wait for another ingest into the same store (None: forever, 0: refuse).
    wait: float | None = 0.0
    #: Re-read files even when the store has ingested the same content before.
    force: bool = False


@dataclass
class IngestSummary:
    store: str
    format: str
    inputs: list[str] = field(default_factory=list)
    skipped_inputs: list[str] = field(default_factory=list)
    shapes: list[str] = field(default_factory=list)
    read: int = 0
    quarantined: int = 0
    not_generations: dict[str, int] = field(default_factory=dict)
    aggregate_rows_read: int = 0
    cost_estimated: int = 0
    cost_unknown: int = 0
    countries_unrecognized: int = 0
    languages_unrecognized: int = 0
    commit: CommitResult = field(default_factory=CommitResult)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantine_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return self.commit.added.get("events", 0)

    @property
    def already_present(self) -> int:
        return self.commit.already_present.get("events", 0)

    @property
    def duplicates_in_input(self) -> int:
        return self.commit.duplicates_in_input.get("events", 0)

    @property
    def aggregates_added(self) -> int:
        return self.commit.added.get("aggregates", 0)

    @property
    def events_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "format": self.format,
            "inputs": self.inputs,
            "skipped_inputs": self.skipped_inputs,
            "shapes": self.shapes,
            "read": self.read,
            "added": self.added,
            "already_present": self.already_present,
            "duplicates_in_input": self.duplicates_in_input,
            "quarantined": self.quarantined,
            "not_generations": self.not_generations,
            "aggregate_rows_read": self.aggregate_rows_read,
            "aggregates_added": self.aggregates_added,
            "aggregates_already_present": self.commit.already_present.get("aggregates", 0),
            "cost_estimated": self.cost_estimated,
            "cost_unknown": self.cost_unknown,
            "countries_unrecognized": self.countries_unrecognized,
            "languages_unrecognized": self.languages_unrecognized,
            "weeks": self.commit.weeks,
            "quarantine": self.commit.quarantine,
            "quarantine_reasons": self.quarantine_reasons,
            "seconds": round(self.seconds, 3),
        }


def pseudonymize(values: pa.Array | pa.ChunkedArray, salt: bytes) -> pa.Array:
    """HMAC-SHA256(salt, value) as 32 hex characters; nulls stay null."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    encoded = pc.dictionary_encode(arr)
    digests = [
        hmac.new(salt, v.encode("utf-8"), hashlib.sha256).hexdigest()[:_HASH_HEX]
        for v in encoded.dictionary.to_pylist()
    ]
    return pc.take(pa.array(digests, pa.string()), encoded.indices)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------- ingest
def ingest(
    spec: str,
    fmt: str,
    store_path: str | Path,
    options: IngestOptions,
    reporter: Reporter | None = None,
) -> IngestSummary:
    """Ingest ``spec`` (files, folder, glob or database URL) of format ``fmt`` into a store."""
    reporter = reporter or _Silent()
    t0 = time.perf_counter()
    adapter = get_source(fmt)
    summary = IngestSummary(store=str(store_path), format=adapter.NAME)
    inputs: list[SourceInput] = adapter.inputs(spec, options.source)
    store = Store.create(store_path)
    with store.transaction(wait=options.wait) as tx:
        tx.check_salt(options.salt)
        con = connect()
        seen: set[str] = set()
        try:
            with QuarantineWriter(tx.quarantine_path) as quarantine:
                for inp in inputs:
                    entry = _manifest_entry(adapter.NAME, inp)
                    source_options = options.source
                    if inp.kind == "file":
                        assert inp.path is not None
                        entry["sha256"] = _file_sha256(inp.path)
                        entry["bytes"] = inp.path.stat().st_size
                        if not options.force and (
                            entry["sha256"] in seen or store.source("sha256", entry["sha256"])
                        ):
                            summary.skipped_inputs.append(inp.name)
                            continue
                        seen.add(entry["sha256"])
                    else:
                        previous = store.source("identity", inp.identity)
                        source_options = replace(source_options, previous=previous)
                    summary.inputs.append(inp.name)
                    reporter.start(f"Reading {inp.name}")
                    counts = _ingest_input(
                        adapter.read(inp, source_options),
                        inp,
                        tx,
                        con,
                        quarantine,
                        options,
                        summary,
                        reporter.advance,
                    )
                    reporter.finish()
                    entry.update(counts)
                    tx.record_source(entry)
                summary.quarantine_reasons = dict(quarantine.by_reason)
                summary.quarantine_examples = list(quarantine.examples)
        finally:
            con.close()
        reporter.start("Committing to the store")
        summary.commit = tx.commit()
        reporter.finish()
    summary.seconds = time.perf_counter() - t0
    return summary


def _manifest_entry(fmt: str, inp: SourceInput) -> dict[str, Any]:
    from datetime import datetime, timezone

    entry: dict[str, Any] = {
        "format": fmt,
        "kind": inp.kind,
        "identity": inp.identity,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if inp.path is not None:
        entry["path"] = str(inp.path.resolve())
    return entry


def _ingest_input(
    batches: Any,
    inp: SourceInput,
    tx: Any,
    con: duckdb.DuckDBPyConnection,
    quarantine: QuarantineWriter,
    options: IngestOptions,
    summary: IngestSummary,
    advance: Callable[[int], None],
) -> dict[str, Any]:
    counts: dict[str, Any] = {"read": 0, "valid": 0, "quarantined": 0, "aggregate_rows": 0}
    watermark: str | None = None
    file = inp.name
    batch: SourceBatch
    for batch in batches:
        if batch.shape and batch.shape not in summary.shapes:
            summary.shapes.append(batch.shape.split(" (")[0])
            summary.shapes = list(dict.fromkeys(summary.shapes))
        for name, n in batch.skipped.items():
            summary.not_generations[name] = summary.not_generations.get(name, 0) + n
        for rejection in batch.rejections:
            quarantine.write(rejection)
        n_parse = len(batch.rejections)
        if batch.kind == "aggregates":
            good, bad = validate_aggregates(batch.table, file, batch.unit, con, dict(batch.native))
            for rejection in bad:
                quarantine.write(rejection)
            tx.add("aggregates", good)
            counts["aggregate_rows"] += batch.table.num_rows
            summary.aggregate_rows_read += batch.table.num_rows
            counts["quarantined"] += n_parse + len(bad)
            summary.quarantined += n_parse + len(bad)
            advance(batch.table.num_rows + n_parse)
            continue
        table, early = _prepare(batch, file, options, summary, con)
        for rejection in early:
            quarantine.write(rejection)
        good, bad = validate_batch(table, file, batch.unit, con)
        for rejection in bad:
            quarantine.write(_native_names(rejection, batch.native))
        tx.add("events", good)
        n = batch.table.num_rows + n_parse
        counts["read"] += n
        counts["valid"] += good.num_rows
        counts["quarantined"] += n_parse + len(early) + len(bad)
        summary.read += n
        summary.quarantined += n_parse + len(early) + len(bad)
        if batch.watermark and (watermark is None or batch.watermark > watermark):
            watermark = batch.watermark
        advance(n)
    if watermark is not None:
        counts["watermark"] = watermark
    return counts


def _native_names(rejection: Rejection, native: Any) -> Rejection:
    if not native:
        return rejection
    errors = tuple(FieldError(native.get(e.field, e.field), e.reason) for e in rejection.errors)
    return replace(rejection, errors=errors)


# ------------------------------------------------------------------ prepare
def _prepare(
    batch: SourceBatch,
    file: str,
    options: IngestOptions,
    summary: IngestSummary,
    con: duckdb.DuckDBPyConnection,
) -> tuple[pa.Table, list[Rejection]]:
    table = batch.table
    table, early = _reject_long_text(table, file, batch.unit, batch.native)
    if "user_id" in table.column_names:
        table = _set(table, "user_id", pseudonymize(table.column("user_id"), options.salt))
    table = _normalize_finish_reasons(table)
    if "billing_country" in table.column_names:
        hints = table.column("billing_country")
        codes = _map_unique(hints, country_code)
        summary.countries_unrecognized += int(
            pc.sum(pc.and_(pc.is_valid(hints), pc.is_null(codes))).as_py() or 0
        )
        table = _set(table, "billing_country", codes)
    table = enrich_prompt_text(table, rate=options.sample_rate, backend=options.classifier)
    if PROMPT_TEXT in table.column_names:  # pragma: no cover - enrich_prompt_text drops it
        table = table.drop_columns([PROMPT_TEXT])
    if "prompt_language" in table.column_names:
        langs = table.column("prompt_language")
        known = set(language_names())
        cleaned = _map_unique(langs, lambda v: v if v in known else None)
        summary.languages_unrecognized += int(
            pc.sum(pc.and_(pc.is_valid(langs), pc.is_null(cleaned))).as_py() or 0
        )
        table = _set(table, "prompt_language", cleaned)
    if options.source.estimate_cost and batch.cost_from_prices:
        table = _estimate_costs(table, con, summary)
    return table, early


def _set(table: pa.Table, name: str, values: Any) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def _map_unique(values: pa.ChunkedArray | pa.Array, func: Callable[[Any], Any]) -> pa.Array:
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    encoded = pc.dictionary_encode(arr)
    mapped = pa.array([func(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


def _reject_long_text(
    table: pa.Table, file: str, unit: str, native: Any
) -> tuple[pa.Table, list[Rejection]]:
    bad = None
    for name in _TEXT_FIELDS:
        if name not in table.column_names:
            continue
        col = table.column(name)
        if not pa.types.is_string(col.type):
            continue
        too_long = pc.fill_null(pc.greater(pc.utf8_length(col), MAX_TEXT), False)
        bad = too_long if bad is None else pc.or_(bad, too_long)
    if bad is None or not pc.any(bad).as_py():
        return table, []
    idx = pc.indices_nonzero(bad).to_pylist()
    rejections = []
    for row in table.take(idx).to_pylist():
        for name in _TEXT_FIELDS:
            value = row.get(name)
            if isinstance(value, str) and len(value) > MAX_TEXT:
                record = {
                    k: (v[:200] + "..." if isinstance(v, str) and len(v) > 200 else v)
                    for k, v in row.items()
                    if k not in (POS, PROMPT_TEXT)
                }
                field_name = native.get(name, name) if native else name
                rejections.append(
                    Rejection(
                        file,
                        row[POS],
                        unit,
                        (
                            FieldError(
                                field_name,
                                f"too long ({len(value):,} characters; at most {MAX_TEXT:,})",
                            ),
                        ),
                        record,
                    )
                )
                break
    return table.filter(pc.invert(bad)), rejections


@cache
def _finish_lookup() -> dict[str, str]:
    lookup = {r: r for r in FINISH_REASONS}
    lookup.update(finish_reason_map())
    return lookup


def _normalize_finish(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().lower()
    if not key:
        return None
    return _finish_lookup().get(
        key, _finish_lookup().get(key.replace("-", "_").replace(" ", "_"), "other")
    )


def _normalize_finish_reasons(table: pa.Table) -> pa.Table:
    has_norm = "finish_reason" in table.column_names
    has_native = "native_finish_reason" in table.column_names
    if not has_norm and not has_native:
        return table
    n = table.num_rows
    norm = table.column("finish_reason") if has_norm else pa.nulls(n, pa.string())
    native = table.column("native_finish_reason") if has_native else pa.nulls(n, pa.string())
    if not pa.types.is_string(norm.type):
        norm = pc.cast(norm, pa.string())
    if not pa.types.is_string(native.type):
        native = pc.cast(native, pa.string())
    from_norm = _map_unique(norm, _normalize_finish)
    from_native = _map_unique(native, _normalize_finish)
    # A source's "normalized" value that is really native (e.g. 'end_turn') is kept as native.
    is_canonical = _map_unique(
        norm, lambda v: "y" if v and v.strip().lower() in FINISH_REASONS else None
    )
    keep_native = pc.if_else(
        pc.and_(pc.is_valid(norm), pc.is_null(is_canonical)), norm, pa.nulls(n, pa.string())
    )
    finish = pc.coalesce(from_norm, from_native)
    native_out = pc.coalesce(native, keep_native)
    table = _set(table, "finish_reason", finish)
    return _set(table, "native_finish_reason", native_out)


# -------------------------------------------------------------------- costs
@cache
def _prices() -> dict[str, tuple[float | None, float | None]]:
    from tokencensus.catalog import load_catalog

    catalog = load_catalog()
    out: dict[str, tuple[float | None, float | None]] = {}
    for slug, p, c in zip(
        catalog.models["slug"],
        catalog.models["prompt_usd_per_m"],
        catalog.models["completion_usd_per_m"],
        strict=True,
    ):
        out[slug] = (None if p != p else p, None if c != c else c)  # NaN -> None
    return out


@cache
def _catalog():  # type: ignore[no-untyped-def]
    from tokencensus.catalog import load_catalog

    return load_catalog()


def _price_of(model: str | None) -> tuple[float | None, float | None]:
    if not model:
        return None, None
    slug = _catalog().resolve(model)
    if slug is None:
        return None, None
    return _prices().get(slug, (None, None))


def _estimate_costs(
    table: pa.Table, con: duckdb.DuckDBPyConnection, summary: IngestSummary
) -> pa.Table:
    """Fill a null ``cost_usd`` from list prices x tokens (0 when the model has no price)."""
    n = table.num_rows
    if n == 0:
        return table
    cost = (
        table.column("cost_usd") if "cost_usd" in table.column_names else pa.nulls(n, pa.string())
    )
    missing = pc.is_null(cost)
    if not pc.any(missing).as_py():
        return table
    models = table.column("model") if "model" in table.column_names else pa.nulls(n, pa.string())
    if not pa.types.is_string(models.type):
        models = pc.cast(models, pa.string())
    prompt_price = _map_unique(models, lambda m: _fmt(_price_of(m)[0]))
    completion_price = _map_unique(models, lambda m: _fmt(_price_of(m)[1]))
    work = pa.table(
        {
            "cost": pc.cast(cost, pa.string()),
            "p": table.column("prompt_tokens")
            if "prompt_tokens" in table.column_names
            else pa.nulls(n),
            "c": table.column("completion_tokens")
            if "completion_tokens" in table.column_names
            else pa.nulls(n),
            "pp": prompt_price,
            "cp": completion_price,
        }
    )
    con.register("_cost_work", work)
    try:
        result = con.sql(
            "SELECT CASE WHEN cost IS NOT NULL THEN cost "
            "WHEN pp IS NULL AND cp IS NULL THEN '0' "
            "ELSE CAST((coalesce(try_cast(CAST(p AS VARCHAR) AS DOUBLE), 0) * coalesce(try_cast(pp AS DOUBLE), 0) "
            "+ coalesce(try_cast(CAST(c AS VARCHAR) AS DOUBLE), 0) * coalesce(try_cast(cp AS DOUBLE), 0)) / 1e6 AS VARCHAR) END AS cost, "
            "cost IS NULL AND pp IS NULL AND cp IS NULL AS unknown FROM _cost_work"
        ).to_arrow_table()
    finally:
        con.unregister("_cost_work")
    unknown = int(pc.sum(result.column("unknown")).as_py() or 0)
    summary.cost_unknown += unknown
    summary.cost_estimated += int(pc.sum(missing).as_py() or 0) - unknown
    return _set(table, "cost_usd", result.column("cost"))


def _fmt(value: float | None) -> str | None:
    return None if value is None else repr(float(value))
