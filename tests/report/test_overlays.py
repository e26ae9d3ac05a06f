"""Paper overlays: every reference names a scorecard statement whose number the chart plots."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.report.tiny import f1_data
from tokencensus.analyses import ARTIFACTS
from tokencensus.chartspec import Bar, Line, StackedBar, TableOnly
from tokencensus.report.overlays import MARKS, OVERLAYS, published, reference_frame
from tokencensus.scorecard import STATEMENTS

ALL = [(aid, ov) for aid, overlays in OVERLAYS.items() for ov in overlays]


@pytest.mark.parametrize(("aid", "ov"), ALL, ids=[ov.statement for _, ov in ALL])
def test_overlay_is_a_published_number_of_its_artifact(aid, ov):
    assert aid in ARTIFACTS and not isinstance(ARTIFACTS[aid].chart, TableOnly)
    st = STATEMENTS[ov.statement]
    assert st.artifact == aid
    assert ov.mark in MARKS
    if ov.mark in ("band", "slope", "ratio") or (
        ov.mark == "bar_level" and isinstance(st.published, tuple)
    ):
        lo, hi = st.published
        assert isinstance(lo, float | int) and isinstance(hi, float | int) and lo < hi
    else:
        assert isinstance(st.published, float | int) and not isinstance(st.published, bool)
    if ov.mark == "tick":
        assert isinstance(ARTIFACTS[aid].chart, Bar)
    if ov.mark == "bar_level":  # a level on one of the stacked bars the chart draws
        assert isinstance(ARTIFACTS[aid].chart, StackedBar) and ov.at
        assert st.text.startswith(f"{ov.at}:")
    if ov.mark == "ratio":  # a ratio of two series the line chart draws
        chart = ARTIFACTS[aid].chart
        assert isinstance(chart, Line) and ov.of in chart.color_order and ov.series is not None
    if ov.series is not None:
        assert ARTIFACTS[aid].chart.color is not None
    if ov.facet is not None:
        assert ARTIFACTS[aid].chart.facet is not None
    assert "{v}" in ov.label or ov.mark == "hline"


def test_f1_references_come_from_the_scorecard():
    refs = reference_frame("F1", f1_data(), color="source_type", x="week", y="share")
    by_label = dict(zip(refs["label"], refs["y"], strict=True))
    assert by_label["paper: Chinese OSS mean 13.0%"] == pytest.approx(0.13)
    assert by_label["paper: Closed mean ≈ 70%"] == pytest.approx(
        STATEMENTS["F1.closed_mean"].published
    )
    assert set(refs["series"]) == {"Closed", "Chinese OSS", "RoW OSS"}
    # levels closer than 4% of their range alternate label sides (13.0% and 13.7%)
    sides = dict(zip(refs["label"], refs["side"], strict=True))
    assert sides["paper: Chinese OSS mean 13.0%"] != sides["paper: RoW OSS mean 13.7%"]


def test_periods_follow_the_scorecard_conventions():
    weeks = pd.date_range("2025-04-07", periods=12, freq="7D")
    df = pd.DataFrame({"week": weeks.date, "source_type": "Closed", "share": 0.5})
    refs = reference_frame("F9", df, color="source_type", x="week", y="share").set_index("label")
    may = refs.loc["paper: Closed ≈ 70% (May 2025)"]
    assert (may["x"], may["x2"]) == (
        "2025-05-05",
        "2025-06-01",
    )  # Mondays in May, to the last Sunday
    recent = refs.loc["paper: Closed 42% (recent)"]
    assert (recent["x"], recent["x2"]) == ("2025-06-02", "2025-06-29")  # the last 4 weeks
    # series absent from the run are not drawn
    assert not any("RoW OSS" in label for label in refs.index)


def test_references_outside_the_data_are_left_out():
    df = pd.DataFrame(
        {"week": [pd.Timestamp("2024-08-05").date()], "source_type": ["Closed"], "share": [0.7]}
    )
    refs = reference_frame("F9", df, color="source_type", x="week", y="share")
    assert "May 2025" not in " ".join(refs["label"])


def test_unknown_statement_is_skipped():
    assert published("F1.no_such_statement") is None


def _f21() -> pd.DataFrame:
    rows = [
        (1, "Roleplay", "Games/Roleplaying Games", 0.59),
        (1, "Roleplay", "Adult", 0.41),
        (1, "Programming", "Programming/Other", 1.0),
        (2, "Legal", "Government/Other", 0.5),
        (2, "Legal", "Legal/Other", None),  # suppressed
        (2, "Health", "Medicine", None),  # a bar with no drawn segment
    ]
    return pd.DataFrame(rows, columns=["panel", "category", "tag", "share"])


def test_f21_levels_sit_on_their_category_bar_in_its_panel():
    refs = reference_frame("F21", _f21(), color="tag", facet="panel", x="category", y="share")
    refs = refs.set_index("statement")
    games = refs.loc["Roleplay: share of the tag Games/Roleplaying Games"]
    assert games["mark"] == "bar_level"
    assert (games["x"], games["y"], games["y2"], games["facet"]) == ("Roleplay", 0.58, 0.60, "1")
    assert games["series"] == "Games/Roleplaying Games"
    assert games["label"] == "paper: Roleplay: Games/Roleplaying Games ≈ 58-60%"
    legal = refs.loc["Legal: share of the tag Government/Other"]
    assert (legal["x"], legal["y"], legal["facet"]) == ("Legal", 0.43, "2")
    assert pd.isna(legal["y2"])
    assert refs.loc["Legal: share of the tag Legal/Other", "y"] == pytest.approx(0.178)
    # tags the run never saw and bars it does not draw have no reference
    assert "Roleplay: share of the tag Writers Resources" not in refs.index
    assert not any(s.startswith(("Health", "Translation")) for s in refs.index)


def test_f18_ratio_follows_the_overall_series_where_both_are_measured():
    weeks = pd.date_range("2025-05-05", periods=4, freq="7D").date
    df = pd.DataFrame(
        {
            "week": [*weeks, *weeks[2:]],
            "population": ["All"] * 4 + ["Programming"] * 2,
            "mean_sequence_tokens": [1000.0, 1100.0, 1200.0, 1300.0, 4000.0, None],
        }
    )
    refs = reference_frame("F18", df, color="population", x="week", y="mean_sequence_tokens")
    assert set(refs["mark"]) == {"ratio"} and set(refs["series"]) == {"Programming"}
    assert list(refs["x"]) == ["2025-05-19"]  # programming has no value in the last week
    assert (refs["y"].iloc[0], refs["y2"].iloc[0]) == (3 * 1200.0, 4 * 1200.0)
    assert refs["label"].iloc[0] == "paper: Programming 3-4x All"
    no_prog = df[df["population"] == "All"]
    assert reference_frame(
        "F18", no_prog, color="population", x="week", y="mean_sequence_tokens"
    ).empty
