"""Section 7, retention: F25 cohorts and the paper's patterns.

The patterns are judged with the study's own detection (``analyses/retention.py``), read
from the run's ``F25_foundational`` and ``F25_boomerang`` tables when it wrote them, else
recomputed here with the same rules and defaults:

* cohorts smaller than ``MIN_USERS`` are not assessed;
* **foundational**: at the largest month offset k of 5, 4, 3 where at least two later
  cohorts of the same model are observed, the cohort's retention beats their median by at
  least ``MARGIN``;
* **boomerang**: the cohort's retention climbs at least ``RISE`` above its lowest value since
  month 1.
"""

from __future__ import annotations

import pandas as pd

from tokencensus.scorecard.measure import Frames, NotMeasurable, get, level
from tokencensus.scorecard.registry import statement

__all__ = ["boomerangs", "cohort_table", "foundational_cohorts"]

MIN_USERS = 50
MARGIN = 0.10
OFFSETS = (5, 4, 3)
RISE = 0.05


def _month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(str)).dt.strftime("%Y-%m")


def cohort_table(frames: Frames, model: str) -> pd.DataFrame:
    """Rows of F25 for ``model``: cohort (YYYY-MM), offset, users, retention."""
    df = get(frames, "F25")
    rows = df[level(df, "model", [model])]
    if rows.empty:
        raise NotMeasurable(f"F25 has no cohorts for {model}")
    out = pd.DataFrame(
        {
            "cohort": _month(rows["cohort_month"]),
            "offset": rows["month_offset"].astype(int),
            "users": rows["cohort_users"].astype(float),
            "retention": rows["retention"].astype(float),
        }
    )
    return out[out["retention"].notna() & (out["users"] >= MIN_USERS)]


def foundational_cohorts(frames: Frames, model: str) -> set[str]:
    """Cohorts (YYYY-MM) of ``model`` the study flags as foundational."""
    found = frames.get("F25_foundational")
    if found is not None:
        return set(_month(found.loc[level(found, "model", [model]), "cohort_month"]))
    t = cohort_table(frames, model)
    curves = {c: g.set_index("offset")["retention"] for c, g in t.groupby("cohort")}
    cohorts = sorted(curves)
    out: set[str] = set()
    for i, c in enumerate(cohorts):
        for k in OFFSETS:
            if k not in curves[c].index:
                continue
            peers = [curves[x][k] for x in cohorts[i + 1 :] if k in curves[x].index]
            if len(peers) < 2:
                continue
            if curves[c][k] - pd.Series(peers).median() >= MARGIN:
                out.add(c)
            break
    return out


def boomerangs(frames: Frames, model: str) -> dict[str, int]:
    """Cohort (YYYY-MM) -> month offset of its first boomerang rise, for ``model``."""
    boom = frames.get("F25_boomerang")
    if boom is not None:
        rows = boom[level(boom, "model", [model])]
        return dict(zip(_month(rows["cohort_month"]), rows["rise_offset"].astype(int), strict=True))
    t = cohort_table(frames, model)
    out: dict[str, int] = {}
    for c, g in t.groupby("cohort"):
        curve = g.set_index("offset")["retention"].sort_index()
        offsets = [k for k in curve.index if k >= 1]
        for b in offsets[1:]:
            if curve[b] - curve[[k for k in offsets if k < b]].min() >= RISE:
                out[c] = int(b)
                break
    return out


def _assessed(frames: Frames, model: str, cohort: str) -> None:
    t = cohort_table(frames, model)
    if cohort not in set(t["cohort"]):
        raise NotMeasurable(f"{model} has no assessed cohort {cohort} (>= {MIN_USERS} users)")


def _at(t: pd.DataFrame, cohort: str, k: int) -> float:
    v = t[(t["cohort"] == cohort) & (t["offset"] == k)]["retention"]
    if v.empty:
        raise NotMeasurable(f"cohort {cohort} has no month {k}")
    return float(v.iloc[0])


