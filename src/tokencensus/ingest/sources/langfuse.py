"""Langfuse: GENERATION observations (public API / export), with their traces' user ids.

Input: JSONL or JSON of observations (``GET /api/public/observations`` pages, whose
``{"data": [...]}`` is unwrapped), and/or traces that embed their observations
(``GET /api/public/traces/{id}``).  Trace records (no ``type``; ``userId``) give
the user and metadata of their observations; ``--traces FILE`` reads them from a
separate file.  Observations of type SPAN or EVENT are skipped and counted.

One event per GENERATION:
    id <- id; created_at <- startTime; user_id <- userId on the observation, else the
    trace's userId, else "(unknown)"; model <- model (else providedModelName);
    prompt_tokens <- the sum of the usageDetails keys that are input (``input``,
    ``input_cached_tokens``, ``cache_read_input_tokens``, ...; Langfuse keeps cached
    tokens apart from ``input``), completion_tokens <- the sum of output keys, else
    usage.input / usage.output, else promptTokens / completionTokens; cached_tokens and
    reasoning_tokens <- the matching detail keys; cost_usd <- costDetails.total (else
    the sum of costDetails, else calculatedTotalCost / totalCost; estimated from list
    prices when Langfuse recorded none); finish_reason <- metadata / output
    ``finish_reason`` (also ``output.choices[0]``), else 'error' for level ERROR;
    tools_provided <- tools in modelParameters / input; latency_ms <-
    completionStartTime - startTime; generation_time_ms <- endTime - startTime;
    billing_country <- a country in the observation's or the trace's metadata; prompt
    text <- the first user message of ``input``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from tokencensus.ingest.sources.base import (
    PROMPT_TEXT,
    UNKNOWN_USER,
    SourceBatch,
    SourceInput,
    SourceOptions,
    country_hint,
    dig,
    first_user_text,
    records_table,
)
from tokencensus.ingest.sources.files import json_records, list_files

__all__ = ["NAME", "SHAPES", "inputs", "read"]

NAME = "langfuse"
SHAPES = ("observations", "traces")
NATIVE = {
    "created_at": "startTime",
    "user_id": "userId",
    "prompt_tokens": "usageDetails.input",
    "completion_tokens": "usageDetails.output",
    "cached_tokens": "usageDetails.input_cached_tokens",
    "reasoning_tokens": "usageDetails.output_reasoning_tokens",
    "cost_usd": "costDetails.total",
    "latency_ms": "completionStartTime",
    "generation_time_ms": "endTime",
}
_CACHED = (
    "input_cached_tokens",
    "cache_read_input_tokens",
    "input_cache_read",
    "cached_tokens",
    "input_cached",
    "cache_read",
)
_REASONING = ("output_reasoning_tokens", "reasoning_tokens", "output_reasoning", "reasoning")


def inputs(spec: str, options: SourceOptions) -> list[SourceInput]:
    return [
        SourceInput(name=str(p), path=p) for p in list_files(spec, ("json",), "Langfuse export")
    ]


@cache
def _trace_file(path: str, mtime: float) -> dict[str, dict[str, Any]]:
    traces: dict[str, dict[str, Any]] = {}
    for records, _, _ in json_records(Path(path)):
        for _, rec in records:
            if "type" not in rec and isinstance(rec.get("id"), str):
                traces[rec["id"]] = rec
    return traces


def read(source: SourceInput, options: SourceOptions) -> Iterator[SourceBatch]:
    assert source.path is not None
    traces: dict[str, dict[str, Any]] = {}
    if options.traces is not None:
        traces.update(_trace_file(str(options.traces), options.traces.stat().st_mtime))
    for records, rejections, unit in json_records(source.path):
        observations: list[tuple[int, dict[str, Any]]] = []
        for pos, rec in records:
            if "type" not in rec and ("userId" in rec or isinstance(rec.get("observations"), list)):
                if isinstance(rec.get("id"), str):
                    traces[rec["id"]] = rec
                for obs in rec.get("observations") or []:
                    if isinstance(obs, dict):
                        observations.append((pos, obs))
            else:
                observations.append((pos, rec))
        rows, positions = [], []
        skipped: dict[str, int] = {}
        for pos, obs in observations:
            kind = obs.get("type")
            if isinstance(kind, str) and kind.upper() != "GENERATION":
                skipped[f"type {kind}"] = skipped.get(f"type {kind}", 0) + 1
                continue
            trace_id = obs.get("traceId")
            trace = traces.get(trace_id) if isinstance(trace_id, str) else None
            rows.append(_event(obs, trace or {}))
            positions.append(pos)
        yield SourceBatch(
            records_table(rows, positions),
            rejections,
            unit,
            native=NATIVE,
            skipped=skipped,
            shape="observations",
            cost_from_prices=True,
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _usage(obs: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """prompt, completion, cached, reasoning tokens (values as found; junk passes through)."""
    details = obs.get("usageDetails")
    if isinstance(details, dict) and details:
        prompt = completion = 0.0
        found_in = found_out = False
        for key, value in details.items():
            k = str(key).lower()
            if k == "total":
                continue
            n = _number(value)
            if n is None:
                return value, value, None, None  # let validation name the bad value
            if k.startswith("output") or "completion" in k or k in _REASONING:
                completion += n
                found_out = True
            elif k.startswith("input") or "prompt" in k or "input" in k or k in _CACHED:
                prompt += n
                found_in = True
        cached = next((details[k] for k in _CACHED if k in details), None)
        reasoning = next((details[k] for k in _REASONING if k in details), None)
        return (
            _int(prompt) if found_in else None,
            _int(completion) if found_out else None,
            cached,
            reasoning,
        )
    usage = obs.get("usage")
    if isinstance(usage, dict) and ("input" in usage or "output" in usage):
        return usage.get("input"), usage.get("output"), None, None
    return obs.get("promptTokens"), obs.get("completionTokens"), None, None


def _int(x: float) -> Any:
    return int(x) if float(x).is_integer() else x


def _cost(obs: dict[str, Any]) -> Any:
    details = obs.get("costDetails")
    if isinstance(details, dict) and details:
        if "total" in details:
            return details["total"]
        values = [_number(v) for v in details.values()]
        if all(v is not None for v in values):
            return sum(values)  # type: ignore[arg-type]
        return next(v for v in details.values() if _number(v) is None)
    for key in ("calculatedTotalCost", "totalCost"):
        if obs.get(key) is not None:
            return obs[key]
    return None


def _ms_between(start: Any, end: Any) -> float | None:
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
        return (b - a).total_seconds() * 1000.0
    except (ValueError, TypeError):
        return None


def _finish(obs: dict[str, Any]) -> Any:
    metadata, output = obs.get("metadata"), obs.get("output")
    for scope, keys in (
        (metadata, ("finish_reason", "finishReason", "stop_reason")),
        (output, ("finish_reason", "stop_reason")),
    ):
        if isinstance(scope, dict):
            for key in keys:
                value = scope.get(key)
                if isinstance(value, str) and value:
                    return value
    value = dig(output, "choices", 0, "finish_reason")
    if isinstance(value, str) and value:
        return value
    if str(obs.get("level", "")).upper() == "ERROR":
        return "error"
    return None


def _tools(obs: dict[str, Any]) -> bool | None:
    for name in ("modelParameters", "input", "metadata"):
        scope = obs.get(name)
        if isinstance(scope, dict):
            value = scope.get("tools")
            if isinstance(value, (list, str)) and value:
                return True
    return None


def _event(obs: dict[str, Any], trace: dict[str, Any]) -> dict[str, Any]:
    prompt, completion, cached, reasoning = _usage(obs)
    start = obs.get("startTime")
    latency = _ms_between(start, obs.get("completionStartTime"))
    duration = _ms_between(start, obs.get("endTime"))
    user = obs.get("userId") or trace.get("userId") or UNKNOWN_USER
    return {
        "id": obs.get("id"),
        "created_at": start,
        "user_id": user,
        "model": obs.get("model") or obs.get("providedModelName"),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cached_tokens": cached,
        "reasoning_tokens": reasoning,
        "cost_usd": _cost(obs),
        "finish_reason": _finish(obs),
        "tools_provided": _tools(obs),
        "latency_ms": latency if latency is None or latency >= 0 else None,
        "generation_time_ms": duration if duration is None or duration >= 0 else None,
        "app_id": trace.get("name") if isinstance(trace.get("name"), str) else None,
        "billing_country": country_hint(obs.get("metadata"), trace.get("metadata")),
        PROMPT_TEXT: first_user_text(obs.get("input")),
    }
