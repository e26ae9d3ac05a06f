"""Aggregate rows: counts per day or week and model, for sources with no per-request data.

OpenRouter's ``/api/v1/activity`` (daily, per model and endpoint) and the public
rankings snapshots (weekly top models) give token and request totals, never single
requests.  They are stored beside the events, in ``STORE/aggregates/`` (schema
:data:`tokencensus.store.AGGREGATE_SCHEMA`), never mixed into them.

What such rows can feed: every artifact computed from week x model token sums with
catalog attributes -- :data:`AGGREGATE_ARTIFACTS`.  What they cannot: anything that
needs a request's finish reason, prompt, user or billing country --
:data:`EVENT_ONLY_ARTIFACTS`, each with the missing field.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.ingest.formats import POS
from tokencensus.ingest.quarantine import FieldError, Rejection
from tokencensus.store import AGGREGATE_SCHEMA

__all__ = [
    "AGGREGATE_ARTIFACTS",
    "EVENT_ONLY_ARTIFACTS",
    "coverage_message",
    "validate_aggregates",
]

#: Artifacts that need only week x model sums (and the catalog): artifact -> what it uses.
AGGREGATE_ARTIFACTS: dict[str, str] = {
    "F1": "tokens per week and model",
    "F2": "tokens per week and model",
    "T1": "tokens per model",
    "F3": "tokens per week and model",
    "F4": "tokens per week and model",
    "F5": "models with tokens per week",
    "F10": "tokens per week and model (catalog reasoning flag)",
    "F11": "tokens per model (catalog reasoning flag)",
    "F14": "prompt tokens and requests per week (sources with request counts)",
    "F15": "completion tokens and requests per week (sources with request counts)",
    "F17": "tokens and requests per week (sources with request counts)",
    "F27": "spend and tokens per model (OpenRouter /activity usage; not rankings)",
    "F28": "spend and tokens per model (OpenRouter /activity usage; not rankings)",
    "T3": "spend and tokens per model (OpenRouter /activity usage; not rankings)",
}

#: Artifacts an aggregate-only store cannot compute: artifact -> the per-request field missing.
EVENT_ONLY_ARTIFACTS: dict[str, str] = {
    **dict.fromkeys(
        ("F6", "F7", "F8", "F9", "F16", "F18", "F19", "F20", "F21", "F22", "F23", "F26", "F29"),
        "prompt categories",
    ),
    "F12": "finish reasons",
    "F13": "finish reasons",
    "F24": "billing countries",
    "T2": "prompt languages",
    "F25": "user ids (cohort retention)",
}


def coverage_message() -> str:
    fed = ", ".join(AGGREGATE_ARTIFACTS)
    missing: dict[str, list[str]] = {}
    for artifact, why in EVENT_ONLY_ARTIFACTS.items():
        missing.setdefault(why, []).append(artifact)
    lines = "; ".join(f"{', '.join(ids)} (need {why})" for why, ids in missing.items())
    return (
        f"Aggregate rows can feed {fed}. They cannot compute {lines}: those need "
        "per-request events (ingest generation logs, the activity CSV export, or another "
        "per-request format)."
    )


_INT = (
    "rank",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "total_tokens",
)
_FLOAT = ("usage_usd", "byok_usage_usd")
_TEXT = ("key", "source", "period", "model", "provider", "endpoint_id")
_REQUIRED = ("key", "source", "period", "period_start", "model")


def _q(name: str) -> str:
    return '"' + name + '"'


def validate_aggregates(
    table: pa.Table,
    file: str,
    unit: str,
    con: duckdb.DuckDBPyConnection,
    native: dict[str, str] | None = None,
) -> tuple[pa.Table, list[Rejection]]:
    """Aggregate rows in :data:`AGGREGATE_SCHEMA` for the good records; a Rejection per bad one."""
    native = native or {}
    have = set(table.column_names)
    select = [_q(POS)]
    errors: list[tuple[str, str]] = []
    for name in AGGREGATE_SCHEMA.names:
        raw = (
            f"nullif(trim(CAST({_q(name)} AS VARCHAR)), '')"
            if name in have
            else "CAST(NULL AS VARCHAR)"
        )
        if name in _TEXT:
            select.append(f"{raw} AS {_q(name)}")
            val = raw
        elif name == "period_start":
            val = f"try_cast(left({raw}, 10) AS DATE)"
            select.append(f"{val} AS {_q(name)}")
            errors.append(
                (
                    name,
                    f"CASE WHEN {raw} IS NOT NULL AND {val} IS NULL THEN 'not a date: ''' || left({raw}, 80) || '''' END",
                )
            )
        else:
            num = f"try_cast({raw} AS DOUBLE)"
            integer = name in _INT
            bad = f"{num} IS NULL OR isnan({num}) OR isinf({num}) OR {num} < 0"
            if integer:
                bad += f" OR {num} <> floor({num}) OR {num} >= 9.2e18"
            kind = "a non-negative integer" if integer else "a non-negative number"
            errors.append(
                (
                    name,
                    f"CASE WHEN {raw} IS NOT NULL AND ({bad}) THEN 'not {kind}: ''' || left({raw}, 80) || '''' END",
                )
            )
            target = ("INTEGER" if name == "rank" else "BIGINT") if integer else "DOUBLE"
            select.append(f"CASE WHEN NOT ({bad}) THEN CAST({num} AS {target}) END AS {_q(name)}")
            val = num
        if name in _REQUIRED:
            errors.append(
                (
                    name,
                    f"CASE WHEN {val if name != 'period_start' else raw} IS NULL THEN 'missing required field' END",
                )
            )
    merged: dict[str, list[str]] = {}
    for name, expr in errors:
        merged.setdefault(name, []).append(expr)
    select += [f"coalesce({', '.join(e)}) AS {_q('err_' + n)}" for n, e in merged.items()]
    con.register("_agg_raw", table)
    try:
        result = con.sql(f"SELECT {', '.join(select)} FROM _agg_raw").to_arrow_table()
    finally:
        con.unregister("_agg_raw")
    err_cols = [f"err_{n}" for n in merged]
    bad_mask = pa.array([False] * result.num_rows, pa.bool_())
    for c in err_cols:
        bad_mask = pc.or_(bad_mask, pc.is_valid(result.column(c)))
    good = result.filter(pc.invert(bad_mask)).select(AGGREGATE_SCHEMA.names).cast(AGGREGATE_SCHEMA)
    rejections = []
    idx = pc.indices_nonzero(bad_mask).to_pylist()
    if idx:
        bad_rows = result.take(idx).select([POS, *err_cols]).to_pylist()
        originals = table.take(idx).drop_columns([POS]).to_pylist()
        for row, original in zip(bad_rows, originals, strict=True):
            errs = tuple(
                FieldError(native.get(c[4:], c[4:]), row[c]) for c in err_cols if row[c] is not None
            )
            rejections.append(Rejection(file, row[POS], unit, errs, original))
    return good, rejections
