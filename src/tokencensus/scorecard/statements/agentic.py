"""Section 4, agentic inference: F10-F18."""

from __future__ import annotations

import pandas as pd

from tokencensus.scorecard.measure import (
    Frames,
    NotMeasurable,
    dim_column,
    early,
    get,
    level,
    recent,
    value_column,
    weekly_share,
    weeks,
)
from tokencensus.scorecard.registry import statement


def _mean_column(df: pd.DataFrame, prefer: tuple[str, ...]) -> str:
    for c in prefer:
        if c in df.columns:
            return c
    for c in df.columns:
        if c.startswith("mean") and pd.api.types.is_numeric_dtype(df[c]):
            return c
    raise NotMeasurable(f"no mean column among {list(df.columns)}")


def _series(
    frames: Frames, artifact: str, prefer: tuple[str, ...], part: str | None = None
) -> pd.Series:
    """A weekly mean; long tables (``part``, ``tokens_per_request``) give the ``part`` rows."""
    df = get(frames, artifact)
    if "part" in df.columns and "tokens_per_request" in df.columns:
        rows = df[level(df, "part", [part or "completion"])]
        if rows.empty:
            raise NotMeasurable(f"{artifact} has no {part!r} rows")
        return rows.groupby("week")["tokens_per_request"].mean().sort_index()
    col = _mean_column(df, prefer)
    return df.groupby("week")[col].mean().sort_index()


def _ranked(df: pd.DataFrame, dim: str = "model") -> list[str]:
    value = value_column(df)
    totals = df.groupby(dim)[value].sum().sort_values(ascending=False, kind="stable")
    return [str(x) for x in totals.index]


# ---------------------------------------------------------------------------------- F10

_REASONING = ("reasoning", True, "Reasoning")


def _f10(frames: Frames) -> pd.Series:
    df = get(frames, "F10")
    return weekly_share(df, dim_column(df, ("reasoning", "model_type", "type")), _REASONING)


@statement(
    "F10.early",
    "F10",
    "Reasoning models' share of tokens in early Q1 2025 (January)",
    "approx_pp",
    0.0,
    "≈ 0",
)
def _(frames: Frames) -> float:
    s = _f10(frames)
    jan = s[(s.index >= "2025-01-01") & (s.index < "2025-02-01")]
    if jan.empty:
        raise NotMeasurable("F10 has no weeks in January 2025")
    return float(jan.mean())


@statement(
    "F10.late",
    "F10",
    "Reasoning models' share of tokens, late 2025 (last 8 weeks)",
    "above_share",
    0.5,
    "> 50%",
)
def _(frames: Frames) -> float:
    return float(_f10(frames).iloc[-8:].mean())


# ---------------------------------------------------------------------------------- F11

F11_TOP = [
    "x-ai/grok-code-fast-1",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-flash",
    "x-ai/grok-4-fast",
    "openai/gpt-oss-120b",
]


def _f11(frames: Frames) -> list[str]:
    df = get(frames, "F11")
    if "week" in df.columns:
        df = recent(df)
    return _ranked(df, dim_column(df, ("model",)))


@statement(
    "F11.top5",
    "F11",
    "Top five reasoning models by tokens, recent weeks",
    "rank_set",
    F11_TOP,
    "Grok Code Fast 1, Gemini 2.5 Pro, Gemini 2.5 Flash, Grok 4 Fast, gpt-oss-120b",
)
def _(frames: Frames) -> list[str]:
    return _f11(frames)


@statement(
    "F11.first",
    "F11",
    "Largest reasoning model by tokens, recent weeks",
    "rank_order",
    F11_TOP[:1],
    "Grok Code Fast 1",
)
def _(frames: Frames) -> list[str]:
    return _f11(frames)


# ---------------------------------------------------------------------------------- F12


def _f12(frames: Frames) -> pd.Series:
    df = get(frames, "F12")
    try:
        dim = dim_column(df, ("finish_reason",))
    except NotMeasurable:
        return df.groupby("week")["share"].sum().sort_index()
    return weekly_share(df, dim, ["tool_calls"])


@statement(
    "F12.rising",
    "F12",
    "Tool-call share of tokens rises through 2025 (first vs last 8 weeks of 2025)",
    "direction",
    "up",
    "rising",
)
def _(frames: Frames) -> tuple[float, float]:
    s = _f12(frames)
    s = s[s.index >= "2025-01-01"]
    return float(s.iloc[:8].mean()), float(s.iloc[-8:].mean())


