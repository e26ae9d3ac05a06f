"""Adapters: each raw sample paired with its expected canonical rows, quarantine and skips."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.ingest.cases import CASES, Case, observed
from tests.ingest.helpers import FIXTURES, SALT, events, quarantine, run_ingest
from tokencensus.errors import ConfigError, InputError
from tokencensus.ingest.pipeline import _normalize_finish, pseudonymize
from tokencensus.ingest.sources import SOURCES, get_source
from tokencensus.ingest.sources.base import (
    country_code,
    finish_reason_map,
    first_user_text,
    language_code,
)
from tokencensus.ingest.sources.conversations import encoding_for
from tokencensus.ingest.sources.openrouter import rankings_week
from tokencensus.schema import EVENT_SCHEMA, FINISH_REASONS


def _hashed(user: str | None) -> str | None:
    return None if user is None else pseudonymize(pa.array([user]), SALT)[0].as_py()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_adapter_sample_gives_expected_rows(case: Case, tmp_path: Path) -> None:
    expected = json.loads(case.expected.read_text(encoding="utf-8"))
    got = observed(case, tmp_path / "store")
    assert [r["id"] for r in got["events"]] == [r["id"] for r in expected["events"]]
    for row, want in zip(got["events"], expected["events"], strict=True):
        want = {**want, "user_id": _hashed(want["user_id"])}
        assert set(row) == set(EVENT_SCHEMA.names)
        for name in EVENT_SCHEMA.names:
            if isinstance(want[name], float):
                assert row[name] == pytest.approx(want[name], rel=1e-9), (row["id"], name)
            else:
                assert row[name] == want[name], (row["id"], name)
    assert got["aggregates"] == expected["aggregates"]
    assert got["quarantine"] == expected["quarantine"]
    assert got["not_generations"] == expected["not_generations"]


def test_every_adapter_has_the_same_interface() -> None:
    for name in SOURCES:
        module = get_source(name)
        assert name == module.NAME
        assert module.SHAPES
        assert callable(module.inputs) and callable(module.read)
        if name != "table":  # its mapping is the user's file
            assert module.__doc__ and "<-" in module.__doc__, f"{name}: document the field mapping"


def test_unknown_format_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match=r"Unknown format 'litelm'\. Did you mean litellm\?"):
        get_source("litelm")


def test_quarantine_names_file_line_field_and_reason(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(FIXTURES / "openrouter" / "activity.csv", "openrouter", store)
    bad = {q["line"]: q for q in quarantine(store)}
    assert bad[6]["file"].endswith("activity.csv")
    assert (bad[6]["field"], bad[6]["reason"]) == ("cost_total", "not a number: 'abc'")
    assert bad[8]["reason"] == "expected 24 fields, found 5"
    assert bad[6]["record"]["id"] == "gen-1751000005-Kx5"


def test_prompt_text_is_used_then_dropped(tmp_path: Path) -> None:
    """Language detected, a sample classified; no text anywhere in the store's Parquet."""
    store = tmp_path / "store"
    summary = run_ingest(FIXTURES / "litellm" / "spend_logs.csv", "litellm", store, sample_rate=1.0)
    rows = {r["id"]: r for r in events(store).to_pylist()}
    assert rows["chatcmpl-7f3a1c2e-0001"]["prompt_language"] == "en"
    assert rows["chatcmpl-7f3a1c2e-0006"]["prompt_language"] == "fr"
    assert rows["chatcmpl-7f3a1c2e-0001"]["sampled"] is True
    assert isinstance(rows["chatcmpl-7f3a1c2e-0001"]["categories"], list)
    assert rows["chatcmpl-7f3a1c2e-0002"]["sampled"] is False  # no text recorded
    assert summary.added == 4
    for part in (store / "events").rglob("*.parquet"):
        table = pq.read_table(part)
        assert table.schema.names == EVENT_SCHEMA.names
        for col in table.columns:
            if pa.types.is_string(col.type):
                for value in col.to_pylist():
                    assert value is None or ("invoice" not in value and "paragraphe" not in value)


def test_user_ids_are_salted_hashes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(FIXTURES / "openrouter" / "generations.jsonl", "openrouter", store)
    users = set(events(store).column("user_id").to_pylist())
    assert "cust-0042" not in users
    assert _hashed("cust-0042") in users
    assert all(len(u) == 32 for u in users)
    other = pseudonymize(pa.array(["cust-0042"]), b"another-salt-0123456789")[0].as_py()
    assert other != _hashed("cust-0042")


def test_finish_reason_table() -> None:
    table = finish_reason_map()
    assert set(table.values()) <= set(FINISH_REASONS)
    assert _normalize_finish("end_turn") == "stop"
    assert _normalize_finish("MAX_TOKENS") == "length"
    assert _normalize_finish("tool_use") == "tool_calls"
    assert _normalize_finish("SAFETY") == "content_filter"
    assert _normalize_finish("something new") == "other"
    assert _normalize_finish("  ") is None


