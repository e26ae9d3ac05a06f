"""Cost vs. usage: what tokens effectively cost, and how little usage follows price.

**Effective cost** per 1M tokens is spend divided by tokens (prompt + completion)
times one million, after caching discounts, with bring-your-own-key requests left
out (their spend is not what the platform charged). **Usage (log)** is log10 of
total tokens in millions over the window. Both axes are logarithmic.

The market-level trend is an ordinary least-squares line of log usage on log
cost across models: its slope is the price elasticity of usage (a slope of
-0.06 means a 10% price cut goes with about 0.6% more usage). Models are put in
four segments by the medians of cost and usage across models: **premium leaders**
(cost and usage at or above the medians), **efficient giants** (cost below,
usage at or above), **long tail** (both below) and **premium specialists** (cost
at or above, usage below).
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
from ibis import _

from tokencensus.analyses.registry import StudyConfig, artifact, section
from tokencensus.chartspec import Scatter, TableOnly

SECTION = section("cost", "8", "Cost vs. usage", __doc__ or "")

SEGMENTS = ("premium leaders", "efficient giants", "long tail", "premium specialists")

# np.select's default where no condition holds: None in an object array.  numpy turns
# ``default=None`` into exactly this 0-d object array; spelled out because numpy's stubs
# accept only array-likes there.
_NO_LABEL = np.array(None, dtype=object)


def _log_cost_usage(t: ibis.Table) -> ibis.Table:
    t = t.filter((t.tokens > 0) & (t.cost_usd > 0))
    cost = t.cost_usd / t.tokens * 1e6
    return t.mutate(
        cost_per_m=cost.cast("float64"),
        log_cost=cost.log10().cast("float64"),
        usage_log=(t.tokens / 1e6).log10().cast("float64"),
    )


def _quadrants(
    df: pd.DataFrame, config: StudyConfig
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    df = df.copy()
    ok = df["cost_per_m"].notna()
    median_cost = float(df.loc[ok, "cost_per_m"].median()) if ok.any() else math.nan
    median_usage = float(df.loc[ok, "usage_log"].median()) if ok.any() else math.nan
    high_cost = df["cost_per_m"] >= median_cost
    high_use = df["usage_log"] >= median_usage
    df["quadrant"] = np.select(
        [high_cost & high_use, ~high_cost & high_use, ~high_cost & ~high_use, high_cost & ~high_use],
        ["premium (high cost, high usage)", "mass market (low cost, high usage)",
         "niche utilities (low cost, low usage)", "specialists (high cost, low usage)"],
        default=_NO_LABEL,
    )  # fmt: skip
    df.loc[~ok, "quadrant"] = None
    medians = pd.DataFrame(
        [
            {
                "median_cost_per_m": median_cost,
                "median_usage_log": median_usage,
                "items": int(ok.sum()),
            }
        ]
    )
    return df, {"medians": medians}


@artifact(
    "F26",
    title="Categories: effective cost vs. usage",
    section=SECTION,
    chart=Scatter(
        x="cost_per_m",
        y="tokens",
        color="quadrant",
        label="category",
        log_x=True,
        log_y=True,
        x_title="effective cost per 1M tokens (USD, log)",
        y_title="sampled tokens (log)",
        tooltip=("cost_usd",),
    ),
    caption="""
        Each category's effective cost per 1M tokens (spend over tokens of its sampled
        requests, after caching, BYOK excluded) against its sampled token volume; quadrants
        split at the median cost and the median volume across categories (data/F26_medians.csv).
        From the classified sample: {sample_events} sampled events.
    """,
    order_by=("-tokens", "category"),
    complement=(),
    keys=("category",),
    post=_quadrants,
    sampled=True,
)
def category_cost_usage(sampled_labels: ibis.Table) -> ibis.Table:
    from tokencensus.enrich.classify.taxonomy import OTHERS

    named = sampled_labels.filter((_.category != OTHERS) & ~_.is_byok)
    per = named.group_by("category").agg(
        tokens=_.tokens.sum(), cost_usd=_.cost_usd.sum(), users=_.user_id.nunique()
    )
    return _log_cost_usage(per).select(
        "category", "tokens", "cost_usd", "cost_per_m", "log_cost", "usage_log", "users"
    )


def _models(weekly_facts: ibis.Table, user_models: ibis.Table) -> ibis.Table:
    paid = weekly_facts.filter(_.known & ~_.is_byok)
    per = paid.group_by("model").agg(
        name=_.model_name.max(),
        author=_.author.max(),
        source_type=_.source_type.max(),
        tokens=_.tokens.sum(),
        cost_usd=_.cost_usd.sum(),
    )
    # one user_models row per user and model: its users are its rows
    users = user_models.filter(_.known).group_by("model").agg(users=_.count())
    per = per.left_join(users, per.model == users.model).drop("model_right")
    return _log_cost_usage(per).select(
        "model", "name", "author", "source_type", "tokens", "cost_usd", "cost_per_m",
        "log_cost", "usage_log", "users",
    )  # fmt: skip


def fit_elasticity(log_cost: np.ndarray, usage_log: np.ndarray) -> dict[str, float]:
    """OLS of log usage on log cost: slope (elasticity), its 95% interval, intercept, R^2.

    Closed-form least squares (the same numbers as ``scipy.stats.linregress``) with the
    t quantile from ``scipy.special``: importing ``scipy.stats`` alone costs 0.4-1.1 s of
    every study run.
    """
    from scipy.special import stdtrit

    n = len(log_cost)
    if n < 3 or np.ptp(log_cost) == 0:
        return {"n": n, "slope": math.nan, "slope_low": math.nan, "slope_high": math.nan,
                "intercept": math.nan, "r2": math.nan}  # fmt: skip
    x = np.asarray(log_cost, dtype=float)
    y = np.asarray(usage_log, dtype=float)
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    slope = sxy / sxx
    intercept = float(y.mean() - slope * x.mean())
    r2 = sxy * sxy / (sxx * syy) if syy > 0 else 1.0
    # standard error of the slope: sqrt(residual variance / sxx), residuals on n - 2 dof
    stderr = math.sqrt(max(syy - slope * sxy, 0.0) / (n - 2) / sxx)
    t = float(stdtrit(n - 2, 0.975))
    return {
        "n": n,
        "slope": float(slope),
        "slope_low": float(slope - t * stderr),
        "slope_high": float(slope + t * stderr),
        "intercept": intercept,
        "r2": float(r2),
    }


def _with_fit(
    df: pd.DataFrame, config: StudyConfig
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    df = df.copy()
    ok = df["log_cost"].notna() & df["usage_log"].notna()
    fit = fit_elasticity(df.loc[ok, "log_cost"].to_numpy(), df.loc[ok, "usage_log"].to_numpy())
    df["fitted_usage_log"] = fit["intercept"] + fit["slope"] * df["log_cost"]
    return df, {"fit": pd.DataFrame([fit])}


def _segments(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    ok = df["cost_per_m"].notna() & df["usage_log"].notna()
    median_cost = df.loc[ok, "cost_per_m"].median()
    median_usage = df.loc[ok, "usage_log"].median()
    high_cost = df["cost_per_m"] >= median_cost
    high_use = df["usage_log"] >= median_usage
    df["segment"] = np.select(
        [
            high_cost & high_use,
            ~high_cost & high_use,
            ~high_cost & ~high_use,
            high_cost & ~high_use,
        ],
        list(SEGMENTS),
        default=_NO_LABEL,
    )
    df.loc[~ok, "segment"] = None
    df["median_cost_per_m"] = median_cost
    df["median_usage_log"] = median_usage
    return df


@artifact(
    "F27",
    title="Models: effective cost vs. usage, open vs. closed",
    section=SECTION,
    chart=Scatter(
        x="cost_per_m",
        y="usage_log",
        color="source_type",
        color_order=("Closed", "Chinese OSS", "RoW OSS"),
        log_x=True,
        x_title="effective cost per 1M tokens (USD, log)",
        y_title="usage: log10 tokens (millions)",
        tooltip=("name", "tokens", "fitted_usage_log"),
    ),
    caption="""
        Every catalogued model with paid usage in the window: effective cost per 1M tokens
        (spend over tokens after caching, BYOK excluded; free models have no log cost and
        are left out) against log10 of its tokens in millions. The fitted log-log line's
        slope is the price elasticity of usage, with its 95% interval and R^2 in
        data/F27_fit.csv.
    """,
    order_by=("-tokens", "model"),
    keys=("model", "name", "author", "source_type"),
    post=_with_fit,
)
def model_cost_usage(weekly_facts: ibis.Table, user_models: ibis.Table) -> ibis.Table:
    return _models(weekly_facts, user_models)


@artifact(
    "F28",
    title="Model market map: effective cost vs. usage by author",
    section=SECTION,
    chart=Scatter(
        x="cost_per_m",
        y="usage_log",
        color="author",
        log_x=True,
        x_title="effective cost per 1M tokens (USD, log)",
        y_title="usage: log10 tokens (millions)",
        tooltip=("name", "segment"),
    ),
    caption="""
        The models of F27 coloured by author, each placed in one of four segments by the
        medians of cost and usage across models: premium leaders, efficient giants, long
        tail and premium specialists.
    """,
    order_by=("-tokens", "model"),
    keys=("model", "name", "author", "source_type"),
    post=lambda df, config: _segments(df),
)
def model_market_map(weekly_facts: ibis.Table, user_models: ibis.Table) -> ibis.Table:
    return _models(weekly_facts, user_models)


def _examples(df: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    seg = _segments(df)
    seg = seg[seg["segment"].notna()]
    picks = []
    for name, ascending_by in (
        ("premium leaders", ("usage_log", False)),
        ("efficient giants", ("usage_log", False)),
        ("long tail", ("cost_per_m", True)),
        ("premium specialists", ("cost_per_m", False)),
    ):
        col, ascending = ascending_by
        part = seg[seg["segment"] == name].sort_values([col, "model"], ascending=[ascending, True])
        picks.append(part.head(3))
    out = pd.concat(picks) if picks else seg.head(0)
    out = out.rename(columns={"cost_per_m": "price_per_m"})
    return out[["segment", "model", "name", "price_per_m", "usage_log", "tokens"]].reset_index(
        drop=True
    )


@artifact(
    "T3",
    title="Example models per market segment",
    section=SECTION,
    chart=TableOnly(),
    caption="""
        Up to three models per segment of F28: the most-used premium leaders and efficient
        giants, the cheapest long-tail models and the most expensive premium specialists,
        with effective price per 1M tokens and usage (log10 tokens in millions).
    """,
    order_by=("-tokens", "model"),
    keys=("model", "name", "author", "source_type"),
    post=_examples,
)
def segment_examples(weekly_facts: ibis.Table, user_models: ibis.Table) -> ibis.Table:
    return _models(weekly_facts, user_models)