def _spike(s: pd.Series) -> tuple[pd.Timestamp, bool]:
    may = s[(s.index >= "2025-05-01") & (s.index < "2025-06-09")]
    before = s[(s.index >= "2025-04-01") & (s.index < "2025-05-01")]
    after = s[(s.index >= "2025-06-09") & (s.index < "2025-07-07")]
    if may.empty or before.empty or after.empty:
        raise NotMeasurable("F12 does not cover April to early July 2025")
    peak = float(may.max())
    holds = peak >= 1.25 * float(before.mean()) and peak >= 1.25 * float(after.mean())
    return may.idxmax(), holds


@statement(
    "F12.may_spike",
    "F12",
    "A May-2025 spike: peak weekly share >= 1.25x the 4 weeks before and after",
    "pattern",
    True,
    "visible spike in May",
)
def _(frames: Frames) -> bool:
    return _spike(_f12(frames))[1]


@statement(
    "F12.spike_one_account",
    "F12",
    "The May spike comes from one account (it holds >= 50% of the peak week's tool-call tokens)",
    "pattern",
    True,
    "one large account",
)
def _(frames: Frames) -> bool:
    df = get(frames, "F12")
    col = next((c for c in df.columns if "top" in c and "share" in c), None)
    if col is None:
        raise NotMeasurable("F12 does not report the largest account's share of tool-call tokens")
    peak, _holds = _spike(_f12(frames))
    return bool(df.loc[df["week"] == peak, col].max() >= 0.5)


# ---------------------------------------------------------------------------------- F13


def _f13(frames: Frames, start: str, end: str | None = None) -> list[str]:
    df = weeks(get(frames, "F13"), start, end)
    dim = dim_column(df, ("model",))
    return _ranked(df[~level(df, dim, ["Other", "Others"])], dim)


@statement(
    "F13.early_top3",
    "F13",
    "Top three tool-call models, January-April 2025",
    "rank_set",
    ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "anthropic/claude-3.7-sonnet"],
    "gpt-4o-mini, Claude 3.5 / 3.7 Sonnet",
)
def _(frames: Frames) -> list[str]:
    return _f13(frames, "2025-01-01", "2025-04-30")


@statement(
    "F13.sonnet45_late",
    "F13",
    "Top tool-call model from late September 2025",
    "rank_order",
    ["anthropic/claude-sonnet-4.5"],
    "Claude Sonnet 4.5",
)
def _(frames: Frames) -> list[str]:
    return _f13(frames, "2025-09-29")


@statement(
    "F13.rising",
    "F13",
    "Grok Code Fast and GLM 4.5 among the top-10 tool-call models, August-October 2025",
    "rank_in",
    ["x-ai/grok-code-fast-1", "z-ai/glm-4.5"],
    "rising: Grok Code Fast, GLM 4.5",
)
def _(frames: Frames) -> list[str]:
    return _f13(frames, "2025-08-01", "2025-10-31")[:10]


# ------------------------------------------------------------------------------ F14, F15


def _start_end(
    frames: Frames, artifact: str, prefer: tuple[str, ...], part: str | None = None
) -> tuple[float, float]:
    s = _series(frames, artifact, prefer, part)
    df = s.rename("v").rename_axis("week").reset_index()
    return float(early(df)["v"].mean()), float(recent(df)["v"].mean())


@statement(
    "F14.start", "F14", "Mean prompt tokens per request, first 4 weeks", "mean_rel", 1500, "≈ 1.5K"
)
def _(frames: Frames) -> float:
    return _start_end(frames, "F14", ("mean_prompt_tokens",))[0]


@statement("F14.end", "F14", "Mean prompt tokens per request, last 4 weeks", "above", 6000, "> 6K")
def _(frames: Frames) -> float:
    return _start_end(frames, "F14", ("mean_prompt_tokens",))[1]


@statement(
    "F14.growth",
    "F14",
    "Growth of mean prompt tokens (last / first 4 weeks)",
    "ratio_rel",
    4.0,
    "≈ 4x",
)
def _(frames: Frames) -> float:
    a, b = _start_end(frames, "F14", ("mean_prompt_tokens",))
    return b / a


