"""Fuzz: truncated, mistyped, oversized and wrongly encoded records fed to every adapter.

Good records are mixed with corrupted copies of other records; whatever the corruption, the
ingest must not crash, every good record must land in the store, and every record read must be
accounted for (added, already present, duplicate, or quarantined).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest.helpers import events, run_ingest

DAY = "2025-05-{:02d}T{:02d}:00:00Z"
#: Examples per adapter (each is one full ingest); raise it for a longer hunt.
EXAMPLES = int(os.environ.get("TOKENCENSUS_FUZZ_EXAMPLES", "6"))


def _or(i: int) -> dict[str, Any]:
    return {
        "id": f"good-{i}",
        "created_at": DAY.format(12 + i % 7, i % 24),
        "model": "openai/gpt-4o-mini",
        "external_user": f"u{i % 5}",
        "tokens_prompt": 100 + i,
        "tokens_completion": 10,
        "total_cost": 0.001,
        "finish_reason": "stop",
        "native_finish_reason": "stop",
        "provider_name": "OpenAI",
        "streamed": True,
    }


def _or_csv(i: int) -> dict[str, Any]:
    return {
        "generation_id": f"good-{i}",
        "created_at": f"2025-05-{12 + i % 7:02d} {i % 24:02d}:00:00.000",
        "cost_total": "0.001",
        "tokens_prompt": str(100 + i),
        "tokens_completion": "10",
        "tokens_reasoning": "0",
        "tokens_cached": "0",
        "model_permaslug": "openai/gpt-4o-mini",
        "provider_name": "OpenAI",
        "variant": "standard",
        "cancelled": "false",
        "streamed": "true",
        "user": f"u{i % 5}",
        "finish_reason_raw": "stop",
        "finish_reason_normalized": "stop",
        "byok_usage_inference": "0",
    }


def _litellm(i: int) -> dict[str, Any]:
    return {
        "request_id": f"good-{i}",
        "call_type": "acompletion",
        "api_key": "k",
        "spend": "0.001",
        "prompt_tokens": str(100 + i),
        "completion_tokens": "10",
        "startTime": f"2025-05-{12 + i % 7:02d} 10:00:00",
        "endTime": f"2025-05-{12 + i % 7:02d} 10:00:02",
        "model": "gpt-4o-mini",
        "custom_llm_provider": "openai",
        "end_user": f"u{i % 5}",
        "status": "success",
        "metadata": json.dumps({"usage_object": {"prompt_tokens_details": {"cached_tokens": 0}}}),
        "response": json.dumps({"choices": [{"finish_reason": "stop"}]}),
    }


def _langfuse(i: int) -> dict[str, Any]:
    return {
        "id": f"good-{i}",
        "traceId": f"t{i}",
        "type": "GENERATION",
        "startTime": DAY.format(12 + i % 7, i % 24),
        "endTime": DAY.format(12 + i % 7, i % 24),
        "model": "gpt-4o-mini",
        "userId": f"u{i % 5}",
        "usageDetails": {"input": 100 + i, "output": 10},
        "costDetails": {"total": 0.001},
        "metadata": {"finish_reason": "stop"},
    }


def _otel(i: int) -> dict[str, Any]:
    def attr(key: str, value: Any) -> dict[str, Any]:
        kind = "intValue" if isinstance(value, int) else "stringValue"
        return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}

    span = {
        "traceId": f"{i:032x}",
        "spanId": f"{i:016x}",
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": str((1747000000 + i) * 10**9),
        "endTimeUnixNano": str((1747000001 + i) * 10**9),
        "attributes": [
            attr("gen_ai.operation.name", "chat"),
            attr("gen_ai.request.model", "gpt-4o-mini"),
            attr("gen_ai.usage.input_tokens", 100 + i),
            attr("gen_ai.usage.output_tokens", 10),
            attr("gen_ai.usage.cost", "0.001"),
            attr("user.id", f"u{i % 5}"),
        ],
    }
    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [span]}]}]}


def _conversation(i: int) -> dict[str, Any]:
    return {
        "conversation_hash": f"good-{i}",
        "model": "gpt-4o-mini",
        "timestamp": DAY.format(12 + i % 7, i % 24),
        "hashed_ip": f"ip{i % 5}",
        "country": "United States",
        "language": "English",
        "conversation": [
            {"role": "user", "content": f"question {i}"},
            {"role": "assistant", "content": "answer"},
        ],
    }


def _table(i: int) -> dict[str, Any]:
    return {
        "rid": f"good-{i}",
        "ts": f"2025-05-{12 + i % 7:02d}T10:00:00Z",
        "who": f"u{i % 5}",
        "m": "gpt-4o-mini",
        "in": str(100 + i),
        "out": "10",
        "usd": "0.001",
    }


MAPPING = (
    '[columns]\nid = "rid"\ncreated_at = "ts"\nuser_id = "who"\nmodel = "m"\nprompt_tokens = "in"\n'
    'completion_tokens = "out"\ncost_usd = "usd"\n'
)


def _litellm_embedding(i: int) -> dict[str, Any]:
    return {**_litellm(i), "call_type": "aembedding"}


def _langfuse_span(i: int) -> dict[str, Any]:
    return {**_langfuse(i), "type": "SPAN"}


def _otel_other(i: int) -> dict[str, Any]:
    request = _otel(i)
    span = request["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"] = [{"key": "http.method", "value": {"stringValue": "GET"}}]
    return request


def _conversation_unanswered(i: int) -> dict[str, Any]:
    record = _conversation(i)
    record["conversation"] = record["conversation"][:1]
    return record


@dataclass(frozen=True)
class Adapter:
    fmt: str
    good: Callable[[int], dict[str, Any]]
    event_id: Callable[[int], str]
    kind: str  # jsonl | csv
    suffix: str
    options: dict[str, Any] = field(default_factory=dict)
    #: a record the format holds that is not a generation (skipped and counted)
    other: Callable[[int], dict[str, Any]] | None = None


ADAPTERS = [
    Adapter("openrouter", _or, lambda i: f"good-{i}", "jsonl", ".jsonl"),
    Adapter("openrouter", _or_csv, lambda i: f"good-{i}", "csv", ".csv"),
    Adapter("litellm", _litellm, lambda i: f"good-{i}", "csv", ".csv", other=_litellm_embedding),
    Adapter("langfuse", _langfuse, lambda i: f"good-{i}", "jsonl", ".jsonl", other=_langfuse_span),
    Adapter("otel", _otel, lambda i: f"{i:032x}-{i:016x}", "jsonl", ".jsonl", other=_otel_other),
    Adapter(
        "conversations",
        _conversation,
        lambda i: f"good-{i}:1",
        "jsonl",
        ".jsonl",
        other=_conversation_unanswered,
    ),
    Adapter("table", _table, lambda i: f"good-{i}", "csv", ".csv", {"mapping": True}),
]

JUNK = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
CORRUPTIONS = st.sampled_from(["truncate", "mistype", "oversize", "encoding", "garbage"])


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            out += _paths(v, (*prefix, k))
    return out


def _set_path(obj: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def _csv_line(columns: list[str], row: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row.get(c, "") for c in columns])
    return buf.getvalue().encode("utf-8")


@st.composite
def corrupted(draw: st.DrawFn, adapter: Adapter, i: int, columns: list[str]) -> bytes:
    record = adapter.good(i)
    kind = draw(CORRUPTIONS)
    if kind == "mistype":
        if adapter.kind == "csv":
            record[draw(st.sampled_from(sorted(record)))] = str(draw(JUNK))
        else:
            _set_path(record, draw(st.sampled_from(_paths(record))), draw(JUNK))
    elif kind == "oversize":
        key = draw(st.sampled_from(sorted(record)))
        record[key] = draw(st.sampled_from(["x" * 5000, 10**30, "9" * 400]))
    line = (
        _csv_line(columns, record)
        if adapter.kind == "csv"
        else (json.dumps(record) + "\n").encode("utf-8")
    )
    line = line.rstrip(b"\n")
    if kind == "truncate" and len(line) > 1:
        line = line[: draw(st.integers(min_value=1, max_value=len(line) - 1))]
    elif kind == "encoding":
        at = draw(st.integers(min_value=0, max_value=len(line)))
        line = (
            line[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xe9t\xe9", b"\x80\x80"]))
            + line[at:]
        )
    elif kind == "garbage":
        line = draw(st.binary(min_size=1, max_size=60)).replace(b"\n", b" ").replace(b"\r", b" ")
    return line + b"\n"


def _line(adapter: Adapter, columns: list[str], record: dict[str, Any]) -> bytes:
    if adapter.kind == "csv":
        return _csv_line(columns, record)
    return (json.dumps(record) + "\n").encode()


@st.composite
def mixed_file(draw: st.DrawFn, adapter: Adapter) -> tuple[bytes, list[str], int]:
    """Good, corrupted and not-generation records in any order; any of the three kinds may be
    absent (a file of only bad records, or of only skipped ones, has no good row at all)."""
    n_good = draw(st.integers(min_value=0, max_value=10))
    n_bad = draw(st.integers(min_value=0, max_value=8))
    n_other = draw(st.integers(min_value=0, max_value=4)) if adapter.other else 0
    if n_good + n_bad + n_other == 0:
        n_bad = 1
    columns = sorted(adapter.good(0)) if adapter.kind == "csv" else []
    good = [("good", i) for i in range(n_good)]
    bad = [("bad", 1000 + i) for i in range(n_bad)]
    other = [("other", 2000 + i) for i in range(n_other)]
    order = draw(st.permutations(good + bad + other))
    lines = []
    for kind, i in order:
        if kind == "good":
            lines.append(_line(adapter, columns, adapter.good(i)))
        elif kind == "other":
            assert adapter.other is not None
            lines.append(_line(adapter, columns, adapter.other(i)))
        else:
            lines.append(draw(corrupted(adapter, i, columns)))
    data = _header(adapter, columns) + b"".join(lines)
    return data, [adapter.event_id(i) for i in range(n_good)], n_other


def _check(adapter: Adapter, data: bytes, good_ids: list[str], n_other: int = 0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = root / f"input{adapter.suffix}"
        src.write_bytes(data)
        options = dict(adapter.options)
        if options.get("mapping"):
            (root / "mapping.toml").write_text(MAPPING, encoding="utf-8")
            options["mapping"] = root / "mapping.toml"
        summary = run_ingest(src, adapter.fmt, root / "store", **options)
        stored = set(events(root / "store").column("id").to_pylist())
        missing = [i for i in good_ids if i not in stored]
        assert not missing, f"good records lost: {missing}"
        assert summary.read == (
            summary.added
            + summary.already_present
            + summary.duplicates_in_input
            + summary.quarantined
        )
        # a corrupted record may be skipped too (e.g. its type mistyped to another kind)
        assert sum(summary.not_generations.values()) >= n_other


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: f"{a.fmt}-{a.kind}")
def test_fuzzed_input_never_loses_a_good_record(adapter: Adapter) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mixed_file(adapter))
    def run(case: tuple[bytes, list[str], int]) -> None:
        _check(adapter, *case)

    run()


def _header(adapter: Adapter, columns: list[str]) -> bytes:
    return (",".join(columns) + "\n").encode() if adapter.kind == "csv" else b""


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: f"{a.fmt}-{a.kind}")
def test_input_of_only_bad_records(adapter: Adapter) -> None:
    """The edge the random draws may miss: not one good record (every line cut in half)."""
    columns = sorted(adapter.good(0)) if adapter.kind == "csv" else []
    lines = [_line(adapter, columns, adapter.good(i)) for i in range(3)]
    data = _header(adapter, columns) + b"".join(line[: len(line) // 2] + b"\n" for line in lines)
    _check(adapter, data, [])


@pytest.mark.parametrize(
    "adapter", [a for a in ADAPTERS if a.other], ids=lambda a: f"{a.fmt}-{a.kind}"
)
def test_input_of_only_skipped_records(adapter: Adapter) -> None:
    """Not one generation: every record is of a kind the format skips (spans, embeddings...)."""
    assert adapter.other is not None
    columns = sorted(adapter.good(0)) if adapter.kind == "csv" else []
    lines = [_line(adapter, columns, adapter.other(i)) for i in range(3)]
    _check(adapter, _header(adapter, columns) + b"".join(lines), [], 3)
