"""Privacy by aggregation: the K-user floor, complementary suppression, F12's stated exception."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.conftest import compute, make_events
from tokencensus.analyses import ARTIFACTS, StudyConfig
from tokencensus.privacy import apply_privacy, count_suppressed

W1, W2 = "2025-01-06", "2025-01-13"


def week_frame(spec: dict[str, list[tuple[str, int, int | None]]]) -> pd.DataFrame:
    """week -> [(level, tokens, users)]; shares of each week's levels sum to 1."""
    rows = []
    for week, cells in spec.items():
        total = sum(t for _, t, _ in cells)
        for level, tokens, users in cells:
            rows.append({"week": week, "level": level, "tokens": tokens,
                         "share": tokens / total, "users": users})  # fmt: skip
    return pd.DataFrame(rows)


def flags(df: pd.DataFrame, week: str) -> dict[str, tuple[bool, bool]]:
    w = df[df["week"] == week]
    return {
        lv: (bool(s), bool(x))
        for lv, s, x in zip(w["level"], w["suppressed"], w["suppressed_secondary"], strict=True)
    }


def test_one_hidden_share_takes_the_next_smallest_with_it() -> None:
    df = week_frame({
        W1: [("a", 500, 40), ("b", 300, 30), ("c", 150, 20), ("d", 50, 3)],
        W2: [("a", 500, 40), ("b", 300, 30), ("c", 150, 20), ("d", 50, 30)],
    })  # fmt: skip
    out, counts = apply_privacy(df, ["week", "level"], 10, complement=["week"])
    # d alone hidden would be 1 - (a + b + c): c, the smallest published share, goes too
    assert flags(out, W1) == {
        "a": (False, False), "b": (False, False), "c": (True, True), "d": (True, False),
    }  # fmt: skip
    assert not out.loc[out["week"] == W2, "suppressed"].any()  # another week is untouched
    assert (counts.primary, counts.secondary) == (1, 1)
    hidden = out[out["suppressed"]]
    assert hidden[["tokens", "share", "users"]].isna().all().all()
    assert (hidden["level"].tolist(), hidden["week"].tolist()) == (["c", "d"], [W1, W1])
    # what stays published no longer pins either hidden share down
    assert out.loc[~out["suppressed"] & (out["week"] == W1), "share"].sum() == pytest.approx(0.8)


def test_two_hidden_cells_need_no_complement() -> None:
    df = week_frame({W1: [("a", 500, 40), ("b", 300, 30), ("c", 150, 4), ("d", 50, 3)]})
    out, counts = apply_privacy(df, ["week", "level"], 10, complement=["week"])
    assert (counts.primary, counts.secondary) == (2, 0)
    assert out["suppressed"].tolist() == [False, False, True, True]


def test_empty_cells_are_not_the_complement_while_others_exist() -> None:
    # e has no users (a zero): hiding it would protect nothing a reader cannot guess
    df = week_frame({W1: [("a", 500, 40), ("b", 300, 30), ("d", 50, 3), ("e", 0, 0)]})
    out, _ = apply_privacy(df, ["week", "level"], 10, complement=["week"])
    assert flags(out, W1) == {
        "a": (False, False), "b": (True, True), "d": (True, False), "e": (False, False),
    }  # fmt: skip


def test_excluded_level_is_protected_by_the_total_then_by_the_shares() -> None:
    # 'unknown' has no share (left out of the denominator) but its tokens are part of the
    # week's total: hiding it alone leaves total - rest; the smallest share row goes, and
    # then that share must not be the only hidden one among the shares either
    df = week_frame({W1: [("a", 500, 40), ("b", 300, 30), ("c", 150, 20), ("unknown", 50, 2)]})
    df.loc[df["level"] == "unknown", "share"] = np.nan
    out, counts = apply_privacy(df, ["week", "level"], 10, complement=["week"])
    assert flags(out, W1) == {
        "a": (False, False), "b": (True, True), "c": (True, True), "unknown": (True, False),
    }  # fmt: skip
    assert (counts.primary, counts.secondary) == (1, 2)


