"""Paper overlays: the study's published numbers drawn on our charts as labelled references.

The numbers themselves live in one place, the scorecard (``tokencensus.scorecard``): each
:class:`Overlay` names a scorecard statement and says only *how to draw it* - a dashed
level, a band, a vertical line, a point, a tick, a level on one bar of a stacked bar or a
published ratio to another series - on which series, panel and stretch of weeks.  Only statements whose published value is the quantity the chart plots are drawn
(a level of a weekly share, a mean, a median cost); rankings, directions and "most weeks"
counts are left to the scorecard table.

Periods follow the scorecard's conventions (``scorecard/measure.py``): ``early`` = the first
4 weeks of the artifact, ``late`` = the last 8, ``recent`` = the last 4, ``YYYY-MM`` = that
calendar month, ``A..B`` = the days A to B; ``all`` spans the chart.  A reference whose
period or series is not in the run's data is not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["OVERLAYS", "Overlay", "published", "reference_frame"]

MARKS = ("hline", "band", "vline", "point", "tick", "slope", "bar_level", "ratio")
REF_COLUMNS = (
    "mark", "label", "statement", "x", "x2", "y", "y2", "series", "facet", "side", "kind",
)  # fmt: skip


@dataclass(frozen=True)
class Overlay:
    #: Scorecard statement id: the published value and its wording come from there.
    statement: str
    #: hline (a level), band (a published range), vline (a level on x), point (x given
    #: here, y published), tick (a bar's published value), slope (a published slope
    #: range drawn through the data's centre), bar_level (a series' published share on
    #: the stacked bar ``at``, read against the axis once the series is shown alone),
    #: ratio (a published ratio range times the series ``of``, week by week).
    mark: str
    #: Short label; ``{v}`` is the statement's published text ("13.0%").
    label: str
    #: The colour level (series) the number is about.
    series: str | None = None
    #: The facet panel it belongs to.
    facet: str | None = None
    period: str = "all"
    #: x of a point; the category of a tick or of a bar_level.
    at: Any = None
    #: The series a ratio multiplies (its weekly values times the published range).
    of: str | None = None


def _o(statement: str, mark: str, label: str, **kw: Any) -> Overlay:
    return Overlay(statement, mark, label, **kw)


#: Artifact id -> the references its chart draws.
OVERLAYS: dict[str, tuple[Overlay, ...]] = {
    "F1": (
        _o("F1.closed_mean", "hline", "Closed mean {v}", series="Closed"),
        _o("F1.chinese_mean", "hline", "Chinese OSS mean {v}", series="Chinese OSS"),
        _o("F1.row_mean", "hline", "RoW OSS mean {v}", series="RoW OSS"),
        _o("F1.chinese_max", "hline", "Chinese OSS max {v}", series="Chinese OSS"),
    ),
    "F3": (_o("F3.no_model_late", "hline", "no model > 25% (late 2025)", period="late"),),
    "F6": (
        _o("F6.roleplay", "hline", "Roleplay {v}", series="Roleplay"),
        _o("F6.programming", "band", "Programming {v}", series="Programming"),
    ),
    "F7": (_o("F7.roleplay", "hline", "Roleplay {v}", series="Roleplay"),),
    "F8": (_o("F8.closed_bulk", "hline", "Closed: the bulk (> 50%)", series="Closed"),),
    "F9": (
        _o("F9.may_closed", "hline", "Closed {v} (May 2025)", series="Closed", period="2025-05"),
        _o("F9.may_row", "hline", "RoW OSS {v} (May 2025)", series="RoW OSS", period="2025-05"),
        _o("F9.may_chinese", "hline", "Chinese OSS {v} (May 2025)", series="Chinese OSS", period="2025-05"),
        _o("F9.recent_row", "hline", "RoW OSS {v} (recent)", series="RoW OSS", period="recent"),
        _o("F9.recent_closed", "hline", "Closed {v} (recent)", series="Closed", period="recent"),
    ),
    "F10": (_o("F10.late", "hline", "reasoning {v} (late 2025)", series="Reasoning", period="late"),),
    "F14": (
        _o("F14.start", "hline", "{v} (start)", period="early"),
        _o("F14.end", "hline", "{v} (end)", period="recent"),
    ),
    "F15": (
        _o("F15.start", "hline", "{v} (start)", series="completion", period="early"),
        _o("F15.end", "hline", "{v} (end)", series="completion", period="recent"),
    ),
    "F16": (_o("F16.programming_20k", "hline", "Programming {v} (recent)", series="Programming", period="recent"),),
    "F17": (_o("F17.late_2025", "hline", "{v} (late 2025)", period="recent"),),
    "F18": (_o("F18.ratio", "ratio", "Programming {v} All", series="Programming", of="All"),),
    "F19": (
        _o("F19.early_2025", "hline", "{v} (Jan-Feb 2025)", period="2025-01-01..2025-02-28"),
        _o("F19.recent", "hline", "{v} (recent)", period="recent"),
    ),
    "F20": (
        _o("F20.google", "hline", "Google {v}", series="Google"),
        _o("F20.openai_july", "hline", "OpenAI {v} (July)", series="OpenAI", period="2025-07"),
        _o("F20.openai_recent", "hline", "OpenAI {v} (recent)", series="OpenAI", period="recent"),
    ),
    "F21": (
        _o("F21.rp_games", "bar_level", "Roleplay: Games/Roleplaying Games {v}", series="Games/Roleplaying Games", at="Roleplay"),
        _o("F21.rp_writers", "bar_level", "Roleplay: Writers Resources {v}", series="Writers Resources", at="Roleplay"),
        _o("F21.rp_adult", "bar_level", "Roleplay: Adult {v}", series="Adult", at="Roleplay"),
        _o("F21.prog_other", "bar_level", "Programming: Programming/Other {v}", series="Programming/Other", at="Programming"),
        _o("F21.prog_devtools", "bar_level", "Programming: Development Tools {v}", series="Development Tools", at="Programming"),
        _o("F21.translation_flr", "bar_level", "Translation: Foreign Language Resources {v}", series="Foreign Language Resources", at="Translation"),
        _o("F21.science_mlai", "bar_level", "Science: Machine Learning & AI {v}", series="Machine Learning & AI", at="Science"),
        _o("F21.health_max", "bar_level", "Health: {v}", at="Health"),
        _o("F21.finance_max", "bar_level", "Finance: {v}", at="Finance"),
        _o("F21.legal_government", "bar_level", "Legal: Government/Other {v}", series="Government/Other", at="Legal"),
        _o("F21.legal_legal", "bar_level", "Legal: Legal/Other {v}", series="Legal/Other", at="Legal"),
    ),
    "F22": (
        _o("F22.google_legal", "hline", "Legal {v}", series="Legal", facet="Google"),
        _o("F22.google_science", "hline", "Science {v}", series="Science", facet="Google"),
        _o("F22.google_programming_late", "hline", "Programming {v} (recent)", series="Programming", facet="Google", period="recent"),
    ),
    "F23": (
        _o("F23.openai_science_late", "hline", "Science {v} (recent)", series="Science", facet="OpenAI", period="recent"),
        _o("F23.openai_programming_late", "hline", "Programming {v} (recent)", series="Programming", facet="OpenAI", period="recent"),
        _o("F23.qwen_programming", "band", "Programming {v}", series="Programming", facet="Qwen"),
    ),
    "F29": (_o("F29.rp_games", "hline", "Roleplaying Games {v}", series="Games/Roleplaying Games", facet="Roleplay"),),
    "F24": (
        _o("F24.europe_band", "band", "Europe {v}", series="Europe"),
        _o("F24.asia_early", "hline", "Asia {v} (start)", series="Asia", period="early"),
        _o("F24.asia_recent", "hline", "Asia {v} (recent)", series="Asia", period="recent"),
    ),
    "T2": (
        _o("T2.en", "tick", "{v}", at="en"),
        _o("T2.zh_hans", "tick", "{v}", at="zh-Hans"),
        _o("T2.ru", "tick", "{v}", at="ru"),
        _o("T2.es", "tick", "{v}", at="es"),
        _o("T2.th", "tick", "{v}", at="th"),
    ),
    "F25": (
        _o("F25.sonnet4_may_m5", "point", "May-2025 cohort {v} at month 5", facet="Anthropic: Claude Sonnet 4", at=5),
        _o("F25.gemini25pro_jun_m5", "point", "June-2025 cohort {v} at month 5", facet="Google: Gemini 2.5 Pro", at=5),
    ),
    "F26": (_o("F26.median_cost", "vline", "median {v}"),),
    "F27": (_o("F27.elasticity", "slope", "slope {v}"),),
}  # fmt: skip


def published(statement_id: str) -> tuple[Any, str, str] | None:
    """(value, published text, wording) of a scorecard statement; None if unknown."""
    try:
        from tokencensus.scorecard import STATEMENTS
    except ImportError:  # pragma: no cover - the scorecard ships with the package
        return None
    st = STATEMENTS.get(statement_id)
    if st is None:
        return None
    return st.published, st.published_text, st.text


def _weeks(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["week"]).drop_duplicates().sort_values()


def _period(df: pd.DataFrame, period: str) -> tuple[str, str] | None:
    """First and last day a period covers in ``df``'s weeks; None if it has no weeks."""
    if period == "all":
        return ("", "")
    if "week" not in df.columns or df.empty:
        return None
    weeks = _weeks(df)
    if period in ("early", "late", "recent"):
        n = {"early": 4, "late": 8, "recent": 4}[period]
        chosen = weeks.iloc[:n] if period == "early" else weeks.iloc[-n:]
    else:
        if ".." in period:
            lo, hi = (pd.Timestamp(p) for p in period.split(".."))
        else:
            lo = pd.Timestamp(period + "-01")
            hi = lo + pd.offsets.MonthEnd(0)
        chosen = weeks[(weeks >= lo) & (weeks <= hi)]
    if chosen.empty:
        return None
    start = chosen.iloc[0]
    end = chosen.iloc[-1] + pd.Timedelta(days=6)
    return start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _pair(value: Any) -> tuple[float, float] | None:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = _number(value[0]), _number(value[1])
        if lo is not None and hi is not None:
            return lo, hi
    return None


