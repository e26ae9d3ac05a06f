"""F25: cohort retention computed by hand, and the foundational / boomerang rules both ways."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from tests.conftest import compute, make_events
from tokencensus.analyses import StudyConfig
from tokencensus.analyses.retention import detect_cohort_patterns

R1 = "deepseek/deepseek-r1"


def uses(user, *months, model=R1):
    return [
        {
            "id": f"{user}-{model}-{m}",
            "created_at": datetime(2025, m, 15),
            "user_id": user,
            "model": model,
            "prompt_tokens": 10,
            "completion_tokens": 1,
            "cost_usd": 0.0,
        }
        for m in months
    ]


def test_cohort_retention_by_hand(small_catalog, engine_name):
    # January cohort u1..u4: Feb u1 u2; Mar u1; Apr u1 u3 (u3 comes back after a gap)
    # February cohort u5 u6: Mar u5; Apr nobody.  u7 uses another model only.
    rows = uses("u1", 1, 2, 3, 4) + uses("u2", 1, 2) + uses("u3", 1, 4) + uses("u4", 1)
    rows += uses("u5", 2, 3) + uses("u6", 2) + uses("u7", 1, 4, model="openai/gpt-4o-mini")
    config = StudyConfig(min_users=0, retention_models=(R1,))
    f25 = compute(make_events(rows), small_catalog, engine_name=engine_name, config=config,
                  ids=["F25"])["F25"]  # fmt: skip
    assert list(f25.columns)[:6] == [
        "model", "cohort_month", "month_offset", "cohort_users", "active_users", "retention",
    ]  # fmt: skip
    got = {(str(r["cohort_month"])[:7], r["month_offset"]): (r["cohort_users"], r["active_users"], r["retention"])
           for r in f25.to_dict("records")}  # fmt: skip
    assert got == {
        ("2025-01", 0): (4, 4, 1.0),
        ("2025-01", 1): (4, 2, 0.5),
        ("2025-01", 2): (4, 1, 0.25),
        ("2025-01", 3): (4, 2, 0.5),
        ("2025-02", 0): (2, 2, 1.0),
        ("2025-02", 1): (2, 1, 0.5),
        ("2025-02", 2): (2, 0, 0.0),
    }
    assert set(f25["model"]) == {R1}


def test_a_month_without_any_request_has_no_row(small_catalog, engine_name):
    # nobody sends anything in February: no data is not zero retention
    rows = uses("u1", 1, 3) + uses("u2", 1) + uses("u3", 3, model="openai/gpt-4o-mini")
    config = StudyConfig(min_users=0, retention_models=(R1,))
    f25 = compute(make_events(rows), small_catalog, engine_name=engine_name, config=config,
                  ids=["F25"])["F25"]  # fmt: skip
    got = {(str(r["cohort_month"])[:7], r["month_offset"]): (r["cohort_users"], r["active_users"])
           for r in f25.to_dict("records")}  # fmt: skip
    assert got == {("2025-01", 0): (2, 2), ("2025-01", 2): (2, 1)}
    assert "month" not in f25.columns  # the calendar month the kept result is updated by


def test_small_cohorts_are_suppressed(small_catalog):
    rows = uses("u1", 1, 2) + uses("u2", 1)
    config = StudyConfig(min_users=10, retention_models=(R1,))
    f25 = compute(make_events(rows), small_catalog, config=config, ids=["F25"])["F25"]
    assert f25["suppressed"].all()
    assert f25["retention"].isna().all()


def curves(spec: dict[str, list[float]], users: int = 100) -> pd.DataFrame:
    rows = []
    for cohort, values in spec.items():
        for k, r in enumerate(values):
            rows.append({"model": "m", "cohort_month": cohort, "month_offset": k,
                         "cohort_users": users, "retention": r})  # fmt: skip
    return pd.DataFrame(rows)


CFG = StudyConfig()


def test_foundational_cohort_detected():
    df = curves({
        "2025-01": [1, .6, .5, .48, .46, .45, .44],
        "2025-02": [1, .4, .3, .25, .22, .20],
        "2025-03": [1, .4, .3, .26, .24, .25],
        "2025-04": [1, .4, .3, .24, .22, .22],
    })  # fmt: skip
    _, extra = detect_cohort_patterns(df, CFG)
    found = extra["foundational"]
    assert list(found["cohort_month"]) == ["2025-01"]
    row = found.iloc[0]
    assert row["month_offset"] == 5
    assert row["later_median"] == pytest.approx(0.22)
    assert row["margin"] == pytest.approx(0.45 - 0.22)


def test_foundational_judged_at_largest_offset_with_two_later_cohorts():
    # later cohorts are only observed up to month 3 -> judged at k = 3
    df = curves({
        "2025-05": [1, .6, .5, .45, .44],
        "2025-06": [1, .4, .3, .3],
        "2025-07": [1, .4, .3, .3],
    })  # fmt: skip
    found = detect_cohort_patterns(df, CFG)[1]["foundational"]
    assert list(found["month_offset"]) == [3]
    assert found.iloc[0]["margin"] == pytest.approx(0.15)


def test_no_foundational_cohort_when_cohorts_churn_alike():
    df = curves({
        "2025-01": [1, .4, .3, .25, .22, .20],
        "2025-02": [1, .42, .31, .26, .23, .21],
        "2025-03": [1, .38, .29, .27, .21, .19],
        "2025-04": [1, .41, .30, .24, .22, .18],
    })  # fmt: skip
    assert detect_cohort_patterns(df, CFG)[1]["foundational"].empty


def test_boomerang_rise_detected():
    df = curves({"2025-04": [1, 0.3, 0.2, 0.3, 0.28]})
    boom = detect_cohort_patterns(df, CFG)[1]["boomerang"]
    assert len(boom) == 1
    row = boom.iloc[0]
    assert (row["trough_offset"], row["rise_offset"]) == (2, 3)
    assert row["rise"] == pytest.approx(0.1)


def test_no_boomerang_for_small_wiggles_or_small_cohorts():
    assert detect_cohort_patterns(curves({"a": [1, 0.3, 0.28, 0.31, 0.29]}), CFG)[1][
        "boomerang"
    ].empty
    small = curves({"a": [1, 0.3, 0.1, 0.4]}, users=20)  # under min_cohort_users (50)
    assert detect_cohort_patterns(small, CFG)[1]["boomerang"].empty


def test_a_model_named_twice_is_followed_once(small_catalog, engine_name):
    """Users are counted as rows of one model x user x month: naming a model twice (or
    by an alias and its slug) must not count anyone twice."""
    rows = uses("u1", 1, 2) + uses("u2", 1) + uses("u3", 2)
    once = compute(make_events(rows), small_catalog, engine_name=engine_name,
                   config=StudyConfig(min_users=0, retention_models=(R1,)), ids=["F25"])["F25"]  # fmt: skip
    twice = compute(make_events(rows), small_catalog, engine_name=engine_name,
                    config=StudyConfig(min_users=0, retention_models=(R1, R1)), ids=["F25"])["F25"]  # fmt: skip
    pd.testing.assert_frame_equal(once.reset_index(drop=True), twice.reset_index(drop=True))
    assert once["cohort_users"].tolist()[0] == 2
