"""OpenRouter: generation metadata, the activity CSV export, and daily / weekly aggregates.

Shapes, recognized per file (JSON) or by extension (CSV):

``generation`` -- ``GET /api/v1/generation`` objects (bare or wrapped in ``{"data": ...}``),
as JSONL, a JSON array or one response.  One event each:
    id <- id; created_at <- created_at; user_id <- external_user, else the account
    ("(account)"); model <- model; prompt/completion tokens <- native_tokens_prompt /
    native_tokens_completion (the provider's own counts, consistent with
    native_tokens_reasoning / native_tokens_cached), else tokens_prompt /
    tokens_completion; cost_usd <- total_cost (else usage); finish_reason <- finish_reason,
    native_finish_reason; provider <- provider_name; app_id; latency_ms <- latency;
    generation_time_ms <- generation_time; streamed, cancelled, is_byok; tools_provided is
    true when the finish reason is a tool call (unknown otherwise).  No country, no text.

``activity-csv`` -- the openrouter.ai/activity export (``.csv``).  One event per row:
    id <- generation_id; created_at; user_id <- user, else api_key_name, else "(account)";
    model <- model_permaslug (+ ":" + variant, e.g. ":free", when the slug lacks it);
    tokens_prompt / tokens_completion / tokens_reasoning / tokens_cached; cost_usd <-
    cost_total; is_byok <- byok_usage_inference > 0; provider <- provider_name; app_id <-
    app_name; finish_reason <- finish_reason_normalized (native: finish_reason_raw);
    generation_time_ms; latency_ms <- time_to_first_token_ms; cancelled; streamed.

``activity`` -- ``GET /api/v1/activity`` items (daily per model and endpoint): aggregate
    rows (date, model_permaslug or model -- with the variant suffix of ``model``, e.g.
    ":free" --, endpoint_id, provider_name, requests,
    prompt/completion/reasoning tokens, usage -> usage_usd, byok_usage_inference).

``rankings`` -- weekly top-model snapshots of openrouter.ai/rankings (one JSON per week:
    ``{"date", "models": [{rank, slug, total_tokens, prompt_tokens, ...}]}``, e.g. the
    files of github.com/johnbean393/openrouter-inference-stats): aggregate rows, one per
    listed model, for the ISO week that ends on or before the day before ``date`` (files
    named by the week's Sunday and files named by the following Monday land in the same
    week).  ``estimated_revenue`` is a list-price estimate and is not kept as spend.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from tokencensus.ingest.formats import POS
from tokencensus.ingest.sources.base import (
    Cols,
    SourceBatch,
    SourceInput,
    SourceOptions,
    connect,
    map_with_sql,
    records_table,
)
from tokencensus.ingest.sources.files import (
    BATCH,
    csv_batches,
    file_format,
    json_records,
    list_files,
    open_bytes,
)

__all__ = ["NAME", "SHAPES", "inputs", "read"]

NAME = "openrouter"
SHAPES = ("generation", "activity-csv", "activity", "rankings")

GENERATION_NATIVE = {
    "prompt_tokens": "native_tokens_prompt",
    "completion_tokens": "native_tokens_completion",
    "reasoning_tokens": "native_tokens_reasoning",
    "cached_tokens": "native_tokens_cached",
    "cost_usd": "total_cost",
    "user_id": "external_user",
    "provider": "provider_name",
    "latency_ms": "latency",
    "generation_time_ms": "generation_time",
}
CSV_NATIVE = {
    "id": "generation_id",
    "prompt_tokens": "tokens_prompt",
    "completion_tokens": "tokens_completion",
    "reasoning_tokens": "tokens_reasoning",
    "cached_tokens": "tokens_cached",
    "cost_usd": "cost_total",
    "model": "model_permaslug",
    "user_id": "user",
    "provider": "provider_name",
    "app_id": "app_name",
    "finish_reason": "finish_reason_normalized",
    "native_finish_reason": "finish_reason_raw",
    "latency_ms": "time_to_first_token_ms",
    "is_byok": "byok_usage_inference",
}
ACTIVITY_NATIVE = {
    "period_start": "date",
    "model": "model_permaslug",
    "usage_usd": "usage",
    "byok_usage_usd": "byok_usage_inference",
    "provider": "provider_name",
}
RANKINGS_NATIVE = {"period_start": "date", "model": "slug", "requests": "request_count"}
ACCOUNT = "(account)"

_GENERATION_KEYS = (
    "id",
    "created_at",
    "model",
    "external_user",
    "user",
    "tokens_prompt",
    "tokens_completion",
    "native_tokens_prompt",
    "native_tokens_completion",
    "native_tokens_reasoning",
    "native_tokens_cached",
    "total_cost",
    "usage",
    "finish_reason",
    "native_finish_reason",
    "provider_name",
    "app_id",
    "latency",
    "generation_time",
    "streamed",
    "cancelled",
    "is_byok",
)


def inputs(spec: str, options: SourceOptions) -> list[SourceInput]:
    return [
        SourceInput(name=str(p), path=p) for p in list_files(spec, ("json", "csv"), "OpenRouter")
    ]


def read(source: SourceInput, options: SourceOptions) -> Iterator[SourceBatch]:
    assert source.path is not None
    con = connect()
    try:
        if file_format(source.path) == "csv":
            for raw in csv_batches(source.path):
                events = map_with_sql(con, raw.table, _csv_exprs(Cols(raw.table.column_names)))
                yield SourceBatch(
                    events, raw.rejections, raw.unit, native=CSV_NATIVE, shape="activity-csv"
                )
            return
        fast = _arrow_generations(source.path)
        if fast is not None:
            for start in range(0, fast.num_rows, BATCH):
                part = fast.slice(start, BATCH)
                events = map_with_sql(con, part, _generation_exprs(Cols(part.column_names)))
                yield SourceBatch(events, [], "line", native=GENERATION_NATIVE, shape="generation")
            return
        for records, rejections, unit in json_records(source.path):
            generations: list[tuple[int, dict[str, Any]]] = []
            activity: list[tuple[int, dict[str, Any]]] = []
            rankings: list[tuple[int, dict[str, Any]]] = []
            for pos, rec in records:
                if isinstance(rec.get("models"), list):
                    rankings.append((pos, rec))
                elif "requests" in rec and "date" in rec:
                    activity.append((pos, rec))
                else:
                    generations.append((pos, rec))
            if generations or rejections:
                table = records_table(
                    [
                        {k: rec.get(k) for k in _GENERATION_KEYS if k in rec}
                        for _, rec in generations
                    ],
                    [pos for pos, _ in generations],
                )
                events = map_with_sql(con, table, _generation_exprs(Cols(table.column_names)))
                yield SourceBatch(
                    events, rejections, unit, native=GENERATION_NATIVE, shape="generation"
                )
            if activity:
                yield SourceBatch(
                    _activity_rows(activity),
                    [],
                    unit,
                    kind="aggregates",
                    native=ACTIVITY_NATIVE,
                    shape="activity",
                )
            for pos, rec in rankings:
                yield SourceBatch(
                    _rankings_rows(rec),
                    [],
                    "item",
                    kind="aggregates",
                    native=RANKINGS_NATIVE,
                    shape=f"rankings (record {pos})",
                )
    finally:
        con.close()


def _arrow_generations(path: Path) -> pa.Table | None:
    """Generation JSONL through Arrow's JSON reader (fast) -- None when the file needs the
    record-by-record reader: not flat JSONL, blank or broken lines, mixed value types, or
    aggregate shapes."""
    import pyarrow.json as pajson

    try:
        with open_bytes(path) as fh:
            table = pajson.read_json(fh, read_options=pajson.ReadOptions(block_size=1 << 24))
        with open_bytes(path) as fh:
            lines = sum(1 for line in fh)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, ValueError):
        return None
    if table.num_rows != lines or not table.num_rows:
        return None  # blank lines would shift the line numbers
    names = set(table.column_names)
    if names == {"data"} and pa.types.is_struct(table.schema.field("data").type):
        table = pa.Table.from_arrays(
            table.column("data").flatten(), names=[f.name for f in table.schema.field("data").type]
        )
        names = set(table.column_names)
    if "data" in names or "models" in names or {"requests", "date"} <= names or "id" not in names:
        return None
    keep = [k for k in _GENERATION_KEYS if k in names]
    for k in keep:
        t = table.schema.field(k).type
        if pa.types.is_nested(t):
            return None
    table = table.select(keep)
    return table.append_column(POS, pa.array(range(1, table.num_rows + 1), pa.int64()))


def _generation_exprs(c: Cols) -> dict[str, str]:
    finish = c.v("finish_reason")
    return {
        "id": c.v("id"),
        "created_at": c.v("created_at"),
        "user_id": f"coalesce({c.first('external_user', 'user')}, '{ACCOUNT}')",
        "model": c.v("model"),
        "prompt_tokens": c.first("native_tokens_prompt", "tokens_prompt"),
        "completion_tokens": c.first("native_tokens_completion", "tokens_completion"),
        "reasoning_tokens": c.v("native_tokens_reasoning"),
        "cached_tokens": c.v("native_tokens_cached"),
        "cost_usd": c.first("total_cost", "usage"),
        "finish_reason": finish,
        "native_finish_reason": c.v("native_finish_reason"),
        "tools_provided": f"CASE WHEN lower({finish}) = 'tool_calls' THEN 'true' END",
        "streamed": c.v("streamed"),
        "cancelled": c.v("cancelled"),
        "is_byok": c.v("is_byok"),
        "provider": c.v("provider_name"),
        "app_id": c.v("app_id"),
        "latency_ms": c.v("latency"),
        "generation_time_ms": c.v("generation_time"),
    }


def _csv_exprs(c: Cols) -> dict[str, str]:
    slug, variant = c.v("model_permaslug"), c.v("variant")
    model = (
        f"CASE WHEN {variant} IS NOT NULL AND lower({variant}) NOT IN ('standard', 'default', 'none') "
        f"AND NOT contains({slug}, ':') THEN {slug} || ':' || lower({variant}) ELSE {slug} END"
    )
    byok = c.num("byok_usage_inference")
    finish = c.v("finish_reason_normalized")
    return {
        "id": c.v("generation_id"),
        "created_at": c.v("created_at"),
        "user_id": f"coalesce({c.first('user', 'api_key_name')}, '{ACCOUNT}')",
        "model": model,
        "prompt_tokens": c.v("tokens_prompt"),
        "completion_tokens": c.v("tokens_completion"),
        "reasoning_tokens": c.v("tokens_reasoning"),
        "cached_tokens": c.v("tokens_cached"),
        "cost_usd": c.v("cost_total"),
        "finish_reason": finish,
        "native_finish_reason": c.v("finish_reason_raw"),
        "tools_provided": f"CASE WHEN lower({finish}) = 'tool_calls' THEN 'true' END",
        "is_byok": f"CASE WHEN {byok} > 0 THEN 'true' WHEN {byok} IS NOT NULL THEN 'false' END"
        if c.has("byok_usage_inference")
        else "CAST(NULL AS VARCHAR)",
        "provider": c.v("provider_name"),
        "app_id": c.v("app_name"),
        "cancelled": c.v("cancelled"),
        "streamed": c.v("streamed"),
        "generation_time_ms": c.v("generation_time_ms"),
        "latency_ms": c.v("time_to_first_token_ms"),
    }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None if value is None else str(value)
    text = str(value).strip()
    return text or None


def _activity_rows(records: list[tuple[int, dict[str, Any]]]) -> pa.Table:
    rows = []
    for _, r in records:
        model = _text(r.get("model_permaslug")) or _text(r.get("model"))
        alias = _text(r.get("model")) or ""
        if model and ":" in alias and ":" not in model:  # keep the variant (":free") of the alias
            model += ":" + alias.rsplit(":", 1)[1]
        day = _text(r.get("date"))
        rows.append(
            {
                "key": f"openrouter-activity|{day}|{model}|{_text(r.get('endpoint_id')) or ''}",
                "source": "openrouter-activity",
                "period": "day",
                "period_start": day,
                "model": model,
                "provider": r.get("provider_name"),
                "endpoint_id": r.get("endpoint_id"),
                "requests": r.get("requests"),
                "prompt_tokens": r.get("prompt_tokens"),
                "completion_tokens": r.get("completion_tokens"),
                "reasoning_tokens": r.get("reasoning_tokens"),
                "usage_usd": r.get("usage"),
                "byok_usage_usd": r.get("byok_usage_inference"),
            }
        )
    return records_table(rows, [pos for pos, _ in records])


def rankings_week(label: str) -> str:
    """Monday of the week a rankings file covers: the ISO week holding the day before ``date``."""
    day = date.fromisoformat(label[:10]) - timedelta(days=1)
    return (day - timedelta(days=day.weekday())).isoformat()


def _rankings_rows(doc: dict[str, Any]) -> pa.Table:
    label = _text(doc.get("date")) or ""
    try:
        week: str | None = rankings_week(label)
    except ValueError:
        week = label or None
    rows, positions = [], []
    for i, m in enumerate(doc.get("models") or [], start=1):
        if not isinstance(m, dict):
            m = {"slug": None, "_bad": m}
        slug = _text(m.get("slug"))
        rows.append(
            {
                "key": f"openrouter-rankings|{week}|{slug}",
                "source": "openrouter-rankings",
                "period": "week",
                "period_start": week,
                "model": slug,
                "rank": m.get("rank"),
                "requests": m.get("request_count"),
                "prompt_tokens": m.get("prompt_tokens"),
                "completion_tokens": m.get("completion_tokens"),
                "reasoning_tokens": m.get("reasoning_tokens"),
                "cached_tokens": m.get("cached_tokens"),
                "total_tokens": m.get("total_tokens"),
            }
        )
        positions.append(i)
    return records_table(rows, positions)
