"""Section 8, cost vs usage: F26, F27, T3."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tokencensus.scorecard.measure import Frames, Measure, NotMeasurable, get, level
from tokencensus.scorecard.registry import statement

SPECIALISTS = ("Finance", "Academia", "Health", "Marketing")
UTILITIES = ("Translation", "Legal", "Trivia")


def _cost_column(df: pd.DataFrame) -> str:
    for c in ("cost_per_m_usd", "effective_cost_per_m", "price_per_m_usd", "usd_per_m"):
        if c in df.columns:
            return c
    for c in df.columns:
        if ("cost" in c or "price" in c) and ("per" in c or "_m" in c):
            return c
    raise NotMeasurable(f"no cost-per-1M column among {list(df.columns)}")


def _f26(frames: Frames) -> pd.DataFrame:
    df = get(frames, "F26")
    out = pd.DataFrame(
        {
            "category": df["category"].astype(str),
            "cost": df[_cost_column(df)],
            "tokens": df["tokens"],
        }
    )
    out = out[~level(out, "category", ["Others"])]
    return out.set_index("category")


@statement(
    "F26.median_cost",
    "F26",
    "Median effective cost per 1M tokens across categories",
    "mean_rel",
    0.73,
    "≈ $0.73",
)
def _(frames: Frames) -> float:
    medians = frames.get("F26_medians")
    if medians is not None and "median_cost_per_m" in medians.columns and len(medians):
        return float(medians["median_cost_per_m"].iloc[0])
    return float(_f26(frames)["cost"].median())


@statement(
    "F26.technology_most_expensive",
    "F26",
    "Technology is the most expensive category by far (>= 1.5x the next)",
    "pattern",
    True,
    "most expensive by far",
)
def _(frames: Frames) -> bool:
    cost = _f26(frames)["cost"].sort_values(ascending=False)
    return cost.index[0] == "Technology" and cost.iloc[0] >= 1.5 * cost.iloc[1]


@statement(
    "F26.technology_high_usage",
    "F26",
    "Technology's usage is above the median category's",
    "pattern",
    True,
    "still high usage",
)
def _(frames: Frames) -> bool:
    df = _f26(frames)
    return bool(df.loc["Technology", "tokens"] >= df["tokens"].median())


@statement(
    "F26.programming_top_usage",
    "F26",
    "Category with the highest usage",
    "rank_order",
    ["Programming"],
)
def _(frames: Frames) -> list[str]:
    return list(_f26(frames)["tokens"].sort_values(ascending=False).index)


@statement(
    "F26.programming_median_cost",
    "F26",
    "Programming's cost relative to the median (log10 ratio)",
    "log_abs",
    0.0,
    "about median cost",
)
def _(frames: Frames) -> float:
    df = _f26(frames)
    return math.log10(float(df.loc["Programming", "cost"]) / float(df["cost"].median()))


@statement(
    "F26.roleplay_near_programming",
    "F26",
    "Roleplay's usage relative to Programming's (log10 ratio)",
    "log_abs",
    0.0,
    "volume near Programming",
)
def _(frames: Frames) -> float:
    df = _f26(frames)
    return math.log10(float(df.loc["Roleplay", "tokens"]) / float(df.loc["Programming", "tokens"]))


def _quadrant(names: tuple[str, ...], expensive: bool) -> Measure:
    def measure(frames: Frames) -> bool:
        df = _f26(frames)
        cost_mid, tok_mid = df["cost"].median(), df["tokens"].median()
        rows = df.loc[[n for n in names if n in df.index]]
        if len(rows) < len(names):
            raise NotMeasurable(f"F26 lacks {sorted(set(names) - set(rows.index))}")
        pricey = (rows["cost"] > cost_mid) if expensive else (rows["cost"] < cost_mid)
        return bool((pricey & (rows["tokens"] < tok_mid)).all())

    return measure


statement(
    "F26.specialists",
    "F26",
    "Finance, Academia, Health, Marketing: above-median cost, below-median usage",
    "pattern",
    True,
    "high cost / low volume",
)(_quadrant(SPECIALISTS, True))
statement(
    "F26.utilities",
    "F26",
    "Translation, Legal, Trivia: below-median cost and usage",
    "pattern",
    True,
    "low cost / low volume",
)(_quadrant(UTILITIES, False))

# ------------------------------------------------------------------------------ F27, T3


def _models(frames: Frames, artifact: str = "F27") -> pd.DataFrame:
    df = get(frames, artifact)
    out = pd.DataFrame({"model": df["model"].astype(str), "cost": df[_cost_column(df)]})
    if "tokens" in df.columns:
        out["tokens"] = df["tokens"].astype(float)
    elif "usage_log" in df.columns:
        out["tokens"] = 10 ** df["usage_log"].astype(float) * 1e6
    else:
        raise NotMeasurable(f"{artifact} has neither tokens nor usage_log")
    for c in ("open_weights", "source_type"):
        if c in df.columns:
            out[c] = df[c]
    return out[(out["cost"] > 0) & (out["tokens"] > 0)]


@statement(
    "F27.elasticity",
    "F27",
    "Slope of log10 usage on log10 cost across models",
    "range_abs",
    (-0.07, -0.05),
    "≈ -0.05 to -0.07",
)
def _(frames: Frames) -> float:
    fit = frames.get("F27_fit")
    if fit is not None and "slope" in fit.columns and len(fit):
        return float(fit["slope"].iloc[0])
    df = _models(frames)
    if len(df) < 10:
        raise NotMeasurable("fewer than 10 priced models")
    slope = np.polyfit(np.log10(df["cost"]), np.log10(df["tokens"]), 1)[0]
    return float(slope)


@statement(
    "F27.closed_premium",
    "F27",
    "Closed models' token-weighted cost is at least 3x open models'",
    "pattern",
    True,
    "closed high-cost, open low-cost",
)
def _(frames: Frames) -> bool:
    df = _models(frames)
    if "source_type" in df.columns:
        open_w = df["source_type"].astype(str).str.contains("OSS")
    elif "open_weights" in df.columns:
        open_w = df["open_weights"].astype(str).str.lower().isin({"true", "1"})
    else:
        raise NotMeasurable("F27 does not say which models are open")
    spend = df["cost"] * df["tokens"]
    closed_cost = spend[~open_w].sum() / df.loc[~open_w, "tokens"].sum()
    open_cost = spend[open_w].sum() / df.loc[open_w, "tokens"].sum()
    return bool(closed_cost >= 3 * open_cost)


T3_PUBLISHED = (
    ("google/gemini-2.0-flash-001", "gemini-2.0-flash", 0.147, 6.68),
    ("deepseek/deepseek-chat-v3-0324", "deepseek-v3-0324", 0.394, 6.55),
    ("anthropic/claude-3.7-sonnet", "claude-3.7-sonnet", 1.963, 6.87),
    ("anthropic/claude-sonnet-4", "claude-sonnet-4", 1.937, 6.84),
    ("qwen/qwen-2-7b-instruct", "qwen-2-7b-instruct", 0.052, 2.91),
    ("ibm-granite/granite-4.0-h-micro", "granite-4.0-micro", 0.036, 2.95),
    ("openai/gpt-4", "gpt-4", 34.068, 3.53),
    ("openai/gpt-5-pro", "gpt-5-pro", 34.965, 3.42),
)
#: T3's usage column is absolute; a simulated or private gateway has its own scale, so
#: usage is compared relative to the table's largest model (its own cell is the anchor).
T3_ANCHOR = "anthropic/claude-3.7-sonnet"


def _t3(frames: Frames) -> pd.DataFrame:
    """Per-model price and usage: F27 has every model, T3 the study's own examples."""
    parts = [_models(frames, a) for a in ("F27", "T3") if a in frames]
    if not parts:
        raise NotMeasurable("artifacts T3 and F27 were not computed")
    return pd.concat(parts).drop_duplicates("model").set_index("model")


