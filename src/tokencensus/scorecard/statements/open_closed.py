"""Section 3, open vs closed: F1-F5 and T1."""

from __future__ import annotations

import pandas as pd

from tokencensus.scorecard.measure import (
    LATE_WEEKS,
    Frames,
    NotMeasurable,
    dim_column,
    get,
    late,
    level,
    weekly_share,
    weeks,
)
from tokencensus.scorecard.registry import statement

CHINESE, ROW, CLOSED = ("Chinese OSS",), ("RoW OSS",), ("Closed",)
OSS = CHINESE + ROW

# ---------------------------------------------------------------------------------- F1


def _f1(frames: Frames, names: tuple[str, ...]) -> pd.Series:
    df = get(frames, "F1")
    return weekly_share(df, dim_column(df, ("source_type",)), names)


@statement(
    "F1.oss_late",
    "F1",
    "OSS share of tokens by late 2025 (last 8 weeks)",
    "approx_pp",
    1 / 3,
    "≈ one third",
)
def _(frames: Frames) -> float:
    return float(_f1(frames, OSS).iloc[-LATE_WEEKS:].mean())


@statement(
    "F1.chinese_min",
    "F1",
    "Chinese OSS weekly share, minimum (late 2024)",
    "share_pp",
    0.012,
    "1.2%",
)
def _(frames: Frames) -> float:
    return float(_f1(frames, CHINESE).min())


@statement("F1.chinese_max", "F1", "Chinese OSS weekly share, maximum", "approx_pp", 0.30, "≈ 30%")
def _(frames: Frames) -> float:
    return float(_f1(frames, CHINESE).max())


@statement(
    "F1.chinese_mean",
    "F1",
    "Chinese OSS weekly share, mean over the window",
    "share_pp",
    0.130,
    "13.0%",
)
def _(frames: Frames) -> float:
    return float(_f1(frames, CHINESE).mean())


@statement(
    "F1.row_mean", "F1", "RoW OSS weekly share, mean over the window", "share_pp", 0.137, "13.7%"
)
def _(frames: Frames) -> float:
    return float(_f1(frames, ROW).mean())


@statement(
    "F1.closed_mean", "F1", "Closed weekly share, mean over the window", "approx_pp", 0.70, "≈ 70%"
)
def _(frames: Frames) -> float:
    return float(_f1(frames, CLOSED).mean())


# ---------------------------------------------------------------------------------- F2


@statement(
    "F2.oss_rising",
    "F2",
    "OSS weekly token volume rises through 2025 (first vs last 8 weeks of 2025)",
    "direction",
    "up",
    "rising",
)
def _(frames: Frames) -> tuple[float, float]:
    df = get(frames, "F2")
    dim = dim_column(df, ("source_type",))
    oss = weeks(df[level(df, dim, OSS)], "2025-01-01")
    per_week = oss.groupby("week")["tokens"].sum().sort_index()
    return float(per_week.iloc[:8].mean()), float(per_week.iloc[-8:].mean())


@statement(
    "F2.chinese_mid_year",
    "F2",
    "Chinese OSS share grows from mid-2025 (H1 vs Jul-Nov 2025 mean)",
    "direction",
    "up",
    "from mid-year",
)
def _(frames: Frames) -> tuple[float, float]:
    df = get(frames, "F2")
    s = weekly_share(df, dim_column(df, ("source_type",)), CHINESE)
    h1 = s[(s.index >= "2025-01-01") & (s.index < "2025-07-01")]
    h2 = s[s.index >= "2025-07-01"]
    if h1.empty or h2.empty:
        raise NotMeasurable("F2 does not cover both halves of 2025")
    return float(h1.mean()), float(h2.mean())


# ---------------------------------------------------------------------------------- T1

T1_PUBLISHED = {
    "DeepSeek": 14.37,
    "Qwen": 5.59,
    "Meta LLaMA": 3.96,
    "Mistral AI": 2.92,
    "OpenAI": 1.65,
    "Minimax": 1.26,
    "Z-AI": 1.18,
    "TNGTech": 1.13,
    "MoonshotAI": 0.92,
    "Google": 0.82,
}
_T1_TOTAL = sum(T1_PUBLISHED.values())


