"""Section 6, geography and language: F24, T2."""

from __future__ import annotations

import pandas as pd

from tokencensus.scorecard.measure import (
    Frames,
    dim_column,
    early,
    get,
    level,
    recent,
    value_column,
    weekly_share,
)
from tokencensus.scorecard.registry import statement


def _f24(frames: Frames, region: str, period: str = "all") -> pd.Series:
    df = get(frames, "F24")
    part = {"all": df, "early": early(df), "recent": recent(df)}[period]
    value = value_column(part, ("spend_usd", "cost_usd", "spend"))
    return weekly_share(part, dim_column(part, ("region", "continent")), [region], value)


@statement(
    "F24.north_america_below_half",
    "F24",
    "Weeks in which North America has < 50% of spend",
    "above_share",
    0.5,
    "most weeks",
)
def _(frames: Frames) -> float:
    return float((_f24(frames, "North America") < 0.5).mean())


@statement(
    "F24.europe_band",
    "F24",
    "Europe's weekly share of spend, mean",
    "range_pp",
    (0.15, 0.22),
    "mid-teens to low 20s",
)
def _(frames: Frames) -> float:
    return float(_f24(frames, "Europe").mean())


@statement(
    "F24.asia_early", "F24", "Asia's share of spend, first 4 weeks", "approx_pp", 0.13, "≈ 13%"
)
def _(frames: Frames) -> float:
    return float(_f24(frames, "Asia", "early").mean())


@statement(
    "F24.asia_recent", "F24", "Asia's share of spend, recent weeks", "approx_pp", 0.31, "≈ 31%"
)
def _(frames: Frames) -> float:
    return float(_f24(frames, "Asia", "recent").mean())


# ----------------------------------------------------------------------------------- T2

T2_PUBLISHED = (
    ("en", "English", 0.8287),
    ("zh-Hans", "Chinese (Simplified)", 0.0495),
    ("ru", "Russian", 0.0247),
    ("es", "Spanish", 0.0143),
    ("th", "Thai", 0.0103),
)


def _t2(frames: Frames) -> tuple[pd.DataFrame, str]:
    df = get(frames, "T2")
    dim = "language" if "language" in df.columns else dim_column(df)
    inc = df[df["share"].notna()] if "share" in df.columns else df
    return inc, dim


def _t2_share(code: str, name: str):
    def measure(frames: Frames) -> float:
        df, dim = _t2(frames)
        return float(df.loc[level(df, dim, [code, name]), "tokens"].sum() / df["tokens"].sum())

    return measure


for _code, _name, _pub in T2_PUBLISHED:
    statement(
        f"T2.{_code.lower().replace('-', '_')}",
        "T2",
        f"{_name}: share of tokens by prompt language",
        "share_pp",
        _pub,
        f"{100 * _pub:.2f}%",
    )(_t2_share(_code, _name))


@statement(
    "T2.other", "T2", "Other languages combined: share of tokens", "share_pp", 0.0725, "7.25%"
)
def _(frames: Frames) -> float:
    df, dim = _t2(frames)
    named = [x for c, n, _ in T2_PUBLISHED for x in (c, n)]
    return float(df.loc[~level(df, dim, named), "tokens"].sum() / df["tokens"].sum())


@statement(
    "T2.order",
    "T2",
    "The five largest prompt languages, in order",
    "rank_order",
    [c for c, _, _ in T2_PUBLISHED],
    "English, Chinese (Simplified), Russian, Spanish, Thai",
)
def _(frames: Frames) -> list[str]:
    df, dim = _t2(frames)
    names = {n.lower(): c for c, n, _ in T2_PUBLISHED}
    ranked = df.groupby(dim)["tokens"].sum().sort_values(ascending=False, kind="stable")
    return [names.get(str(x).lower(), str(x)) for x in ranked.index]
