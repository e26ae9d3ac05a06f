"""Section 3 (F1-F5, T1) on a hand-built fixture whose every number is worked out below.

Week A (Mon 2025-01-06)
  claude-sonnet-4   100 x (900 + 100) = 100,000  Closed
  deepseek-chat      50 x (300 + 100) =  20,000  Chinese OSS, large
  llama-3.3-70b      20 x (400 + 100) =  10,000  RoW OSS, large
  gemma-3-12b        10 x (150 +  50) =   2,000  RoW OSS, small
  mystery/model       5 x (800 + 200) =   5,000  not in the catalog -> Unknown
Week B (Mon 2025-01-13)
  gpt-4o-mini        40 x (200 +  50) =  10,000  Closed
  qwen2.5-coder-32b  30 x (500 + 500) =  30,000  Chinese OSS, medium
  gpt-oss-20b        10 x (800 + 200) =  10,000  RoW OSS, medium
  deepseek-r1:free   10 x (1500+ 500) =  20,000  Chinese OSS, large (alias of deepseek-r1)
Week C (Mon 2025-01-20)
  claude-4-sonnet-20250522 (alias) 25 x (1800 + 200) = 50,000  Closed
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.conftest import compute, make_events, repeat
from tokencensus.analyses import StudyConfig

A, B, C = "2025-01-06", "2025-01-13", "2025-01-20"


@pytest.fixture(scope="module")
def events():
    rows = []
    rows += repeat(
        100, model="anthropic/claude-sonnet-4", week=A, prompt=900, completion=100, prefix="a1"
    )
    rows += repeat(
        50, model="deepseek/deepseek-chat", week=A, prompt=300, completion=100, prefix="a2"
    )
    rows += repeat(
        20,
        model="meta-llama/llama-3.3-70b-instruct",
        week=A,
        prompt=400,
        completion=100,
        prefix="a3",
    )
    rows += repeat(
        10, model="google/gemma-3-12b-it", week=A, prompt=150, completion=50, prefix="a4"
    )
    rows += repeat(5, model="mystery/model", week=A, prompt=800, completion=200, prefix="a5")
    rows += repeat(40, model="openai/gpt-4o-mini", week=B, prompt=200, completion=50, prefix="b1")
    rows += repeat(
        30,
        model="qwen/qwen-2.5-coder-32b-instruct",
        week=B,
        prompt=500,
        completion=500,
        prefix="b2",
    )
    rows += repeat(10, model="openai/gpt-oss-20b", week=B, prompt=800, completion=200, prefix="b3")
    rows += repeat(
        10, model="deepseek/deepseek-r1:free", week=B, prompt=1500, completion=500, prefix="b4"
    )
    rows += repeat(
        25,
        model="anthropic/claude-4-sonnet-20250522",
        week=C,
        prompt=1800,
        completion=200,
        prefix="c1",
    )
    return make_events(rows)


@pytest.fixture(scope="module")
def results(events, small_catalog, engine_name):
    return compute(
        events,
        small_catalog,
        engine_name=engine_name,
        config=StudyConfig(top_oss_models=3, min_users=0),
    )


def rows(df: pd.DataFrame, *cols: str) -> dict:
    key, *vals = cols
    out = {}
    for rec in df.to_dict(orient="records"):
        k = tuple(str(rec[c])[:10] if c == "week" else rec[c] for c in key.split("+"))
        out[k if len(k) > 1 else k[0]] = tuple(rec[v] for v in vals)
    return out


def test_f1_weekly_source_type_share(results):
    got = rows(results["F1"], "week+source_type", "tokens", "share")
    assert got[(A, "Closed")] == (100_000, pytest.approx(100_000 / 132_000))
    assert got[(A, "Chinese OSS")] == (20_000, pytest.approx(20_000 / 132_000))
    assert got[(A, "RoW OSS")] == (12_000, pytest.approx(12_000 / 132_000))
    assert got[(A, "Unknown")][0] == 5_000 and math.isnan(got[(A, "Unknown")][1])
    assert got[(B, "Closed")] == (10_000, pytest.approx(1 / 7))
    assert got[(B, "Chinese OSS")] == (50_000, pytest.approx(5 / 7))
    assert got[(B, "RoW OSS")] == (10_000, pytest.approx(1 / 7))
    # week C has only closed traffic: the open rows are there, with zeros
    assert got[(C, "Closed")] == (50_000, 1.0)
    assert got[(C, "Chinese OSS")] == (0, 0.0)
    assert got[(C, "RoW OSS")] == (0, 0.0)
    assert len(results["F1"]) == 10
    assert list(results["F1"].columns) == [
        "week", "source_type", "tokens", "share", "users", "suppressed", "suppressed_secondary",
    ]  # fmt: skip
    # distinct users behind each cell (ids cycle over 13 users)
    assert got_users(results["F1"], A, "Unknown") == 5
    assert got_users(results["F1"], A, "Closed") == 13
    assert got_users(results["F1"], C, "RoW OSS") == 0


def got_users(df, week, source_type):
    row = df[(df["week"].astype(str).str[:10] == week) & (df["source_type"] == source_type)]
    return int(row["users"].iloc[0])


def test_privacy_masks_small_cells(events, small_catalog):
    res = compute(events, small_catalog, config=StudyConfig(min_users=10), ids=["F1", "T1"])
    f1 = res["F1"]
    unknown = f1[(f1["source_type"] == "Unknown")].iloc[0]
    assert bool(unknown["suppressed"])
    assert pd.isna(unknown["tokens"]) and pd.isna(unknown["users"])
    assert str(unknown["week"])[:10] == A  # the row stays, marked, with its keys
    zero = f1[(f1["source_type"] == "RoW OSS") & (f1["week"].astype(str).str[:10] == C)].iloc[0]
    assert not zero["suppressed"]  # an empty cell describes nobody: it stays a zero
    assert zero["tokens"] == 0
    assert not unknown["suppressed_secondary"]  # 5 users: the floor itself (primary)
    # Unknown's tokens would follow from week A's total (F12 publishes it) minus the other
    # rows: the smallest other row (RoW OSS, 12,000) is suppressed too; that leaves one
    # hidden share in a week whose shares sum to 1, so the next smallest (Chinese OSS) goes
    week_a = f1[f1["week"].astype(str).str[:10] == A].set_index("source_type")
    assert week_a["suppressed"].to_dict() == {
        "Chinese OSS": True, "Closed": False, "RoW OSS": True, "Unknown": True,
    }  # fmt: skip
    assert week_a["suppressed_secondary"].to_dict() == {
        "Chinese OSS": True, "Closed": False, "RoW OSS": True, "Unknown": False,
    }  # fmt: skip
    assert week_a.loc["Closed", "share"] == pytest.approx(100_000 / 132_000)
    assert int(f1["suppressed"].sum()) == 3
    assert not res["T1"]["suppressed"].any()


def test_f2_matches_f1_volumes(results):
    pd.testing.assert_frame_equal(results["F2"], results["F1"])


def test_t1_oss_author_tokens(results):
    t1 = results["T1"][["author", "tokens"]]
    # DeepSeek = V3 20,000 + R1 20,000; the 10,000 tie is ordered by name
    assert list(t1.itertuples(index=False, name=None)) == [
        ("DeepSeek", 40_000),
        ("Qwen", 30_000),
        ("Meta LLaMA", 10_000),
        ("OpenAI", 10_000),
        ("Google", 2_000),
    ]


def test_f3_top_oss_models(results):
    # top 3 over the window: qwen 30,000, then the 20,000 tie deepseek-chat < deepseek-r1
    got = rows(results["F3"], "week+model", "tokens", "share")
    assert got[(A, "deepseek/deepseek-chat")] == (20_000, pytest.approx(0.625))
    assert got[(A, "Other OSS")] == (12_000, pytest.approx(0.375))
    assert got[(A, "qwen/qwen-2.5-coder-32b-instruct")] == (0, 0.0)
    assert got[(B, "qwen/qwen-2.5-coder-32b-instruct")] == (30_000, pytest.approx(0.5))
    assert got[(B, "deepseek/deepseek-r1")] == (20_000, pytest.approx(1 / 3))
    assert got[(B, "Other OSS")] == (10_000, pytest.approx(1 / 6))
    assert got[(B, "deepseek/deepseek-chat")] == (0, 0.0)
    assert not any(w == C for w, _ in got)  # no open-weights tokens: no shares that week
    names = dict(zip(results["F3"]["model"], results["F3"]["name"], strict=True))
    assert names["deepseek/deepseek-r1"] == "DeepSeek R1"
    assert names["Other OSS"] == "Other OSS"


def test_f4_oss_size_class_share(results):
    got = rows(results["F4"], "week+size_class", "tokens", "share")
    assert got[(A, "large")] == (30_000, pytest.approx(30 / 32))
    assert got[(A, "small")] == (2_000, pytest.approx(2 / 32))
    assert got[(A, "medium")] == (0, 0.0)
    assert got[(B, "medium")] == (40_000, pytest.approx(2 / 3))
    assert got[(B, "large")] == (20_000, pytest.approx(1 / 3))
    assert got[(B, "small")] == (0, 0.0)


def test_f5_oss_models_by_size(results):
    got = rows(results["F5"], "week+size_class", "models")
    assert list(results["F5"].columns)[:3] == ["week", "size_class", "models"]
    assert got == {
        (A, "small"): (1,), (A, "medium"): (0,), (A, "large"): (2,),
        (B, "small"): (0,), (B, "medium"): (2,), (B, "large"): (1,),
        (C, "small"): (0,), (C, "medium"): (0,), (C, "large"): (0,),
    }  # fmt: skip


def test_window_limits_weeks(events, small_catalog):
    window = StudyConfig(
        start=pd.Timestamp(B).date(), end=pd.Timestamp("2025-01-19").date(), min_users=0
    )
    res = compute(events, small_catalog, config=window, ids=["F1", "T1"])
    assert {str(w)[:10] for w in res["F1"]["week"]} == {B}
    assert dict(res["T1"][["author", "tokens"]].itertuples(index=False, name=None)) == {
        "Qwen": 30_000, "DeepSeek": 20_000, "OpenAI": 10_000,
    }  # fmt: skip