@statement(
    "F15.start",
    "F15",
    "Mean completion tokens per request, first 4 weeks",
    "mean_rel",
    150,
    "≈ 150",
)
def _(frames: Frames) -> float:
    return _start_end(frames, "F15", ("mean_completion_tokens",))[0]


@statement(
    "F15.end", "F15", "Mean completion tokens per request, last 4 weeks", "mean_rel", 400, "≈ 400"
)
def _(frames: Frames) -> float:
    return _start_end(frames, "F15", ("mean_completion_tokens",))[1]


@statement(
    "F15.growth",
    "F15",
    "Growth of mean completion tokens (last / first 4 weeks)",
    "ratio_rel",
    3.0,
    "≈ 3x",
)
def _(frames: Frames) -> float:
    a, b = _start_end(frames, "F15", ("mean_completion_tokens",))
    return b / a


@statement(
    "F15.mostly_reasoning",
    "F15",
    "Most of the completion growth is reasoning tokens",
    "pattern",
    True,
    "mostly reasoning tokens",
)
def _(frames: Frames) -> bool:
    df = get(frames, "F15")
    if "part" in df.columns:
        col, part = "tokens_per_request", "of which reasoning"
    else:
        col, part = next((c for c in df.columns if "reasoning" in c), ""), None
    if not col:
        raise NotMeasurable("F15 does not report reasoning tokens per request")
    c0, c1 = _start_end(frames, "F15", ("mean_completion_tokens",))
    r0, r1 = _start_end(frames, "F15", (col,), part)
    return (c1 - c0) > 0 and (r1 - r0) / (c1 - c0) > 0.5


# ------------------------------------------------------------------------------ F16-F18


def _f16(frames: Frames) -> pd.DataFrame:
    df = get(frames, "F16")
    dim = dim_column(df, ("category",))
    col = _mean_column(df, ("mean_prompt_tokens",))
    return df.rename(columns={dim: "category", col: "mean"})


@statement(
    "F16.programming_largest",
    "F16",
    "Category with the largest mean prompt",
    "rank_order",
    ["Programming"],
)
def _(frames: Frames) -> list[str]:
    df = _f16(frames)
    means = df.groupby("category")["mean"].mean().sort_values(ascending=False, kind="stable")
    return [str(c) for c in means.index]


@statement(
    "F16.programming_20k",
    "F16",
    "Mean programming prompt tokens, last 4 weeks",
    "above",
    20000,
    "> 20K",
)
def _(frames: Frames) -> float:
    df = _f16(frames)
    prog = recent(df[level(df, "category", ["Programming"])])
    if prog.empty:
        raise NotMeasurable("F16 has no programming rows")
    return float(prog["mean"].mean())


@statement("F17.late_2023", "F17", "Mean sequence length in late 2023", "below", 2000, "< 2,000")
def _(frames: Frames) -> float:
    s = _series(frames, "F17", ("mean_sequence_tokens",))
    s = s[(s.index >= "2023-10-01") & (s.index < "2024-01-01")]
    if s.empty:
        raise NotMeasurable("the data do not cover late 2023")
    return float(s.mean())


@statement(
    "F17.late_2025",
    "F17",
    "Mean sequence length (prompt + completion), last 4 weeks",
    "above",
    5400,
    "> 5,400",
)
def _(frames: Frames) -> float:
    return _start_end(frames, "F17", ("mean_sequence_tokens",))[1]


@statement(
    "F18.ratio",
    "F18",
    "Programming mean sequence length over the overall mean",
    "range_rel",
    (3.0, 4.0),
    "3-4x",
)
def _(frames: Frames) -> float:
    df = get(frames, "F18")
    if "ratio" in df.columns:
        return float(df["ratio"].mean())
    col = _mean_column(df, ("mean_sequence_tokens",))
    dim = dim_column(df, ("series", "group", "category"))
    prog = df[level(df, dim, ["Programming"])].groupby("week")[col].mean()
    overall = df[level(df, dim, ["All", "Overall", "All requests"])].groupby("week")[col].mean()
    ratio = (prog / overall).dropna()
    if ratio.empty:
        raise NotMeasurable("F18 has no programming and overall rows in the same weeks")
    return float(ratio.mean())