def reference_frame(
    artifact_id: str,
    df: pd.DataFrame,
    *,
    color: str | None = None,
    facet: str | None = None,
    x: str | None = None,
    y: str | None = None,
    overlays: Mapping[str, tuple[Overlay, ...]] = OVERLAYS,
) -> pd.DataFrame:
    """The references to draw on ``artifact_id``'s chart of ``df``: one row per mark.

    ``series`` and ``facet`` rows are kept only when the run's data has that series
    (in ``color``) and that panel (in ``facet``); periods must overlap the run's weeks.
    A bar_level is kept only when its bar ``at`` is drawn (in ``x``) and takes that bar's
    panel; a ratio gives one row per week of the series it multiplies.
    """
    rows: list[dict[str, Any]] = []
    for ov in overlays.get(artifact_id, ()):
        found = published(ov.statement)
        if found is None:
            continue
        value, text, wording = found
        if ov.series is not None and (color is None or ov.series not in set(df[color].astype(str))):
            continue
        if ov.facet is not None and (facet is None or ov.facet not in set(df[facet].astype(str))):
            continue
        part = df if ov.facet is None or facet is None else df[df[facet].astype(str) == ov.facet]
        span = _period(part, ov.period)
        if span is None:
            continue
        row: dict[str, Any] = {
            "mark": ov.mark,
            "label": "paper: " + ov.label.format(v=text),
            "statement": wording,
            "x": span[0] or None,
            "x2": span[1] or None,
            "y": None,
            "y2": None,
            "series": ov.series,
            "facet": ov.facet,
            "side": "right",
            "kind": "reference",
        }
        if ov.mark == "hline":
            row["y"] = _number(value)
        elif ov.mark == "band":
            pair = _pair(value)
            if pair is not None:
                row["y"], row["y2"] = pair
        elif ov.mark == "vline":
            row["x"], row["x2"] = _number(value), None
        elif ov.mark == "point":
            row["x"], row["x2"], row["y"] = _number(ov.at), None, _number(value)
        elif ov.mark == "tick":
            if y is None or ov.at not in set(df[y].astype(str)):
                continue
            row["x"], row["x2"], row["y"] = _number(value), None, ov.at
        elif ov.mark == "slope":
            row.update(_slope(df, x, y, _pair(value)))
        elif ov.mark == "bar_level":
            found_bar, panel = _bar(df, x, y, facet, ov.at)
            if not found_bar:
                continue
            pair = _pair(value)
            row["x"], row["x2"], row["facet"] = str(ov.at), None, panel
            row["y"], row["y2"] = pair if pair is not None else (_number(value), None)
        elif ov.mark == "ratio":
            rows.extend(_ratio(row, df, color, x, y, ov.series, ov.of, _pair(value)))
            continue
        if row["y"] is None and row["x"] is None:
            continue
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(REF_COLUMNS))
    return _stagger(out)


