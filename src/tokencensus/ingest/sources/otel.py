"""OpenTelemetry GenAI spans, exported as OTLP JSON (``{"resourceSpans": [...]}`` per line or file).

The OpenTelemetry collector's file exporter writes one ExportTraceServiceRequest per
line; a single request per file works too.  Spans without ``gen_ai.*`` / ``llm.*``
attributes, and GenAI operations that are not generations (embeddings, tool
execution, agent spans -- whose usage repeats their child calls'), are skipped and
counted.  Attribute names of the current semantic conventions and of older ones
(and of OpenLLMetry) are read alike; the first name present wins:

    id <- traceId + "-" + spanId; created_at <- startTimeUnixNano
    user_id <- user.id, enduser.id, langfuse.user.id, gen_ai.user.id; else "(unknown)"
    model <- gen_ai.response.model, gen_ai.request.model
    prompt_tokens <- gen_ai.usage.input_tokens, gen_ai.usage.prompt_tokens, llm.usage.prompt_tokens
    completion_tokens <- gen_ai.usage.output_tokens, gen_ai.usage.completion_tokens, llm.usage.completion_tokens
    cached_tokens <- gen_ai.usage.cache_read.input_tokens, gen_ai.usage.cache_read_input_tokens,
                     gen_ai.usage.input_tokens.cached
    reasoning_tokens <- gen_ai.usage.reasoning.output_tokens, gen_ai.usage.reasoning_tokens
    cost_usd <- gen_ai.usage.cost, llm.usage.cost (else estimated from list prices)
    finish_reason <- gen_ai.response.finish_reasons[0] (older: a string); 'error' for
                     status ERROR or error.type
    provider <- gen_ai.provider.name, gen_ai.system
    tools_provided <- gen_ai.tool.definitions, gen_ai.request.tools, llm.request.functions.*
    streamed <- gen_ai.request.stream, llm.is_streaming
    generation_time_ms <- endTimeUnixNano - startTimeUnixNano
    billing_country <- geo.country.iso_code, client.geo.country.iso_code, user.country
                       (span or resource attributes)
    prompt text <- gen_ai.input.messages, gen_ai.prompt (JSON), gen_ai.prompt.0.content
                   (indexed), or a gen_ai.user.message / gen_ai.content.prompt span event
    app_id <- service.name (resource)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tokencensus.ingest.quarantine import FieldError, Rejection
from tokencensus.ingest.sources.base import (
    PROMPT_TEXT,
    UNKNOWN_USER,
    SourceBatch,
    SourceInput,
    SourceOptions,
    first_user_text,
    iso_from_nanos,
    records_table,
)
from tokencensus.ingest.sources.files import json_records, list_files

__all__ = ["NAME", "SHAPES", "inputs", "read"]

NAME = "otel"
SHAPES = ("otlp-json",)
NATIVE = {
    "id": "spanId",
    "created_at": "startTimeUnixNano",
    "model": "gen_ai.response.model",
    "prompt_tokens": "gen_ai.usage.input_tokens",
    "completion_tokens": "gen_ai.usage.output_tokens",
    "cached_tokens": "gen_ai.usage.cache_read.input_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
    "cost_usd": "gen_ai.usage.cost",
    "finish_reason": "gen_ai.response.finish_reasons",
    "provider": "gen_ai.provider.name",
    "generation_time_ms": "endTimeUnixNano",
}
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "user_id": ("user.id", "enduser.id", "langfuse.user.id", "gen_ai.user.id"),
    "model": (
        "gen_ai.response.model",
        "gen_ai.request.model",
        "llm.response.model",
        "llm.request.model",
    ),
    "prompt_tokens": (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "llm.usage.prompt_tokens",
    ),
    "completion_tokens": (
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.usage.completion_tokens",
    ),
    "cached_tokens": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.input_tokens.cached",
    ),
    "reasoning_tokens": ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"),
    "cost_usd": ("gen_ai.usage.cost", "llm.usage.cost", "gen_ai.cost"),
    "finish_reason": (
        "gen_ai.response.finish_reasons",
        "gen_ai.response.finish_reason",
        "llm.response.finish_reason",
    ),
    "provider": ("gen_ai.provider.name", "gen_ai.system", "llm.vendor"),
    "streamed": ("gen_ai.request.stream", "llm.is_streaming"),
    "billing_country": ("geo.country.iso_code", "client.geo.country.iso_code", "user.country"),
}
NOT_GENERATIONS = {
    "embeddings",
    "embedding",
    "execute_tool",
    "create_agent",
    "invoke_agent",
    "invoke_workflow",
    "retrieval",
    "rerank",
}


def inputs(spec: str, options: SourceOptions) -> list[SourceInput]:
    return [SourceInput(name=str(p), path=p) for p in list_files(spec, ("json",), "OTLP JSON")]


def any_value(value: Any) -> Any:
    """An OTLP AnyValue -> a Python value (int64 come as decimal strings in OTLP JSON)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        v = value["intValue"]
        try:
            return int(v)
        except (TypeError, ValueError):
            return v
    if "doubleValue" in value:
        return value["doubleValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "arrayValue" in value:
        items = value["arrayValue"].get("values") if isinstance(value["arrayValue"], dict) else None
        return [any_value(v) for v in items or []]
    if "kvlistValue" in value:
        kv = value["kvlistValue"].get("values") if isinstance(value["kvlistValue"], dict) else None
        return attributes(kv)
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                out[item["key"]] = any_value(item.get("value"))
    return out


def _first(attrs: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if attrs.get(name) is not None:
            return attrs[name]
    return None


def read(source: SourceInput, options: SourceOptions) -> Iterator[SourceBatch]:
    assert source.path is not None
    for records, rejections, unit in json_records(source.path, unwrap_data=False):
        rows: list[dict[str, Any]] = []
        positions: list[int] = []
        skipped: dict[str, int] = {}
        rejections = list(rejections)
        for pos, request in records:
            resource_spans = request.get("resourceSpans")
            if not isinstance(resource_spans, list):
                rejections.append(
                    Rejection(
                        str(source.path),
                        pos,
                        unit,
                        (FieldError("resourceSpans", "missing: not an OTLP JSON trace export"),),
                        {k: request[k] for k in list(request)[:5]},
                    )
                )
                continue
            for rs in resource_spans:
                if not isinstance(rs, dict):
                    continue
                resource = attributes(
                    rs.get("resource", {}).get("attributes")
                    if isinstance(rs.get("resource"), dict)
                    else None
                )
                scopes = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []
                for scope in scopes if isinstance(scopes, list) else []:
                    spans = scope.get("spans") if isinstance(scope, dict) else None
                    for span in spans if isinstance(spans, list) else []:
                        if not isinstance(span, dict):
                            continue
                        event, reason = _event(span, resource)
                        if event is None:
                            skipped[reason] = skipped.get(reason, 0) + 1
                            continue
                        rows.append(event)
                        positions.append(pos)
        yield SourceBatch(
            records_table(rows, positions),
            rejections,
            unit,
            native=NATIVE,
            skipped=skipped,
            shape="otlp-json",
            cost_from_prices=True,
        )


def _prompt(attrs: dict[str, Any], span: dict[str, Any]) -> str | None:
    for name in ("gen_ai.input.messages", "gen_ai.prompt"):
        value = attrs.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value[:1000] if name == "gen_ai.prompt" else None
        text = first_user_text(value)
        if text:
            return text
    indexed = []
    i = 0
    while f"gen_ai.prompt.{i}.content" in attrs or f"gen_ai.prompt.{i}.role" in attrs:
        indexed.append(
            {
                "role": attrs.get(f"gen_ai.prompt.{i}.role"),
                "content": attrs.get(f"gen_ai.prompt.{i}.content"),
            }
        )
        i += 1
    if indexed:
        return first_user_text(indexed)
    for event in span.get("events") or []:
        if not isinstance(event, dict):
            continue
        if event.get("name") in ("gen_ai.user.message", "gen_ai.content.prompt"):
            ea = attributes(event.get("attributes"))
            value = ea.get("content", ea.get("gen_ai.prompt"))
            if isinstance(value, str):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    return value[:1000]
                return first_user_text(parsed) or (
                    value[:1000] if isinstance(parsed, str) else None
                )
    return None


def _event(span: dict[str, Any], resource: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    attrs = attributes(span.get("attributes"))
    for key in attrs:
        if key.startswith(("gen_ai.", "llm.")):
            break
    else:
        return None, "not a GenAI span"
    op = attrs.get("gen_ai.operation.name") or attrs.get("llm.request.type")
    if isinstance(op, str) and op.lower() in NOT_GENERATIONS:
        return None, f"operation {op}"
    finish = _first(attrs, ATTRIBUTES["finish_reason"])
    if isinstance(finish, list):
        finish = next((f for f in finish if f), None)
    status: dict[str, Any] = span["status"] if isinstance(span.get("status"), dict) else {}
    if finish is None and (
        status.get("code") in (2, "STATUS_CODE_ERROR", "2") or attrs.get("error.type")
    ):
        finish = "error"
    start_ns, end_ns = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
    duration: float | None = None
    try:
        duration = (int(end_ns) - int(start_ns)) / 1e6  # type: ignore[arg-type]
        duration = duration if duration >= 0 else None
    except (TypeError, ValueError):
        pass
    tools = None
    if any(k in attrs for k in ("gen_ai.tool.definitions", "gen_ai.request.tools")) or any(
        k.startswith("llm.request.functions.") for k in attrs
    ):
        tools = True
    trace_id, span_id = span.get("traceId"), span.get("spanId")
    event_id = f"{trace_id}-{span_id}" if trace_id and span_id else (span_id or None)
    return {
        "id": event_id,
        "created_at": iso_from_nanos(start_ns),
        "user_id": _first(attrs, ATTRIBUTES["user_id"])
        or _first(resource, ATTRIBUTES["user_id"])
        or UNKNOWN_USER,
        "model": _first(attrs, ATTRIBUTES["model"]),
        "prompt_tokens": _first(attrs, ATTRIBUTES["prompt_tokens"]),
        "completion_tokens": _first(attrs, ATTRIBUTES["completion_tokens"]),
        "cached_tokens": _first(attrs, ATTRIBUTES["cached_tokens"]),
        "reasoning_tokens": _first(attrs, ATTRIBUTES["reasoning_tokens"]),
        "cost_usd": _first(attrs, ATTRIBUTES["cost_usd"]),
        "finish_reason": finish,
        "provider": _first(attrs, ATTRIBUTES["provider"]),
        "streamed": _first(attrs, ATTRIBUTES["streamed"]),
        "tools_provided": tools,
        "generation_time_ms": duration,
        "app_id": resource.get("service.name"),
        "billing_country": _first(attrs, ATTRIBUTES["billing_country"])
        or _first(resource, ATTRIBUTES["billing_country"]),
        PROMPT_TEXT: _prompt(attrs, span),
    }, ""
