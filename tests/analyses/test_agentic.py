"""Section 4 (F10-F15, F17) and section 6 (F24, T2) on a fixture worked out by hand.

Week A (Mon 2025-03-03)
  claude-sonnet-4  10 x (1000 + 100) = 11,000  non-reasoning, stop,       US / en, $0.01 each, users c0..c9
  deepseek-r1      10 x ( 500 + 500) = 10,000  reasoning (400 reasoning tokens each), tool_calls,
                                               CN / zh-Hans, $0.002 each, ONE account "big"
Week B (Mon 2025-03-10)
  gemini-2.5-pro   20 x (2000 + 1000) = 60,000 reasoning (600 each), tool_calls, DE / en, $0.03 each,
                                               users g0..g19
  gpt-4o-mini      20 x ( 100 +   50) =  3,000 non-reasoning, stop, BR / es, $0.001 each, users m0..m19
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import compute, make_events, repeat
from tokencensus.analyses import StudyConfig

A, B = "2025-03-03", "2025-03-10"


def _users(rows, prefix):
    for i, row in enumerate(rows):
        row["user_id"] = f"{prefix}{i}"
    return rows


@pytest.fixture(scope="module")
def events():
    rows = _users(
        repeat(10, model="anthropic/claude-sonnet-4", week=A, prompt=1000, completion=100,
               prefix="a1", finish_reason="stop", billing_country="US", prompt_language="en",
               cost_usd=0.01),
        "c",
    )  # fmt: skip
    big = repeat(10, model="deepseek/deepseek-r1", week=A, prompt=500, completion=500, prefix="a2",
                 reasoning_tokens=400, finish_reason="tool_calls", billing_country="CN",
                 prompt_language="zh-Hans", cost_usd=0.002)  # fmt: skip
    for row in big:
        row["user_id"] = "big"
    rows += big
    rows += _users(
        repeat(20, model="google/gemini-2.5-pro", week=B, prompt=2000, completion=1000, prefix="b1",
               reasoning_tokens=600, finish_reason="tool_calls", billing_country="DE",
               prompt_language="en", cost_usd=0.03),
        "g",
    )  # fmt: skip
    rows += _users(
        repeat(20, model="openai/gpt-4o-mini", week=B, prompt=100, completion=50, prefix="b2",
               finish_reason="stop", billing_country="BR", prompt_language="es", cost_usd=0.001),
        "m",
    )  # fmt: skip
    return make_events(rows)


@pytest.fixture(scope="module")
def res(events, small_catalog, engine_name):
    config = StudyConfig(min_users=0, recent_weeks=2)
    return compute(events, small_catalog, engine_name=engine_name, config=config,
                   ids=["F10", "F11", "F12", "F13", "F14", "F15", "F17", "F24", "T2"])  # fmt: skip


def by(df, *keys):
    return {
        tuple(str(r[k])[:10] if k == "week" else r[k] for k in keys): r
        for r in df.to_dict(orient="records")
    }


def test_f10_reasoning_share(res):
    got = by(res["F10"], "week", "model_type")
    assert got[(A, "Reasoning")]["share"] == pytest.approx(10 / 21)
    assert got[(A, "Non-reasoning")]["share"] == pytest.approx(11 / 21)
    assert got[(B, "Reasoning")]["tokens"] == 60_000
    assert got[(B, "Reasoning")]["share"] == pytest.approx(60 / 63)


def test_f11_top_reasoning_models(res):
    f11 = res["F11"]
    assert list(f11["model"]) == ["google/gemini-2.5-pro", "deepseek/deepseek-r1"]
    assert list(f11["rank"]) == [1, 2]
    assert list(f11["share"]) == pytest.approx([6 / 7, 1 / 7])


def test_f11_recent_weeks_window(events, small_catalog):
    r = compute(events, small_catalog, config=StudyConfig(min_users=0, recent_weeks=1), ids=["F11"])
    assert list(r["F11"]["model"]) == ["google/gemini-2.5-pro"]
    assert list(r["F11"]["share"]) == [1.0]


def test_f12_tool_call_share_and_top_account(res):
    got = by(res["F12"], "week")
    assert got[(A,)]["tokens"] == 10_000
    assert got[(A,)]["share"] == pytest.approx(10 / 21)
    assert got[(A,)]["top_account_share"] == pytest.approx(1.0)  # one account drives it
    assert got[(A,)]["users"] == 1
    assert got[(B,)]["share"] == pytest.approx(60 / 63)
    assert got[(B,)]["top_account_share"] == pytest.approx(3_000 / 60_000)


def test_f13_tool_call_models(res):
    got = by(res["F13"], "week", "model")
    assert got[(A, "deepseek/deepseek-r1")]["share"] == 1.0
    assert got[(A, "google/gemini-2.5-pro")]["share"] == 0.0
    assert got[(B, "google/gemini-2.5-pro")]["tokens"] == 60_000


def test_f14_f15_f17_means(res):
    f14 = by(res["F14"], "week")
    assert list(res["F14"].columns)[:2] == ["week", "mean_prompt_tokens"]
    assert f14[(A,)]["mean_prompt_tokens"] == pytest.approx(750)
    assert f14[(B,)]["mean_prompt_tokens"] == pytest.approx(1050)
    f15 = by(res["F15"], "week", "part")
    assert f15[(A, "completion")]["tokens_per_request"] == pytest.approx(300)
    assert f15[(A, "of which reasoning")]["tokens_per_request"] == pytest.approx(200)
    assert f15[(B, "completion")]["tokens_per_request"] == pytest.approx(525)
    assert f15[(B, "of which reasoning")]["tokens_per_request"] == pytest.approx(300)
    f17 = by(res["F17"], "week")
    assert f17[(A,)]["mean_sequence_tokens"] == pytest.approx(1050)
    assert f17[(B,)]["mean_sequence_tokens"] == pytest.approx(1575)


def test_f24_spend_share_by_region(res):
    got = by(res["F24"], "week", "region")
    assert got[(A, "North America")]["share"] == pytest.approx(0.1 / 0.12)
    assert got[(A, "Asia")]["share"] == pytest.approx(0.02 / 0.12)
    assert got[(A, "Europe")]["share"] == 0
    assert got[(B, "Europe")]["share"] == pytest.approx(0.6 / 0.62)
    assert got[(B, "South America")]["share"] == pytest.approx(0.02 / 0.62)
    assert got[(B, "Europe")]["tokens"] == 60_000
    for week in (A, B):
        assert sum(r["share"] for k, r in got.items() if k[0] == week) == pytest.approx(1.0)


def test_t2_language_share(res):
    t2 = res["T2"]
    assert list(t2.columns)[:3] == ["language", "tokens", "share"]
    assert list(t2["language"]) == ["en", "zh-Hans", "es"]
    assert list(t2["tokens"]) == [71_000, 10_000, 3_000]
    assert list(t2["share"]) == pytest.approx([71 / 84, 10 / 84, 3 / 84])
    assert list(t2["name"]) == ["English", "Chinese (Simplified)", "Spanish"]


def test_t2_unknown_language_is_reported_not_shared(small_catalog):
    rows = repeat(12, model="openai/gpt-4o-mini", week=A, prompt=10, completion=0, prefix="x",
                  prompt_language="en")  # fmt: skip
    rows += repeat(12, model="openai/gpt-4o-mini", week=A, prompt=10, completion=0, prefix="y")
    t2 = compute(make_events(rows), small_catalog, config=StudyConfig(min_users=0), ids=["T2"])[
        "T2"
    ]
    unknown = t2[t2["language"] == "Unknown"].iloc[0]
    assert unknown["tokens"] == 120
    assert pd.isna(unknown["share"])
    assert t2[t2["language"] == "en"]["share"].iloc[0] == 1.0
