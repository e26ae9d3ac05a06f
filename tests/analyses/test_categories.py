"""Sample-based artifacts (F6-F9, F16, F18-F23, F29, F26) on labelled events worked out by hand.

Week C (Mon 2025-06-02); labels as {path: confidence}; tokens = prompt + completion.
  e1 claude-sonnet-4  900+100  {Programming: .9}                              $0.020
  e2 deepseek-chat   1500+500  {Games/Roleplaying Games: .8, Adult: .6}        $0.001
       -> weights .8/1.4 and .6/1.4: Roleplay 1142.857, Adult 857.143; primary category Roleplay
  e3 qwen-coder       800+300  {Programming: .7, Foreign Language Resources: .7} $0.004
       -> 550 Programming, 550 Translation; primary Programming (tie broken by path)
  e4 llama-3.3        400+100  {Games/Roleplaying Games: .4}  below 0.5 -> Others
  e5 gpt-4o-mini     3000+500  not sampled
  e6 claude-sonnet-4  900+100  {Science/Physics: .95}                         $0.050
Named sampled tokens: 1000 + 2000 + 1100 + 1000 = 5100.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import compute, make_events
from tokencensus.analyses import StudyConfig

C = "2025-06-02"
PROG = "/Computers & Electronics/Programming"
RP = "/Games/Roleplaying Games"
ADULT = "/Adult"
FOREIGN = "/Reference/Language Resources/Foreign Language Resources"
PHYSICS = "/Science/Physics"
W_RP, W_ADULT = 0.8 / 1.4, 0.6 / 1.4


def event(i, model, prompt, completion, cost, labels, sampled=True):
    from datetime import datetime

    return {
        "id": f"e{i}",
        "created_at": datetime(2025, 6, 2 + i % 5, 12),
        "user_id": f"u{i}",
        "model": model,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cost_usd": cost,
        "sampled": sampled,
        "categories": [{"path": p, "confidence": c} for p, c in labels.items()]
        if sampled
        else None,
    }


@pytest.fixture(scope="module")
def res(small_catalog, engine_name):
    rows = [
        event(1, "anthropic/claude-sonnet-4", 900, 100, 0.02, {PROG: 0.9}),
        event(2, "deepseek/deepseek-chat", 1500, 500, 0.001, {RP: 0.8, ADULT: 0.6}),
        event(3, "qwen/qwen-2.5-coder-32b-instruct", 800, 300, 0.004, {PROG: 0.7, FOREIGN: 0.7}),
        event(4, "meta-llama/llama-3.3-70b-instruct", 400, 100, 0.0, {RP: 0.4}),
        event(5, "openai/gpt-4o-mini", 3000, 500, 0.001, {}, sampled=False),
        event(6, "anthropic/claude-sonnet-4", 900, 100, 0.05, {PHYSICS: 0.95}),
    ]
    ids = ["F6", "F7", "F8", "F9", "F16", "F18", "F19", "F20", "F21", "F22", "F23", "F29", "F26"]
    config = StudyConfig(min_users=0)
    return compute(
        make_events(rows), small_catalog, engine_name=engine_name, config=config, ids=ids
    )


def table(df, *keys):
    return {
        tuple(str(r[k])[:10] if k == "week" else r[k] for k in keys): r
        for r in df.to_dict("records")
    }


def test_f19_programming_share_with_interval(res):
    (row,) = res["F19"].to_dict("records")
    assert list(res["F19"].columns)[:5] == ["week", "tokens", "share", "share_low", "share_high"]
    assert row["tokens"] == pytest.approx(1550)
    r = 1550 / 5100
    assert row["share"] == pytest.approx(r)
    # delta method by hand over the four named events (x = tokens, y = programming part)
    x = np.array([1000, 2000, 1100, 1000.0])
    y = np.array([1000, 0, 550, 0.0])
    var = ((y - r * x) ** 2).sum() / (4 * 3 * x.mean() ** 2)
    half = 1.959963984540054 * math.sqrt(var)
    assert row["share_low"] == pytest.approx(max(0.0, r - half))
    assert row["share_high"] == pytest.approx(r + half)
    assert row["sample_events"] == 4


def test_f6_f7_oss_categories(res):
    for aid in ("F6", "F7"):  # every open-weights event here is Chinese
        got = table(res[aid], "category")
        assert got[("Roleplay",)]["share"] == pytest.approx(2000 * W_RP / 3100)
        assert got[("Adult",)]["share"] == pytest.approx(2000 * W_ADULT / 3100)
        assert got[("Programming",)]["share"] == pytest.approx(550 / 3100)
        assert got[("Translation",)]["share"] == pytest.approx(550 / 3100)
        assert ("Others",) not in got


def test_f8_f9_category_by_source_type(res):
    f8 = table(res["F8"], "source_type")
    assert f8[("Closed",)]["share"] == pytest.approx(1000 / 1550)
    assert f8[("Chinese OSS",)]["share"] == pytest.approx(550 / 1550)
    assert f8[("RoW OSS",)]["share"] == 0
    f9 = table(res["F9"], "source_type")
    assert f9[("Chinese OSS",)]["share"] == pytest.approx(1.0)
    assert f9[("Chinese OSS",)]["tokens"] == pytest.approx(2000 * W_RP)
    assert f9[("Closed",)]["share"] == 0  # the 0.4 role-play label was dropped


def test_f16_mean_prompt_by_category(res):
    got = table(res["F16"], "category")
    assert got[("Programming",)]["mean_prompt_tokens"] == pytest.approx((900 + 800 * 0.5) / 1.5)
    assert got[("Roleplay",)]["mean_prompt_tokens"] == pytest.approx(1500)
    assert got[("Science",)]["mean_prompt_tokens"] == pytest.approx(900)


def test_f18_programming_vs_all(res):
    got = table(res["F18"], "population")
    assert got[("Programming",)]["mean_sequence_tokens"] == pytest.approx(1550 / 1.5)
    assert got[("All",)]["mean_sequence_tokens"] == pytest.approx(9100 / 6)
    assert got[("All",)]["ratio"] == pytest.approx((1550 / 1.5) / (9100 / 6))


def test_f20_programming_spend_by_author(res):
    got = table(res["F20"], "author")
    assert got[("Anthropic",)]["share"] == pytest.approx(0.02 / 0.022)
    assert got[("Qwen",)]["share"] == pytest.approx(0.002 / 0.022)


def test_f21_tag_composition_primary_rule(res):
    got = table(res["F21"], "category", "tag")
    assert got[("Programming", "Programming/Other")]["share"] == pytest.approx(1550 / 2100)
    assert got[("Programming", "Foreign Language Resources")]["share"] == pytest.approx(550 / 2100)
    assert got[("Roleplay", "Games/Roleplaying Games")]["share"] == pytest.approx(W_RP)
    assert got[("Roleplay", "Adult")]["share"] == pytest.approx(W_ADULT)  # Adult inside Roleplay
    assert got[("Science", "Physics")]["share"] == 1.0
    ranks = {k[0]: r["category_rank"] for k, r in got.items()}
    assert ranks == {"Programming": 1, "Roleplay": 2, "Science": 3}  # 2100 > 2000 > 1000
    assert all(r["panel"] == 1 for r in got.values())
    assert got[("Programming", "Foreign Language Resources")]["labelled"]


def test_f22_f23_author_profiles(res):
    f22 = table(res["F22"], "author", "category")
    assert f22[("Anthropic", "Programming")]["share"] == pytest.approx(0.5)
    assert f22[("Anthropic", "Science")]["share"] == pytest.approx(0.5)
    assert {k[0] for k in f22} == {"Anthropic"}
    f23 = table(res["F23"], "author", "category")
    assert f23[("DeepSeek", "Roleplay")]["share"] == pytest.approx(W_RP)
    assert f23[("Qwen", "Translation")]["share"] == pytest.approx(0.5)
    assert f23[("Qwen", "Programming")]["tokens"] == pytest.approx(550)


def test_f29_subtags(res):
    got = table(res["F29"], "category", "tag")
    assert set(got) == {
        ("Programming", "Programming/Other"),
        ("Programming", "Foreign Language Resources"),
        ("Roleplay", "Games/Roleplaying Games"),
        ("Roleplay", "Adult"),
    }
    assert got[("Programming", "Programming/Other")]["share"] == pytest.approx(1550 / 2100)


def test_f26_category_cost(res):
    f26 = res["F26"].set_index("category")
    assert f26.loc["Programming", "cost_per_m"] == pytest.approx(0.022 / 1550 * 1e6)
    assert f26.loc["Science", "cost_per_m"] == pytest.approx(50.0)
    assert f26.loc["Translation", "cost_per_m"] == pytest.approx(0.002 / 550 * 1e6)
    assert f26.loc["Roleplay", "usage_log"] == pytest.approx(np.log10(2000 * W_RP / 1e6))
    # medians over the five categories: cost of Translation, tokens of Science (1000)
    assert f26.loc["Programming", "quadrant"] == "premium (high cost, high usage)"
    assert f26.loc["Science", "quadrant"] == "premium (high cost, high usage)"
    assert f26.loc["Roleplay", "quadrant"] == "mass market (low cost, high usage)"
    assert f26.loc["Adult", "quadrant"] == "niche utilities (low cost, low usage)"
    assert f26.loc["Translation", "quadrant"] == "specialists (high cost, low usage)"