@pytest.mark.parametrize(
    ("hint", "code"),
    [
        ("US", "US"),
        ("us", "US"),
        ("United States", "US"),
        ("South Korea", "KR"),
        ("Korea (South)", "KR"),
        ("Russia", "RU"),
        ("Bosnia & Herzegovina", "BA"),
        ("Türkiye", "TR"),
        ("Deutschland", None),
        ("", None),
    ],
)
def test_country_hints(hint: str, code: str | None) -> None:
    assert country_code(hint) == code


def test_language_hints() -> None:
    assert language_code("English") == "en"
    assert language_code("zh-hans") == "zh-Hans"
    assert language_code("Klingon") is None


def test_first_user_text_shapes() -> None:
    assert (
        first_user_text([{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}])
        == "hi"
    )
    assert first_user_text([{"role": "user", "content": [{"type": "text", "text": "a"}]}]) == "a"
    assert first_user_text({"messages": [{"role": "user", "content": "m"}]}) == "m"
    assert first_user_text("a bare prompt") == "a bare prompt"
    assert first_user_text('[{"role": "user", "parts": [{"content": "p"}]}]') == "p"
    assert first_user_text("x" * 5000) == "x" * 1000


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("openai/gpt-4.1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("gpt-4-0314", "cl100k_base"),
        ("gpt-3.5-turbo-0613", "cl100k_base"),
        ("gpt-oss-120b", "o200k_harmony"),
        ("meta-llama/llama-3.1-8b-instruct", "llama3"),
        ("qwen2.5-72b-instruct", "qwen3"),
        ("vicuna-13b", "cl100k_base"),
    ],
)
def test_token_encoding_by_model_family(model: str, encoding: str) -> None:
    assert encoding_for(model) == encoding


@pytest.mark.parametrize(
    ("label", "monday"),
    [("2025-11-30", "2025-11-24"), ("2026-02-08", "2026-02-02"), ("2026-02-16", "2026-02-09")],
)
def test_rankings_file_week(label: str, monday: str) -> None:
    """Files named by the week's Sunday and by the next Monday land on the same ISO week."""
    assert rankings_week(label) == monday


# --------------------------------------------------------------- table mapping
def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


REQUIRED = (
    'id = "request_id"\ncreated_at = "request_created_at"\nuser_id = "user_id"\nmodel = "model"\n'
    'prompt_tokens = "prompt_tokens"\ncompletion_tokens = "completion_tokens"\n'
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[columns]\n" + REQUIRED + 'cost_usd = "cost"\nprompt_tokenz = "x"\n',
            r"'prompt_tokenz' is not a canonical field\. Did you mean prompt_tokens\?",
        ),
        ("[columns]\n" + REQUIRED, r"no column or constant for required field\(s\) cost_usd"),
        (
            "[columns]\n" + REQUIRED + 'cost_usd = "cost"\n[extra]\na = 1\n',
            r"unknown section\(s\) extra",
        ),
        ("[columns\n", "not a valid TOML mapping file"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_ingest(
            FIXTURES / "table" / "helicone.csv",
            "table",
            tmp_path / "s",
            mapping=_mapping(tmp_path, text),
        )


def test_mapping_column_missing_from_file(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "[columns]\n" + REQUIRED + 'cost_usd = "costs"\n')
    with pytest.raises(
        InputError, match=r"column 'costs' named in the mapping .* Did you mean cost\?"
    ):
        run_ingest(FIXTURES / "table" / "helicone.csv", "table", tmp_path / "s", mapping=mapping)


def test_table_needs_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a column-mapping file"):
        run_ingest(FIXTURES / "table" / "helicone.csv", "table", tmp_path / "s")


def test_table_constants_and_jsonl(tmp_path: Path) -> None:
    data = tmp_path / "log.jsonl"
    data.write_text(
        json.dumps(
            {
                "rid": "r1",
                "t": 1747041302,
                "who": "u",
                "m": "gpt-4o-mini",
                "in": 5,
                "out": 2,
                "usd": 0.1,
            }
        )
        + "\n"
        + json.dumps(
            {"rid": "r2", "t": 1747041303, "who": "u", "m": "gpt-4o-mini", "in": 5, "out": 2}
        )
        + "\n",
        encoding="utf-8",
    )
    mapping = _mapping(
        tmp_path,
        '[columns]\nid = "rid"\ncreated_at = "t"\nuser_id = "who"\nmodel = "m"\nprompt_tokens = "in"\n'
        'completion_tokens = "out"\ncost_usd = "usd"\n[constants]\nprovider = "gateway-x"\n',
    )
    summary = run_ingest(data, "table", tmp_path / "s", mapping=mapping)
    rows = events(tmp_path / "s").to_pylist()
    assert [r["provider"] for r in rows] == ["gateway-x"]
    assert summary.quarantined == 1 and summary.added == 1


def test_missing_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run_ingest(tmp_path / "nope.jsonl", "otel", tmp_path / "s")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no OTLP JSON files"):
        run_ingest(tmp_path / "empty", "otel", tmp_path / "s")


# ------------------------------------------------- batches without a generation
def _otel_line(span_id: int, *, genai: bool) -> dict:
    attrs = [{"key": "http.method", "value": {"stringValue": "GET"}}]
    if genai:
        attrs = [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "10"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "2"}},
        ]
    span = {
        "traceId": "a" * 32,
        "spanId": f"{span_id:016x}",
        "name": "chat" if genai else "GET /",
        "startTimeUnixNano": "1747000000000000000",
        "endTimeUnixNano": "1747000001000000000",
        "attributes": attrs,
    }
    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [span]}]}]}