def test_whole_table_group_and_no_group() -> None:
    df = pd.DataFrame({"language": ["en", "de", "fr"], "tokens": [900, 80, 20],
                       "share": [0.9, 0.08, 0.02], "users": [50, 12, 4]})  # fmt: skip
    whole, counts = apply_privacy(df, ["language"], 10, complement=())
    assert whole["suppressed"].tolist() == [False, True, True]
    assert (counts.primary, counts.secondary) == (1, 1)
    alone, counts = apply_privacy(df, ["language"], 10)  # no complement declared
    assert alone["suppressed"].tolist() == [False, False, True]
    assert "suppressed_secondary" not in alone.columns
    assert (counts.primary, counts.secondary) == (1, 0)


def test_floor_is_configurable_and_zero_disables_it() -> None:
    df = week_frame({W1: [("a", 500, 40), ("b", 300, 30), ("c", 150, 20), ("d", 50, 3)]})
    for k, hidden in [(0, 0), (3, 0), (4, 2), (21, 2), (31, 3), (41, 4)]:
        out, counts = apply_privacy(df, ["week", "level"], k, complement=["week"])
        assert counts.total == hidden == int(out["suppressed"].sum()), k
    assert count_suppressed(out) == counts


def test_declared_complements() -> None:
    """Weekly share artifacts protect within the week, whole-table ones over the table."""
    for aid in ("F1", "F3", "F4", "F6", "F10", "F13", "F20", "F24"):
        assert ARTIFACTS[aid].complement == ("week",), aid
    for aid in ("T1", "T2", "F11", "F26"):
        assert ARTIFACTS[aid].complement == (), aid
    assert ARTIFACTS["F22"].complement == ("author", "week")
    assert ARTIFACTS["F25"].complement is None  # cohorts are not parts of a published whole
    assert [a.id for a in ARTIFACTS.values() if a.single_account] == ["F12"]


# ------------------------------------------------------------- F12: the stated exception
def tool_events(week: str, tool_users: int, other_users: int, prefix: str) -> list[dict]:
    """One tool-call request per tool user (user 0 sends 10x), one plain one per other user."""
    monday = datetime.fromisoformat(week)
    rows = []
    for i in range(tool_users + other_users):
        tool = i < tool_users
        rows.append({
            "id": f"{prefix}-{i}", "created_at": monday + timedelta(hours=i),
            "user_id": f"{prefix}-u{i}", "model": "openai/gpt-4o-mini",
            "prompt_tokens": 1000 if i == 0 else 100, "completion_tokens": 0, "cost_usd": 0.0,
            "finish_reason": "tool_calls" if tool else "stop",
        })  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def tool_weeks() -> object:
    # W1: 12 users with tool calls; W2: 9 users with tool calls among 22 users
    return make_events(tool_events(W1, 12, 0, "a") + tool_events(W2, 9, 13, "b"))


def test_f12_top_account_share_needs_k_users_with_tool_calls(tool_weeks, small_catalog):
    f12 = compute(tool_weeks, small_catalog, config=StudyConfig(min_users=10), ids=["F12"])
    f12 = f12["F12"].reset_index(drop=True)
    w1, w2 = f12.iloc[0], f12.iloc[1]
    assert str(w1["week"])[:10] == W1 and str(w2["week"])[:10] == W2
    # W1: 12 >= 10 tool users: the largest account's part is published (1000 of 2100)
    assert w1["users"] == 12 and not w1["suppressed"]
    assert w1["top_account_share"] == pytest.approx(1000 / 2100)
    # W2: 9 tool users (22 users in all): one account's part is not published, nor the row
    assert bool(w2["suppressed"]) and pd.isna(w2["top_account_share"])
    assert pd.isna(w2["share"]) and pd.isna(w2["tokens"])
    # a lower floor publishes W2 as well: 1000 of 1800 tool-call tokens
    low = compute(tool_weeks, small_catalog, config=StudyConfig(min_users=9), ids=["F12"])["F12"]
    assert low["top_account_share"].tolist() == pytest.approx([1000 / 2100, 1000 / 1800])


def test_f12_caption_states_the_exception(tool_weeks, small_catalog):
    from tokencensus.engine import connect, get_engine
    from tokencensus.study import Study

    study = Study(connect(), get_engine("duckdb"), small_catalog, StudyConfig(min_users=7))
    study.load_events_table(tool_weeks)
    caption = " ".join(study.compute(ARTIFACTS["F12"], with_sql=False).caption.split())
    assert "single stated exception" in caption
    assert "at least 7 users with tool calls" in caption
