"""Reading published quantities off artifact tables.

Measure functions get the study's result tables by artifact id (``frames["F1"]``) and read
them through these helpers, which know the data contracts: weekly artifacts have ``week``,
one or more dimension columns, a value column (``tokens``, or spend for F20/F24) and
``share``; composition tables have ``category, tag, tokens, share``; F25 has ``model,
cohort_month, month_offset, cohort_users, active_users, retention``.

Periods are fixed conventions, the same for every run: *early* = the first 4 weeks of the
artifact, *late* = the last 8 weeks, *recent* = the last 4 weeks, a calendar month = the
weeks whose Monday falls in it.  Pooled shares sum the value over the weeks, leaving out
levels the artifact leaves out of its shares (null share: Unknown, Others).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Frames",
    "Measure",
    "NotMeasurable",
    "dim_column",
    "early",
    "get",
    "late",
    "level",
    "month",
    "pooled_share",
    "recent",
    "value_column",
    "weekly_share",
    "weeks",
]

Frames = Mapping[str, pd.DataFrame]
#: A statement's measure: artifact tables in, a value to judge out.
Measure = Callable[[Frames], Any]

EARLY_WEEKS = 4
LATE_WEEKS = 8
RECENT_WEEKS = 4
_NOT_DIMS = {
    "week",
    "tokens",
    "share",
    "share_low",
    "share_high",
    "requests",
    "events",
    "users",
    "cost_usd",
    "spend_usd",
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "name",
    "suppressed",
    "sample_events",
    "labelled",
    "rank",
    "panel",
    "category_rank",
}


class NotMeasurable(Exception):
    """The artifact is there but cannot answer the statement (why is the message)."""


def get(frames: Frames, artifact: str) -> pd.DataFrame:
    """The artifact's table with ``week`` as datetime (raises NotMeasurable if absent/empty)."""
    if artifact not in frames:
        raise NotMeasurable(f"artifact {artifact} was not computed")
    df = frames[artifact].copy()
    if df.empty:
        raise NotMeasurable(f"artifact {artifact} has no rows")
    if "week" in df.columns:
        df["week"] = pd.to_datetime(df["week"])
    return df


def _norm(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(value).lower())


def dim_column(df: pd.DataFrame, prefer: Sequence[str] = ()) -> str:
    """The dimension column: the first of ``prefer`` present, else the first non-value column."""
    for c in prefer:
        if c in df.columns:
            return c
    for c in df.columns:
        if c not in _NOT_DIMS and not pd.api.types.is_numeric_dtype(df[c]):
            return c
    raise NotMeasurable(f"no dimension column among {list(df.columns)}")


def value_column(df: pd.DataFrame, prefer: Sequence[str] = ("tokens",)) -> str:
    for c in (*prefer, "tokens", "spend_usd", "cost_usd", "spend"):
        if c in df.columns:
            return c
    raise NotMeasurable(f"no value column among {list(df.columns)}")


def level(df: pd.DataFrame, dim: str, names: Iterable[object]) -> pd.Series:
    """Rows whose ``dim`` equals one of ``names`` (case, spaces and punctuation ignored)."""
    wanted = {_norm(n) for n in names}
    col = df[dim]
    if pd.api.types.is_bool_dtype(col):
        truthy = {"true", "1", "yes", "reasoning", "toolcall", "toolcalls"}
        return col.astype(bool) if wanted & truthy else ~col.astype(bool)
    return col.map(_norm).isin(wanted)


def weeks(df: pd.DataFrame, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    out = df
    if start is not None:
        out = out[out["week"] >= pd.Timestamp(start)]
    if end is not None:
        out = out[out["week"] <= pd.Timestamp(end)]
    if out.empty:
        raise NotMeasurable(f"no weeks between {start or '...'} and {end or '...'}")
    return out


def _last(df: pd.DataFrame, n: int) -> pd.DataFrame:
    ws = np.sort(df["week"].unique())
    return df[df["week"].isin(ws[-n:])]


def early(df: pd.DataFrame, n: int = EARLY_WEEKS) -> pd.DataFrame:
    ws = np.sort(df["week"].unique())
    return df[df["week"].isin(ws[:n])]


def late(df: pd.DataFrame) -> pd.DataFrame:
    return _last(df, LATE_WEEKS)


def recent(df: pd.DataFrame) -> pd.DataFrame:
    return _last(df, RECENT_WEEKS)


def month(df: pd.DataFrame, year_month: str) -> pd.DataFrame:
    """Weeks whose Monday falls in ``year_month`` (YYYY-MM)."""
    out = df[df["week"].dt.strftime("%Y-%m") == year_month]
    if out.empty:
        raise NotMeasurable(f"no weeks in {year_month}")
    return out


def _included(df: pd.DataFrame) -> pd.Series:
    if "share" in df.columns:
        return df["share"].notna()
    return pd.Series(True, index=df.index)


def pooled_share(
    df: pd.DataFrame, dim: str, names: Iterable[object], value: str | None = None
) -> float:
    """Sum of ``value`` for the levels ``names`` over the sum for all included levels."""
    value = value or value_column(df)
    inc = df[_included(df)]
    total = float(inc[value].sum())
    if total <= 0:
        raise NotMeasurable("no volume in the period")
    return float(inc.loc[level(inc, dim, names), value].sum()) / total


def weekly_share(
    df: pd.DataFrame, dim: str, names: Iterable[object], value: str | None = None
) -> pd.Series:
    """Per week: the share of the levels ``names`` (from ``value`` over included levels)."""
    value = value or value_column(df)
    inc = df[_included(df)]
    mask = level(inc, dim, names)
    num = inc[value].where(mask, 0.0).groupby(inc["week"]).sum()
    den = inc[value].groupby(inc["week"]).sum()
    out = (num / den.where(den > 0)).dropna()
    if out.empty:
        raise NotMeasurable("no weeks with volume")
    return out.sort_index()


def within(df: pd.DataFrame, column: str, names: Iterable[object]) -> pd.DataFrame:
    """Rows of ``df`` whose ``column`` is one of ``names`` (normalized match)."""
    out = df[level(df, column, names)]
    if out.empty:
        raise NotMeasurable(f"no rows with {column} in {list(names)}")
    return out
