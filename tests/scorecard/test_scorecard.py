"""The scorecard: fixed tolerances per kind, statement registry, scoring of artifact tables."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from tokencensus.analyses import ARTIFACTS
from tokencensus.scorecard import COLUMNS, KINDS, STATEMENTS, load_frames, score, summary
from tokencensus.scorecard.kinds import judge
from tokencensus.scorecard.registry import attach_reasons
from tokencensus.scorecard.statements.misses import KNOWN_MISSES, SEED_DEPENDENT


@pytest.mark.parametrize(
    ("kind", "published", "measured", "ok"),
    [
        ("share_pp", 0.130, 0.149, True),
        ("share_pp", 0.130, 0.151, False),
        ("share_pp", 0.130, 0.109, False),
        ("approx_pp", 0.30, 0.251, True),
        ("approx_pp", 0.30, 0.249, False),
        ("range_pp", (0.15, 0.20), 0.219, True),
        ("range_pp", (0.15, 0.20), 0.221, False),
        ("range_pp", (0.15, 0.20), 0.129, False),
        ("above", 6000, 6001, True),
        ("above", 6000, 6000, False),
        ("below_share", 0.25, 0.249, True),
        ("below_share", 0.25, 0.25, False),
        ("mean_rel", 1500, 1725, True),
        ("mean_rel", 1500, 1726, False),
        ("mean_rel", 0.73, 0.62, False),
        ("ratio_rel", 4.0, 3.0, True),
        ("ratio_rel", 4.0, 2.99, False),
        ("range_rel", (3.0, 4.0), 4.6, True),
        ("range_rel", (3.0, 4.0), 2.5, False),
        ("range_abs", (-0.07, -0.05), 0.0, True),
        ("range_abs", (-0.07, -0.05), 0.01, False),
        ("log_abs", 6.68, 7.18, True),
        ("log_abs", 6.68, 7.19, False),
        ("count_range", (5, 7), 7, True),
        ("count_range", (5, 7), 4, False),
        ("rank_order", ["a", "b"], ["a", "b", "c"], True),
        ("rank_order", ["a", "b"], ["b", "a", "c"], False),
        ("rank_set", ["a", "b"], ["b", "a", "c"], True),
        ("rank_set", ["a", "b"], ["a", "c", "b"], False),
        ("rank_in", ["a", "c"], ["c", "b", "a"], True),
        ("rank_in", ["a", "d"], ["c", "b", "a"], False),
        ("direction", "up", (1.0, 1.1), True),
        ("direction", "up", (1.0, 1.09), False),
        ("direction", "down", (1.0, 0.9), True),
        ("direction", "down", (1.0, 1.2), False),
        ("pattern", True, True, True),
        ("pattern", False, True, False),
        ("share_pp", 0.5, float("nan"), False),
    ],
)
def test_kinds_apply_fixed_tolerances(
    kind: str, published: object, measured: object, ok: bool
) -> None:
    assert judge(kind, published, measured) is ok


def test_every_statement_is_well_formed() -> None:
    assert len(STATEMENTS) > 100
    for st in STATEMENTS.values():
        assert st.kind in KINDS
        assert st.artifact in ARTIFACTS, st.id
        assert st.id.startswith(st.artifact + ".")
        assert st.text and st.published_text


def test_absent_artifacts_are_not_measurable() -> None:
    card = score({})
    assert list(card.columns) == list(COLUMNS)
    assert set(card["status"]) == {"not measurable"}
    assert card["note"].str.contains("not computed").all()
    assert summary(card)["pass_rate"] is None


def _f1(chinese: list[float]) -> pd.DataFrame:
    rows = []
    for i, c in enumerate(chinese):
        week = pd.Timestamp("2024-11-04") + pd.Timedelta(weeks=i)
        rest = 1.0 - c
        for st, share in (("Chinese OSS", c), ("RoW OSS", 0.137), ("Closed", rest - 0.137)):
            rows.append({"week": week, "source_type": st, "tokens": 1e6 * share, "share": share})
        rows.append({"week": week, "source_type": "Unknown", "tokens": 5e5, "share": None})
    return pd.DataFrame(rows)


def test_scores_pass_and_fail_on_artifact_tables() -> None:
    frames = {"F1": _f1([0.012, 0.10, 0.10, 0.10, 0.20, 0.11])}
    card = score(
        frames, [STATEMENTS[i] for i in ("F1.chinese_min", "F1.chinese_mean", "F1.row_mean")]
    )
    status = dict(zip(card["id"], card["status"], strict=True))
    assert status == {"F1.chinese_min": "pass", "F1.chinese_mean": "fail", "F1.row_mean": "pass"}
    row = card.set_index("id").loc["F1.chinese_mean"]
    assert (row["published"], row["measured"], row["tolerance"]) == ("13.0%", "10.37%", "±2 pp")
    s = summary(card)
    assert (s["passed"], s["failed"], s["measurable"]) == (2, 1, 3)


def test_unknown_levels_stay_out_of_shares() -> None:
    frames = {"F1": _f1([0.10] * 4)}
    card = score(frames, [STATEMENTS["F1.row_mean"]])
    assert card["measured"].iloc[0] == "13.70%"


def test_f25_patterns_use_the_study_detection_tables() -> None:
    f25 = pd.DataFrame(
        {
            "model": ["anthropic/claude-sonnet-4"] * 2,
            "cohort_month": ["2025-05-01", "2025-06-01"],
            "month_offset": [0, 0],
            "cohort_users": [120, 300],
            "active_users": [120, 300],
            "retention": [1.0, 1.0],
        }
    )
    found = pd.DataFrame({"model": ["anthropic/claude-sonnet-4"], "cohort_month": ["2025-05-01"]})
    st = STATEMENTS["F25.sonnet4_foundational"]
    assert score({"F25": f25, "F25_foundational": found}, [st])["status"].iloc[0] == "pass"
    assert score({"F25": f25, "F25_foundational": found.iloc[:0]}, [st])["status"].iloc[0] == "fail"


def test_load_frames_reads_artifacts_and_extras(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    _f1([0.1]).to_csv(tmp_path / "data" / "F1.csv", index=False)
    pd.DataFrame({"slope": [-0.06]}).to_csv(tmp_path / "data" / "F27_fit.csv", index=False)
    frames = load_frames(tmp_path)
    assert set(frames) == {"F1", "F27_fit"}
    card = score(frames, [STATEMENTS["F27.elasticity"], STATEMENTS["F1.row_mean"]])
    assert list(card["status"]) == ["pass", "pass"]  # F27's fit table carries the slope


def _f6(roleplay: float) -> pd.DataFrame:
    week = pd.Timestamp("2025-06-02")
    return pd.DataFrame(
        {
            "week": [week, week],
            "category": ["Roleplay", "Programming"],
            "tokens": [1e6 * roleplay, 1e6 * (1 - roleplay)],
            "share": [roleplay, 1 - roleplay],
        }
    )


def test_known_misses_are_registered_statements_with_a_reason() -> None:
    for sid, why in {**KNOWN_MISSES, **SEED_DEPENDENT}.items():
        assert sid in STATEMENTS, sid
        assert STATEMENTS[sid].miss_reason == why and len(why) > 40
    assert not set(KNOWN_MISSES) & set(SEED_DEPENDENT)
    with pytest.raises(ValueError, match=r"unregistered statements: F6\.no_such"):
        attach_reasons({"F6.no_such": "why"})


def test_a_failed_known_miss_says_why_and_a_pass_does_not() -> None:
    st = STATEMENTS["F6.roleplay"]
    missed = score({"F6": _f6(0.29)}, [st]).iloc[0]
    assert (missed["status"], missed["measured"]) == ("fail", "29.00%")
    assert missed["note"] == f"known miss of the demo platform: {KNOWN_MISSES['F6.roleplay']}"
    met = score({"F6": _f6(0.52)}, [st]).iloc[0]
    assert (met["status"], met["note"]) == ("pass", "")
    # the reason never decides: the same statement without one is judged the same way
    bare = replace(st, miss_reason="")
    assert score({"F6": _f6(0.29)}, [bare])["status"].iloc[0] == "fail"
    assert score({"F6": _f6(0.29)}, [bare])["note"].iloc[0] == ""
    assert list(score({"F6": _f6(0.29)}, [st]).columns) == list(COLUMNS)
    assert COLUMNS[-1] == "note"


def test_a_model_masked_by_the_privacy_floor_says_so() -> None:
    f27 = pd.DataFrame({
        "model": ["anthropic/claude-3.7-sonnet", "openai/gpt-5-pro"],
        "tokens": [1e9, None], "cost_per_m": [9.0, None], "suppressed": [False, True],
    })  # fmt: skip
    ids = ["T3.gpt-5-pro.price", "T3.gpt-5-pro.usage", "T3.qwen-2-7b-instruct.price"]
    card = score({"F27": f27}, [STATEMENTS[i] for i in ids]).set_index("id")
    assert (card["status"] == "not measurable").all()
    for i in ids[:2]:
        assert card.loc[i, "note"] == (
            "openai/gpt-5-pro is suppressed by the privacy floor (too few users)"
        )
    assert card.loc[ids[2], "note"] == "qwen/qwen-2-7b-instruct has no priced usage"