def _bar(
    df: pd.DataFrame, x: str | None, y: str | None, facet: str | None, at: Any
) -> tuple[bool, str | None]:
    """Whether the run draws the bar ``at`` (a level of ``x``), and the panel it is in."""
    if x is None or x not in df.columns:
        return False, None
    rows = df[df[x].astype(str) == str(at)]
    if y is not None and y in df.columns:
        rows = rows[rows[y].notna()]
    if rows.empty:
        return False, None
    if facet is None or facet not in df.columns:
        return True, None
    return True, str(rows[facet].iloc[0])


def _ratio(
    row: dict[str, Any],
    df: pd.DataFrame,
    color: str | None,
    x: str | None,
    y: str | None,
    series: str | None,
    of: str | None,
    pair: tuple[float, float] | None,
) -> list[dict[str, Any]]:
    """Per x where both ``series`` and ``of`` have a value: ``of``'s value times the
    published ratio range (the ratio is only defined where both are measured)."""
    if pair is None or series is None or of is None:
        return []
    if color is None or x is None or y is None or not {color, x, y} <= set(df.columns):
        return []

    def values(name: str) -> pd.Series:
        rows = df[df[color].astype(str) == name][[x, y]].dropna()
        return rows.groupby(x, sort=True)[y].mean()

    base, drawn = values(of), values(series)
    base = base[(base > 0) & base.index.isin(drawn.index)]
    out = []
    for at, level in base.items():
        when = pd.Timestamp(at).strftime("%Y-%m-%d") if hasattr(at, "year") else at
        out.append({**row, "x": when, "y": pair[0] * level, "y2": pair[1] * level})
    return out