def _suppressed(frames: Frames, slug: str) -> bool:
    """The model's F27 row is there but masked by the privacy floor (fewer than K users)."""
    df = frames.get("F27")
    if df is None or "suppressed" not in df.columns:
        return False
    rows = df[df["model"].astype(str) == slug]
    return bool(len(rows)) and bool(rows["suppressed"].fillna(False).astype(bool).all())


def _absent(frames: Frames, slug: str, why: str) -> NotMeasurable:
    if _suppressed(frames, slug):
        return NotMeasurable(f"{slug} is suppressed by the privacy floor (too few users)")
    return NotMeasurable(why)


def _t3_price(slug: str):
    def measure(frames: Frames) -> float:
        df = _t3(frames)
        if slug not in df.index:
            raise _absent(frames, slug, f"{slug} has no priced usage")
        return float(df.loc[slug, "cost"])

    return measure


def _t3_usage(slug: str, anchor_log: float):
    def measure(frames: Frames) -> float:
        df = _t3(frames)
        for model in (slug, T3_ANCHOR):
            if model not in df.index:
                raise _absent(frames, model, f"{slug} or the anchor {T3_ANCHOR} has no usage")
        return anchor_log + math.log10(
            float(df.loc[slug, "tokens"]) / float(df.loc[T3_ANCHOR, "tokens"])
        )

    return measure


_ANCHOR_LOG = next(u for s, _, _, u in T3_PUBLISHED if s == T3_ANCHOR)
for _slug, _name, _price, _usage in T3_PUBLISHED:
    statement(
        f"T3.{_name}.price",
        "T3",
        f"{_name}: effective price per 1M tokens",
        "mean_rel",
        _price,
        f"${_price}",
    )(_t3_price(_slug))
    if _slug != T3_ANCHOR:
        statement(
            f"T3.{_name}.usage",
            "T3",
            f"{_name}: usage (log10 tokens in millions), scaled to claude-3.7-sonnet = 6.87",
            "log_abs",
            _usage,
            f"{_usage}",
        )(_t3_usage(_slug, _ANCHOR_LOG))