def _t1(frames: Frames) -> pd.DataFrame:
    df = get(frames, "T1")
    df = df.sort_values("tokens", ascending=False, kind="stable")
    return df


def _t1_share(author: str):
    def measure(frames: Frames) -> float:
        df = _t1(frames)
        dim = dim_column(df, ("author",))
        top = df.head(10)
        total = float(top["tokens"].sum())
        if total <= 0:
            raise NotMeasurable("no open-weights tokens")
        return float(df.loc[level(df, dim, [author]), "tokens"].sum()) / total

    return measure


for _author, _tt in T1_PUBLISHED.items():
    statement(
        f"T1.{_author.lower().replace(' ', '_').replace('-', '_')}",
        "T1",
        f"{_author}: share of the top-10 open-weights authors' tokens",
        "share_pp",
        _tt / _T1_TOTAL,
        f"{_tt:.2f}T of {_T1_TOTAL:.2f}T",
    )(_t1_share(_author))


@statement("T1.top10", "T1", "The ten largest open-weights authors", "rank_set", list(T1_PUBLISHED))
def _(frames: Frames) -> list[str]:
    df = _t1(frames)
    return [str(a) for a in df[dim_column(df, ("author",))].head(10)]


@statement(
    "T1.top3_order",
    "T1",
    "The three largest open-weights authors, in order",
    "rank_order",
    list(T1_PUBLISHED)[:3],
)
def _(frames: Frames) -> list[str]:
    df = _t1(frames)
    return [str(a) for a in df[dim_column(df, ("author",))].head(10)]


# ---------------------------------------------------------------------------------- F3

_OTHER_OSS = ("Other OSS",)


@statement(
    "F3.deepseek_early",
    "F3",
    "DeepSeek V3 + R1 share of OSS tokens, first 8 weeks after R1",
    "above_share",
    0.5,
    "> 50%",
)
def _(frames: Frames) -> float:
    df = weeks(get(frames, "F3"), "2025-01-20", "2025-03-16")
    s = weekly_share(df, "model", ["deepseek/deepseek-chat", "deepseek/deepseek-r1"])
    return float(s.mean())


@statement(
    "F3.no_model_late",
    "F3",
    "Largest single OSS model's weekly share, late 2025 (max over last 8 weeks)",
    "below_share",
    0.25,
    "no model > 25%",
)
def _(frames: Frames) -> float:
    df = late(get(frames, "F3"))
    named = df[~level(df, "model", _OTHER_OSS)]
    total = df.groupby("week")["tokens"].sum()
    share = named["tokens"] / named["week"].map(total)
    return float(share.max())


@statement(
    "F3.even_late",
    "F3",
    "OSS models holding >= 5% of OSS tokens, late 2025",
    "count_range",
    (5, 7),
    "5-7 models",
)
def _(frames: Frames) -> int:
    df = late(get(frames, "F3"))
    named = df[~level(df, "model", _OTHER_OSS)]
    share = named.groupby("model")["tokens"].sum() / float(df["tokens"].sum())
    return int((share >= 0.05).sum())


# ------------------------------------------------------------------------------ F4, F5


def _size_direction(artifact: str, size: str, value: str | None):
    def measure(frames: Frames) -> tuple[float, float]:
        df = get(frames, artifact)
        dim = dim_column(df, ("size_class",))
        if value is None:
            s = weekly_share(df, dim, [size])
        else:
            s = df[level(df, dim, [size])].groupby("week")[value].sum().sort_index()
        return float(s.iloc[:8].mean()), float(s.iloc[-8:].mean())

    return measure


statement(
    "F4.small_down",
    "F4",
    "Small models' share of OSS tokens declines (first vs last 8 weeks)",
    "direction",
    "down",
    "declining",
)(_size_direction("F4", "small", None))
statement(
    "F4.medium_up",
    "F4",
    "Medium models' share of OSS tokens grows (first vs last 8 weeks)",
    "direction",
    "up",
    "grows",
)(_size_direction("F4", "medium", None))
for _size in ("small", "medium", "large"):
    statement(
        f"F5.{_size}_up",
        "F5",
        f"Number of {_size} OSS models in use grows (first vs last 8 weeks)",
        "direction",
        "up",
        "counts grow",
    )(_size_direction("F5", _size, "models"))
