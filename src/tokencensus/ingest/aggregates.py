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

import math
from datetime import date
from typing import Any

import pyarrow as pa

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
_REQUIRED = ("key", "source", "period", "period_start", "model")
_SHOW = 80


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(name: str, value: Any) -> tuple[Any, str | None]:
    """(parsed value, None) or (None, reason)."""
    text = _text(value)
    if text is None:
        return None, None
    integer = name in _INT
    kind = "a non-negative integer" if integer else "a non-negative number"
    try:
        x = float(text)
    except ValueError:
        return None, f"not {kind}: '{text[:_SHOW]}'"
    if not math.isfinite(x) or x < 0 or (integer and (x != int(x) or x >= 9.2e18)):
        return None, f"not {kind}: '{text[:_SHOW]}'"
    if integer:
        return (int(text) if text.lstrip("+").isdigit() else int(x)), None
    return x, None


def _day(value: Any) -> tuple[date | None, str | None]:
    text = _text(value)
    if text is None:
        return None, None
    try:
        return date.fromisoformat(text[:10]), None
    except ValueError:
        return None, f"not a date: '{text[:_SHOW]}'"


def validate_aggregates(
    table: pa.Table,
    file: str,
    unit: str,
    con: Any = None,
    native: dict[str, str] | None = None,
) -> tuple[pa.Table, list[Rejection]]:
    """Aggregate rows in :data:`AGGREGATE_SCHEMA` for the good records; a Rejection per bad one.

    Aggregate sources are small (a row per day or week and model), so this is plain Python.
    """
    native = native or {}
    good: list[dict[str, Any]] = []
    rejections: list[Rejection] = []
    for record in table.to_pylist():
        row: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name in AGGREGATE_SCHEMA.names:
            value = record.get(name)
            parsed: Any
            if name == "period_start":
                parsed, reason = _day(value)
            elif name in _INT or name in _FLOAT:
                parsed, reason = _number(name, value)
            else:
                parsed, reason = _text(value), None
            if reason is None and parsed is None and name in _REQUIRED:
                reason = "missing required field"
            if reason is not None:
                errors.append(FieldError(native.get(name, name), reason))
            row[name] = parsed
        if errors:
            original = {k: v for k, v in record.items() if k != POS}
            rejections.append(Rejection(file, record[POS], unit, tuple(errors), original))
        else:
            good.append(row)
    return pa.Table.from_pylist(good, schema=AGGREGATE_SCHEMA), rejections


#: Columns of :func:`weekly_rows`: the week x model grain the study's ``weekly_facts`` rollup
#: builds from events before it joins the catalog.
WEEKLY_COLUMNS = (
    "week",
    "model",
    "finish_reason",
    "billing_country",
    "prompt_language",
    "is_byok",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost_usd",
)


def weekly_rows(aggregates: pa.Table, source: str) -> pa.Table:
    """Aggregate rows of one source summed per ISO week and model, in :data:`WEEKLY_COLUMNS`.

    This is what an aggregate-only store can give the study: the per-request dimensions
    (finish reason, billing country, prompt language) are null, BYOK is false, and spend is
    the source's charged usage (null for rankings, which publish none).  Sources describe
    different populations (``openrouter-activity``: one account; ``openrouter-rankings``: all
    of OpenRouter's top models), so one source is chosen, never mixed.
    """
    import pyarrow.compute as pc

    known = sorted(set(aggregates.column("source").to_pylist()))
    if source not in known:
        from tokencensus.errors import ConfigError

        raise ConfigError(
            f"No aggregate rows from source {source!r}; the store holds {', '.join(known) or 'none'}."
        )
    rows = aggregates.filter(pc.equal(aggregates.column("source"), source))
    day = rows.column("period_start")
    monday = pc.cast(
        pc.subtract(pc.cast(day, pa.int32()), pc.cast(pc.day_of_week(day), pa.int32())), pa.date32()
    )
    work = pa.table(
        {
            "week": monday,
            "model": rows.column("model"),
            "requests": rows.column("requests"),
            "prompt_tokens": rows.column("prompt_tokens"),
            "completion_tokens": rows.column("completion_tokens"),
            "reasoning_tokens": rows.column("reasoning_tokens"),
            "cached_tokens": rows.column("cached_tokens"),
            "cost_usd": rows.column("usage_usd"),
        }
    )
    measures = [
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "cached_tokens",
        "cost_usd",
    ]
    grouped = work.group_by(["week", "model"]).aggregate([(m, "sum") for m in measures])
    grouped = grouped.rename_columns([c.removesuffix("_sum") for c in grouped.column_names])
    n = grouped.num_rows
    out = {
        "week": grouped.column("week"),
        "model": grouped.column("model"),
        "finish_reason": pa.nulls(n, pa.string()),
        "billing_country": pa.nulls(n, pa.string()),
        "prompt_language": pa.nulls(n, pa.string()),
        "is_byok": pa.array([False] * n, pa.bool_()),
    }
    for m in measures:
        col = grouped.column(m)
        out[m] = pc.fill_null(col, 0) if m != "cost_usd" else col
    return (
        pa.table(out)
        .select(list(WEEKLY_COLUMNS))
        .sort_by([("week", "ascending"), ("model", "ascending")])
    )