NO_GENERATIONS = [
    (
        "langfuse",
        [{"id": "s1", "traceId": "t1", "type": "SPAN", "startTime": "2025-05-12T00:00:00Z"}],
        {"type SPAN": 1},
    ),
    ("otel", [_otel_line(1, genai=False)], {"not a GenAI span": 1}),
    (
        "conversations",
        [
            {
                "conversation_hash": "h1",
                "model": "gpt-4o-mini",
                "timestamp": "2025-05-12T00:00:00Z",
                "conversation": [{"role": "user", "content": "hello?"}],
            }
        ],
        {"no assistant reply": 1},
    ),
]


@pytest.mark.parametrize(
    ("fmt", "records", "skipped"), NO_GENERATIONS, ids=[c[0] for c in NO_GENERATIONS]
)
def test_input_without_generations_loads_nothing_and_says_why(
    tmp_path: Path, fmt: str, records: list[dict], skipped: dict[str, int]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = run_ingest(src, fmt, tmp_path / "store")
    assert (summary.read, summary.added, summary.quarantined) == (0, 0, 0)
    assert summary.not_generations == skipped
    assert events(tmp_path / "store").num_rows == 0


def test_generation_after_a_batch_of_other_spans_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch holds no GenAI span at all (100,000 lines in production, 3 here)."""
    import functools

    from tokencensus.ingest.sources import files, otel

    monkeypatch.setattr(otel, "json_records", functools.partial(files.json_records, batch=3))
    lines = [_otel_line(i, genai=False) for i in range(4)] + [_otel_line(99, genai=True)]
    src = tmp_path / "spans.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    summary = run_ingest(src, "otel", tmp_path / "store")
    assert summary.not_generations == {"not a GenAI span": 4}
    assert (summary.read, summary.added) == (1, 1)
    assert events(tmp_path / "store").column("id").to_pylist() == ["a" * 32 + "-" + "0" * 14 + "63"]


def test_batch_missing_a_required_column_rejects_each_row(tmp_path: Path) -> None:
    """A batch whose records all lack a required field has no such column: each row is
    rejected as missing it (never a crash)."""
    from tokencensus.ingest.sources.base import connect
    from tokencensus.ingest.validate import validate_batch

    raw = pa.table({"id": ["a", "b"], "_pos": pa.array([1, 2], pa.int64())})
    con = connect()
    try:
        good, bad = validate_batch(raw, "f.jsonl", "line", con)
        empty, none = validate_batch(raw.slice(0, 0).select(["_pos"]), "f.jsonl", "line", con)
    finally:
        con.close()
    assert good.num_rows == 0 and [r.position for r in bad] == [1, 2]
    assert [e.field for e in bad[0].errors] == [
        "created_at",
        "user_id",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    ]
    assert {e.reason for e in bad[0].errors} == {"missing required field"}
    assert empty.num_rows == 0 and none == []
    assert empty.schema.names[: len(EVENT_SCHEMA)] == EVENT_SCHEMA.names


def test_table_jsonl_with_an_invalid_utf8_byte(tmp_path: Path) -> None:
    """Arrow's JSON reader passes invalid UTF-8 into strings: the line is rejected alone."""
    lines = [
        json.dumps(
            {
                "rid": f"r{i}",
                "t": 1747041302,
                "who": "u",
                "m": "gpt-4o-mini",
                "in": 5,
                "out": 2,
                "usd": 0.1,
            }
        ).encode()
        for i in range(5)
    ]
    lines[2] = lines[2].replace(b'"u"', b'"\xfc"')
    data = tmp_path / "log.jsonl"
    data.write_bytes(b"\n".join(lines) + b"\n")
    mapping = _mapping(
        tmp_path,
        '[columns]\nid = "rid"\ncreated_at = "t"\nuser_id = "who"\nmodel = "m"\nprompt_tokens = "in"\n'
        'completion_tokens = "out"\ncost_usd = "usd"\n',
    )
    summary = run_ingest(data, "table", tmp_path / "s", mapping=mapping)
    assert (summary.read, summary.added, summary.quarantined) == (5, 4, 1)
    (bad,) = quarantine(tmp_path / "s")
    assert (bad["line"], bad["reason"]) == (3, "not valid UTF-8 (byte 39)")  # the \xfc
