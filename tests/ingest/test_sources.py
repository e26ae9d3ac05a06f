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