def _slope(
    df: pd.DataFrame, x: str | None, y: str | None, pair: tuple[float, float] | None
) -> dict[str, Any]:
    """A published slope of log10 y on log10 x drawn through the data's centre (log x axis)."""
    if pair is None or x is None or y is None or x not in df.columns or y not in df.columns:
        return {"x": None, "y": None}
    ok = df[[x, y]].dropna()
    ok = ok[ok[x] > 0]
    if len(ok) < 2:
        return {"x": None, "y": None}
    lx = ok[x].map(math.log10)
    slope = sum(pair) / 2
    cx, cy = float(lx.mean()), float(ok[y].mean())
    lo, hi = float(lx.min()), float(lx.max())
    return {
        "x": 10**lo,
        "x2": 10**hi,
        "y": cy + slope * (lo - cx),
        "y2": cy + slope * (hi - cx),
    }


def _stagger(refs: pd.DataFrame) -> pd.DataFrame:
    """Alternate label sides for levels closer than 4% of their range, so labels don't collide."""
    if refs.empty:
        return refs
    refs = refs.copy()
    levels = refs[refs["mark"].isin(["hline", "band"])]
    if len(levels) < 2:
        return refs
    ys = pd.to_numeric(levels["y"], errors="coerce")
    span = float(ys.max() - ys.min()) or 1.0
    order = ys.sort_values().index
    prev_y: float | None = None
    prev_side = "left"
    for idx in order:
        yv = float(ys[idx])
        if prev_y is not None and abs(yv - prev_y) < 0.04 * max(span, abs(yv)):
            side = "left" if prev_side == "right" else "right"
        else:
            side = "right"
        refs.loc[idx, "side"] = side
        prev_y, prev_side = yv, side
    return refs
