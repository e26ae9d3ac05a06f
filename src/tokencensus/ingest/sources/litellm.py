"""LiteLLM proxy: the ``LiteLLM_SpendLogs`` table, read from PostgreSQL or its CSV / JSON export.

SPEC is a PostgreSQL URL (``postgresql://user:pass@host:5432/litellm``; the table is
``LiteLLM_SpendLogs`` unless ``--table`` says otherwise) or export files.  The driver
is psycopg 3 (``pip install 'tokencensus[postgres]'``).  A database read is
incremental: rows from one day before the newest ``startTime`` of the previous ingest
on, unless ``--full`` (the store's id anti-join drops the overlap).

One event per request (calls that are not generations -- embeddings, images,
moderation, speech, rerank, MCP tools, files, batches -- are skipped and counted):
    id <- request_id; created_at <- startTime; user_id <- end_user, else user, else
    api_key (hashed key), else team_id; model <- model, else model_group;
    prompt_tokens, completion_tokens; cost_usd <- spend; provider <- custom_llm_provider;
    app_id <- metadata.user_api_key_alias, else team_id; latency_ms <-
    completionStartTime - startTime; generation_time_ms <- request_duration_ms, else
    endTime - startTime; cached_tokens / reasoning_tokens <- metadata.usage_object
    (prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens);
    finish_reason <- response.choices[0].finish_reason, else 'error' when status is
    failure; tools_provided / streamed <- proxy_server_request (tools, stream; unknown
    when the request body was not stored);
    billing_country <- a country in metadata (``country``, ``billing_country``,
    headers such as ``cf-ipcountry``; ``requester_ip_address`` alone is not resolved:
    no GeoIP database ships offline); prompt text <- the first user message of
    ``messages`` (stored only with ``store_prompts_in_spend_logs``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.errors import InputError, MissingExtraError
from tokencensus.ingest.formats import POS
from tokencensus.ingest.sources.base import (
    PROMPT_TEXT,
    Cols,
    SourceBatch,
    SourceInput,
    SourceOptions,
    connect,
    first_user_text,
    json_paths,
    map_with_sql,
    records_table,
)
from tokencensus.ingest.sources.files import csv_batches, file_format, json_records, list_files

__all__ = ["NAME", "SHAPES", "SPEND_LOGS_COLUMNS", "inputs", "read", "redact_url"]

NAME = "litellm"
SHAPES = ("spend-logs",)
TABLE = "LiteLLM_SpendLogs"
LOOKBACK = timedelta(days=1)

#: LiteLLM_SpendLogs columns (schema.prisma) and their PostgreSQL types (Prisma mapping).
SPEND_LOGS_COLUMNS: dict[str, str] = {
    "request_id": "text",
    "call_type": "text",
    "api_key": "text",
    "spend": "double precision",
    "total_tokens": "integer",
    "prompt_tokens": "integer",
    "completion_tokens": "integer",
    "startTime": "timestamp(3)",
    "endTime": "timestamp(3)",
    "request_duration_ms": "integer",
    "completionStartTime": "timestamp(3)",
    "model": "text",
    "model_id": "text",
    "model_group": "text",
    "custom_llm_provider": "text",
    "api_base": "text",
    "user": "text",
    "metadata": "jsonb",
    "cache_hit": "text",
    "cache_key": "text",
    "request_tags": "jsonb",
    "team_id": "text",
    "organization_id": "text",
    "end_user": "text",
    "requester_ip_address": "text",
    "messages": "jsonb",
    "response": "jsonb",
    "session_id": "text",
    "status": "text",
    "mcp_namespaced_tool_name": "text",
    "agent_id": "text",
    "proxy_server_request": "jsonb",
}

NATIVE = {
    "id": "request_id",
    "created_at": "startTime",
    "user_id": "end_user",
    "cost_usd": "spend",
    "provider": "custom_llm_provider",
    "latency_ms": "completionStartTime",
    "generation_time_ms": "request_duration_ms",
    "cached_tokens": "metadata.usage_object",
    "reasoning_tokens": "metadata.usage_object",
    "finish_reason": "response",
}

#: call_type values that are not text generations (the 'a' prefix is LiteLLM's async twin).
NOT_GENERATIONS = re.compile(
    r"^a?(embedding|image_generation|image_edit|moderation|transcription|speech|rerank|"
    r"call_mcp_tool|list_mcp_tools|create_batch|retrieve_batch|list_batches|cancel_batch|"
    r"create_file|file_content|file_list|file_delete|file_retrieve|create_fine_tuning_job|"
    r"list_fine_tuning_jobs|cancel_fine_tuning_job|retrieve_fine_tuning_job|vector_store\w*|"
    r"search|ocr|video\w*|delete_responses|get_responses|acreate_skill)$"
)
_COUNTRY_PATHS = (
    "$.country",
    "$.billing_country",
    "$.country_code",
    "$.user_country",
    "$.requester_metadata.country",
    "$.requester_metadata.billing_country",
    "$.spend_logs_metadata.country",
    "$.spend_logs_metadata.billing_country",
    '$.headers."cf-ipcountry"',
    '$.headers."x-vercel-ip-country"',
    '$.headers."cloudfront-viewer-country"',
    '$.headers."x-country-code"',
)


def redact_url(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def inputs(spec: str, options: SourceOptions) -> list[SourceInput]:
    if spec.startswith(("postgresql://", "postgres://")):
        table = options.table or TABLE
        return [SourceInput(name=f"{redact_url(spec)}#{table}", kind="postgres", url=spec)]
    return [
        SourceInput(name=str(p), path=p)
        for p in list_files(spec, ("csv", "json"), "LiteLLM export")
    ]


def read(source: SourceInput, options: SourceOptions) -> Iterator[SourceBatch]:
    con = connect()
    try:
        for raw, rejections, unit in _raw_batches(source, options):
            yield _map(con, raw, rejections, unit)
    finally:
        con.close()


def _raw_batches(
    source: SourceInput, options: SourceOptions
) -> Iterator[tuple[pa.Table, list, str]]:
    if source.kind == "postgres":
        yield from _postgres_batches(source, options)
        return
    assert source.path is not None
    if file_format(source.path) == "csv":
        for raw in csv_batches(source.path):
            yield raw.table, raw.rejections, raw.unit
    else:
        for records, rejections, unit in json_records(source.path):
            yield records_table([r for _, r in records], [p for p, _ in records]), rejections, unit


# ------------------------------------------------------------------ mapping
_META_PATHS = (
    *_COUNTRY_PATHS,
    "$.usage_object.prompt_tokens_details.cached_tokens",
    "$.additional_usage_values.cache_read_input_tokens",
    "$.usage_object.completion_tokens_details.reasoning_tokens",
    "$.user_api_key_alias",
)


def _at(column: str, path: str, paths: tuple[str, ...]) -> str:
    """The value at ``path`` from a ``json_paths`` list column."""
    return f"nullif(trim({column}[{paths.index(path) + 1}]), '')"


def _map(con: Any, raw: pa.Table, rejections: list, unit: str) -> SourceBatch:
    c = Cols(raw.column_names)
    start = c.ts("startTime")
    psr = c.v("proxy_server_request")
    psr_paths = ("$.messages", "$.model", "$.stream")
    prelude = {
        "_meta": json_paths(c.v("metadata"), _META_PATHS),
        "_resp": json_paths(c.v("response"), ("$.choices[0].finish_reason",)),
        "_psr": json_paths(psr, psr_paths),
        "_psr_tools": f"CASE WHEN json_valid({psr}) THEN json_array_length({psr}, '$.tools') END",
    }

    def meta(path: str) -> str:
        return _at('"_meta"', path, _META_PATHS)

    country = "coalesce(" + ", ".join(meta(p) for p in _COUNTRY_PATHS) + ")"
    finish = (
        f"coalesce({c.first('_response_finish_reason')}, {_at('_resp', '$.choices[0].finish_reason', ('$.choices[0].finish_reason',))}, "
        f"CASE WHEN lower({c.v('status')}) IN ('failure', 'error', 'failed') THEN 'error' END)"
    )
    stored = f"({_at('_psr', '$.messages', psr_paths)} IS NOT NULL OR {_at('_psr', '$.model', psr_paths)} IS NOT NULL)"
    tools = (  # known only when the request body was stored (it has messages or a model)
        f"coalesce({c.v('_tools')}, CASE WHEN {stored} THEN "
        f"CASE WHEN coalesce(_psr_tools, 0) > 0 THEN 'true' ELSE 'false' END END)"
    )
    exprs = {
        "id": c.v("request_id"),
        "created_at": c.v("startTime"),
        "user_id": c.first("end_user", "user", "api_key", "team_id"),
        "model": c.first("model", "model_group"),
        "prompt_tokens": c.v("prompt_tokens"),
        "completion_tokens": c.v("completion_tokens"),
        "cost_usd": c.v("spend"),
        "cached_tokens": f"coalesce({meta('$.usage_object.prompt_tokens_details.cached_tokens')}, "
        f"{meta('$.additional_usage_values.cache_read_input_tokens')})",
        "reasoning_tokens": meta("$.usage_object.completion_tokens_details.reasoning_tokens"),
        "finish_reason": finish,
        "tools_provided": tools,
        "streamed": f"coalesce({c.v('_stream')}, {_at('_psr', '$.stream', psr_paths)})",
        "provider": c.v("custom_llm_provider"),
        "app_id": f"coalesce({meta('$.user_api_key_alias')}, {c.v('team_id')})",
        "latency_ms": f"date_diff('millisecond', {start}, {c.ts('completionStartTime')})",
        "generation_time_ms": f"coalesce(try_cast({c.v('request_duration_ms')} AS DOUBLE), "
        f"date_diff('millisecond', {start}, {c.ts('endTime')}))",
        "billing_country": country,
        "_call_type": c.v("call_type"),
        "_start": c.v("startTime"),
    }
    table = map_with_sql(con, raw, exprs, prelude)
    text = _prompt_texts(raw)
    if text is not None:
        table = table.append_column(PROMPT_TEXT, text)
    skipped: dict[str, int] = {}
    call_types = table.column("_call_type").to_pylist()
    keep = [ct is None or not NOT_GENERATIONS.match(ct.lower()) for ct in call_types]
    if not all(keep):
        for ct, k in zip(call_types, keep, strict=True):
            if not k:
                skipped[f"call_type {ct}"] = skipped.get(f"call_type {ct}", 0) + 1
        table = table.filter(pa.array(keep))
    starts = table.column("_start")
    watermark = pc.max(starts).as_py() if table.num_rows else None
    table = table.drop_columns(["_call_type", "_start"])
    return SourceBatch(
        table,
        rejections,
        unit,
        native=NATIVE,
        skipped=skipped,
        shape="spend-logs",
        watermark=watermark,
    )


def _prompt_texts(raw: pa.Table) -> pa.Array | None:
    for name in (
        "_first_user_message",
        "messages",
        "_psr_first_user_message",
        "proxy_server_request",
    ):
        if name in raw.column_names and raw.column(name).null_count < raw.num_rows:
            values = raw.column(name).to_pylist()
            if name.endswith("_first_user_message"):
                return pa.array(
                    [first_user_text([_json(v)]) if v else None for v in values], pa.string()
                )
            if name == "proxy_server_request":
                return pa.array(
                    [
                        first_user_text((_json(v) or {}).get("messages")) if v else None
                        for v in values
                    ],
                    pa.string(),
                )
            return pa.array([first_user_text(v) if v else None for v in values], pa.string())
    return None


def _json(value: Any) -> Any:
    import json

    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


# --------------------------------------------------------------- postgres
def _postgres_batches(
    source: SourceInput, options: SourceOptions
) -> Iterator[tuple[pa.Table, list, str]]:
    try:
        import psycopg
    except ImportError:
        raise MissingExtraError(
            "Reading LiteLLM's PostgreSQL database", "postgres", "psycopg"
        ) from None
    assert source.url is not None
    table = options.table or TABLE
    try:
        conn = psycopg.connect(source.url, connect_timeout=10)
    except psycopg.Error as exc:
        raise InputError(
            f"Cannot connect to PostgreSQL at {redact_url(source.url)}: {str(exc).strip()}"
        ) from None
    try:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            types = _table_columns(cur, table, source)
            query = _select(table, types, _since(options))
        copy_sql = f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER true)"
        with tempfile.TemporaryDirectory(prefix="tokencensus-litellm-") as tmp:
            dump = Path(tmp) / "spend_logs.csv"
            with conn.cursor() as cur, cur.copy(copy_sql) as copy, dump.open("wb") as fh:
                for chunk in copy:
                    fh.write(chunk)
            for raw in csv_batches(dump):
                rows_table = raw.table
                rows = pc.cast(rows_table.column("_row"), pa.int64())
                rows_table = rows_table.drop_columns(["_row", POS]).append_column(POS, rows)
                yield rows_table, [replace(r, file=source.name) for r in raw.rejections], "row"
    except psycopg.Error as exc:
        raise InputError(
            f"Reading {table} from {redact_url(source.url)} failed: {str(exc).strip()}"
        ) from None
    finally:
        conn.close()


def _table_columns(cur: Any, table: str, source: SourceInput) -> dict[str, str]:
    schema, _, name = table.rpartition(".")
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND (%s = '' OR table_schema = %s) ORDER BY ordinal_position",
        (name, schema, schema),
    )
    types = {row[0]: row[1] for row in cur.fetchall()}
    if not types:
        cur.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 LIMIT 20"
        )
        found = ", ".join(r[0] for r in cur.fetchall()) or "none"
        raise InputError(
            f"No table {table!r} in {redact_url(source.url or '')}. Tables found: {found}. "
            "Pass the spend-logs table with --table."
        )
    missing = [c for c in ("request_id", "startTime") if c not in types]
    if missing:
        raise InputError(
            f"Table {table!r} has no column {', '.join(missing)}: it is not a LiteLLM spend-logs table."
        )
    return types


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(table: str, types: dict[str, str], since: datetime | None) -> str:
    cols = []
    for name, dtype in types.items():
        col = _ident(name)
        is_json = dtype in ("json", "jsonb")
        j = f"{col}::jsonb" if dtype == "json" else col
        if name == "messages" and is_json:
            cols.append(
                f"(SELECT m::text FROM jsonb_array_elements(CASE WHEN jsonb_typeof({j}) = 'array' "
                f"THEN {j} ELSE '[]'::jsonb END) m WHERE m->>'role' = 'user' LIMIT 1) AS \"_first_user_message\""
            )
        elif name == "response" and is_json:
            cols.append(f"({j} #>> '{{choices,0,finish_reason}}') AS \"_response_finish_reason\"")
        elif name == "proxy_server_request" and is_json:
            cols.append(
                f"CASE WHEN jsonb_typeof({j}) = 'object' AND ({j} ? 'messages' OR {j} ? 'model') THEN "
                f"CASE WHEN jsonb_typeof({j}->'tools') = 'array' AND jsonb_array_length({j}->'tools') > 0 "
                f"THEN 'true' ELSE 'false' END END AS \"_tools\""
            )
            cols.append(f"({j} ->> 'stream') AS \"_stream\"")
            cols.append(
                f"(SELECT m::text FROM jsonb_array_elements(CASE WHEN jsonb_typeof({j}->'messages') = 'array' "
                f"THEN {j}->'messages' ELSE '[]'::jsonb END) m WHERE m->>'role' = 'user' LIMIT 1) "
                'AS "_psr_first_user_message"'
            )
        elif is_json or dtype == "ARRAY":
            cols.append(f"{col}::text AS {col}")
        else:
            cols.append(col)
    schema, _, name = table.rpartition(".")
    source = (_ident(schema) + "." if schema else "") + _ident(name)
    where = ""
    if since is not None:  # a datetime we computed: its ISO text is a safe literal
        where = f" WHERE \"startTime\" >= TIMESTAMP '{since.isoformat(sep=' ')}'"
    order = 'ORDER BY "startTime", "request_id"'
    cols.append(f'row_number() OVER ({order}) AS "_row"')
    return f"SELECT {', '.join(cols)} FROM {source}{where} {order}"


def _since(options: SourceOptions) -> datetime | None:
    if options.full or not options.previous:
        return None
    mark = options.previous.get("watermark")
    if not mark:
        return None
    try:
        return datetime.fromisoformat(str(mark)) - LOOKBACK
    except ValueError:
        return None