SONNET4 = "anthropic/claude-sonnet-4"
GEMINI25PRO = "google/gemini-2.5-pro"
GPT4OMINI = "openai/gpt-4o-mini"
GEMINI20FLASH = "google/gemini-2.0-flash-001"
MAVERICK = "meta-llama/llama-4-maverick"
R1 = "deepseek/deepseek-r1"
V3_0324 = "deepseek/deepseek-chat-v3-0324"


@statement(
    "F25.sonnet4_may_m5",
    "F25",
    "Claude Sonnet 4, May-2025 cohort: retention at month 5",
    "approx_pp",
    0.40,
    "≈ 40%",
)
def _(frames: Frames) -> float:
    return _at(cohort_table(frames, SONNET4), "2025-05", 5)


@statement(
    "F25.sonnet4_foundational",
    "F25",
    "Claude Sonnet 4's May-2025 cohort is detected as foundational",
    "pattern",
    True,
    "foundational",
)
def _(frames: Frames) -> bool:
    _assessed(frames, SONNET4, "2025-05")
    return "2025-05" in foundational_cohorts(frames, SONNET4)


@statement(
    "F25.gemini25pro_jun_m5",
    "F25",
    "Gemini 2.5 Pro, June-2025 cohort: retention at month 5",
    "approx_pp",
    0.40,
    "≈ 40%",
)
def _(frames: Frames) -> float:
    return _at(cohort_table(frames, GEMINI25PRO), "2025-06", 5)


@statement(
    "F25.gemini25pro_foundational",
    "F25",
    "Gemini 2.5 Pro's June-2025 cohort is foundational",
    "pattern",
    True,
    "foundational",
)
def _(frames: Frames) -> bool:
    _assessed(frames, GEMINI25PRO, "2025-06")
    return "2025-06" in foundational_cohorts(frames, GEMINI25PRO)


@statement(
    "F25.gpt4omini_foundational",
    "F25",
    "GPT-4o mini's July-2024 cohort is foundational",
    "pattern",
    True,
    "one foundational cohort (July 2024)",
)
def _(frames: Frames) -> bool:
    _assessed(frames, GPT4OMINI, "2024-07")
    return "2024-07" in foundational_cohorts(frames, GPT4OMINI)


@statement(
    "F25.gpt4omini_later_alike",
    "F25",
    "GPT-4o mini's later cohorts churn alike (month-3 retention interquartile range <= 10 pp)",
    "pattern",
    True,
    "later cohorts churn alike",
)
def _(frames: Frames) -> bool:
    t = cohort_table(frames, GPT4OMINI)
    m3 = t[(t["cohort"] > "2024-07") & (t["offset"] == 3)]["retention"]
    if len(m3) < 4:
        raise NotMeasurable("fewer than four later cohorts reach month 3")
    return float(m3.quantile(0.75) - m3.quantile(0.25)) <= 0.10


@statement(
    "F25.gemini20flash_none",
    "F25",
    "Gemini 2.0 Flash has a foundational cohort",
    "pattern",
    False,
    "no foundational cohort",
)
def _(frames: Frames) -> bool:
    cohort_table(frames, GEMINI20FLASH)
    return bool(foundational_cohorts(frames, GEMINI20FLASH))


@statement(
    "F25.maverick_none",
    "F25",
    "Llama 4 Maverick has a foundational cohort",
    "pattern",
    False,
    "no foundational cohort",
)
def _(frames: Frames) -> bool:
    cohort_table(frames, MAVERICK)
    return bool(foundational_cohorts(frames, MAVERICK))


@statement(
    "F25.r1_april_boomerang",
    "F25",
    "DeepSeek R1's April-2025 cohort is detected as a boomerang, rising at month 2-4",
    "pattern",
    True,
    "boomerang",
)
def _(frames: Frames) -> bool:
    _assessed(frames, R1, "2025-04")
    return abs(boomerangs(frames, R1).get("2025-04", -9) - 3) <= 1


@statement(
    "F25.v3_0324_july_boomerang",
    "F25",
    "DeepSeek V3-0324's July-2025 cohort is detected as a boomerang, rising at month 1-3",
    "pattern",
    True,
    "boomerang",
)
def _(frames: Frames) -> bool:
    _assessed(frames, V3_0324, "2025-07")
    return abs(boomerangs(frames, V3_0324).get("2025-07", -9) - 2) <= 1
