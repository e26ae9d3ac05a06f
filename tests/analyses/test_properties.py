"""Properties of the weekly share artifacts on random event sets (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import compute, make_events
from tokencensus.analyses import StudyConfig

NO_PRIVACY = StudyConfig(min_users=0)

MODELS = [
    "anthropic/claude-sonnet-4",
    "openai/gpt-4o-mini",
    "deepseek/deepseek-chat",
    "deepseek/deepseek-r1",
    "qwen/qwen-2.5-coder-32b-instruct",
    "meta-llama/llama-3.3-70b-instruct",
    "google/gemma-3-12b-it",
    "openai/gpt-oss-20b",
    "not/in-catalog",
]
MONDAY = datetime(2025, 3, 3)
#: Artifacts whose rows for one week depend only on that week's events
#: (F3 is window-wide by definition: its top-15 list is ranked over all weeks).
WEEK_LOCAL = ("F1", "F2", "F4", "F5")
SHARES = ("F1", "F2", "F3", "F4")
WEEK_S = 7 * 24 * 3600
#: Second in the week, Monday 00:00:00 to Sunday 23:59:59; the two ends drawn often, so that
#: an event on either side of the ISO week boundary is common.
SECOND = st.one_of(st.sampled_from([0, WEEK_S - 1]), st.integers(0, WEEK_S - 1))

event = st.tuples(
    st.integers(0, 3),  # week offset
    SECOND,
    st.sampled_from(MODELS),
    st.integers(0, 50_000),
    st.integers(0, 5_000),
)


def to_table(draws, prefix="e"):
    return make_events(
        {
            "id": f"{prefix}{i}",
            "created_at": MONDAY + timedelta(weeks=w, seconds=sec),
            "user_id": f"u{i % 5}",
            "model": model,
            "prompt_tokens": p,
            "completion_tokens": c,
            "cost_usd": 0.0,
        }
        for i, (w, sec, model, p, c) in enumerate(draws)
    )


_SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(st.lists(event, min_size=1, max_size=60))
def test_shares_sum_to_one_per_week(small_catalog, draws):
    res = compute(to_table(draws), small_catalog, ids=SHARES, config=NO_PRIVACY)
    for aid in SHARES:
        df = res[aid]
        sums = df.dropna(subset=["share"]).groupby("week")["share"].sum()
        totals = df.dropna(subset=["share"]).groupby("week")["tokens"].sum()
        for week, total in sums.items():
            if totals[week] > 0:
                assert abs(total - 1.0) < 1e-9, (aid, week, total)
            else:
                assert total == 0
    # F2's volumes put each event in the ISO week (Monday to Sunday 23:59:59) it falls in
    expected: dict[object, int] = {}
    for w, sec, _, p, c in draws:
        week = (MONDAY + timedelta(weeks=w, seconds=sec)).date()
        monday = week - timedelta(days=week.isoweekday() - 1)
        expected[monday] = expected.get(monday, 0) + p + c
    volumes = res["F2"].groupby(pd.to_datetime(res["F2"]["week"]).dt.date)["tokens"].sum()
    assert {w: int(t) for w, t in volumes.items() if t} == {w: t for w, t in expected.items() if t}


@_SETTINGS
@given(
    st.lists(event, min_size=1, max_size=40),
    st.lists(event.map(lambda e: (2, *e[1:])), min_size=1, max_size=20),
)
def test_adding_events_to_one_week_changes_only_that_week(small_catalog, base, added):
    before = compute(to_table(base), small_catalog, ids=WEEK_LOCAL, config=NO_PRIVACY)
    after = compute(to_table(base + added), small_catalog, ids=WEEK_LOCAL, config=NO_PRIVACY)
    changed_week = pd.Timestamp(MONDAY + timedelta(weeks=2)).date()
    for aid in WEEK_LOCAL:
        b = before[aid][pd.to_datetime(before[aid]["week"]).dt.date != changed_week]
        a = after[aid][pd.to_datetime(after[aid]["week"]).dt.date != changed_week]
        pd.testing.assert_frame_equal(b.reset_index(drop=True), a.reset_index(drop=True))
