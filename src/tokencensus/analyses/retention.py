"""Retention: monthly cohorts of each model's first-time users, and the Glass Slipper effect.

A model's cohort for a month is the users whose first request to that model (any
of its dated or variant ids) falls in that calendar month (UTC). Retention at
month k is the share of the cohort active on the model in month k: a user who
comes back after a gap counts again, so curves can rise. Cohorts follow users
over every month in the data, not only the study window; a calendar month in which
the platform logged no request at all has no point (no data is not zero retention).

Two patterns are detected with stated rules and listed beside the chart:

- **Foundational cohort** ("Glass Slipper"): a cohort whose retention at month k
  beats the median retention at month k of all later cohorts of the same model by
  at least the margin (default 10 points), where k is the largest of 5, 4, 3 at
  which at least two later cohorts are observed.
- **Boomerang**: a cohort whose retention climbs at least the rise (default 5
  points) above its lowest value since month 1, i.e. users who left come back.

Only cohorts of at least the minimum size (default 50 users) are assessed.
"""

from __future__ import annotations

import itertools
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis import _

from tokencensus.analyses.registry import StudyConfig, artifact, section
from tokencensus.catalog import Catalog
from tokencensus.chartspec import Line

SECTION = section("retention", "7", "Retention: foundational cohorts", __doc__ or "")


def parse_cohort_models(
    text: str, catalog: Catalog, *, option: str = "--cohort-models"
) -> tuple[str, ...]:
    """The catalog slugs F25 follows, from a comma-separated list of slugs or aliases.

    Each name resolves like a model id in the logs (aliases, dated pins, ``:free``);
    duplicates are dropped, the order is kept.  Unknown names raise a ConfigError
    naming every one of them.
    """
    from tokencensus.errors import ConfigError, did_you_mean

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ConfigError(
            f"{option} expects a comma-separated list of catalog slugs or aliases, "
            f"e.g. {option} anthropic/claude-sonnet-4,deepseek/deepseek-r1; got {text!r}."
        )
    slugs: list[str] = []
    unknown: list[str] = []
    for name in names:
        slug = catalog.resolve(name)
        if slug is None:
            unknown.append(name)
        elif slug not in slugs:
            slugs.append(slug)
    if unknown:
        hint = did_you_mean(unknown[0].lower(), list(catalog.models["slug"]))
        raise ConfigError(
            f"{option}: {', '.join(repr(n) for n in unknown)} "
            f"{'is' if len(unknown) == 1 else 'are'} not in the model catalog.{hint} "
            "Give catalog slugs or aliases (the shipped catalog: "
            "tokencensus/catalog/data/models.csv), or add the model with --catalog FILE."
        )
    return tuple(slugs)


def _month_index(d: ibis.Value) -> ibis.Value:
    return d.year() * 12 + d.month()


@artifact(
    "F25",
    title="Monthly cohort retention per model",
    section=SECTION,
    chart=Line(
        x="month_offset",
        y="retention",
        color="cohort_month",
        facet="name",
        y_format="percent",
        x_title="months since the cohort's first request",
        y_title="share of cohort active",
        tooltip=("cohort_users", "active_users"),
    ),
    caption="""
        For each model, users are grouped by the month of their first request to it; each
        line is a cohort's share of users active on the model k months later (returning
        after a gap counts). Cohorts smaller than {min_users} users are suppressed.
    """,
    order_by=("model", "cohort_month", "month_offset"),
    keys=("model", "name", "cohort_month", "month_offset"),
    post=lambda df, config: detect_cohort_patterns(df.drop(columns="month"), config),
    by_month=True,
)
def cohort_retention(
    user_model_month: ibis.Table, cohort_firsts: ibis.Table, retention_targets: ibis.Table
) -> ibis.Table:
    # one row per model x user x month: retention_targets holds each model once,
    # user_model_month each user x family x month once, cohort_firsts each user x family
    # once, so counting rows counts distinct users (a third of the query's time saved)
    t = user_model_month.join(retention_targets, "family").select("model", "user_id", "month")
    first = cohort_firsts.join(retention_targets, "family").select(
        "model", "user_id", cohort_month=_.first_month
    )
    act = t.join(first, ["model", "user_id"])
    active = act.group_by("model", "cohort_month", "month").agg(active_users=_.count())
    cohorts = first.group_by("model", "cohort_month").agg(cohort_users=_.count())
    # a row for every month with requests on the platform from the cohort's month on
    # (a month without any request has no row: no data, not zero retention); a row of
    # a month reads that month's requests and cohorts that began by then only (by_month)
    months = user_model_month.select("month").distinct()
    grid = cohorts.cross_join(months)
    grid = grid.filter(grid.month >= grid.cohort_month)
    j = grid.left_join(
        active,
        [
            grid.model == active.model,
            grid.cohort_month == active.cohort_month,
            grid.month == active.month,
        ],
    )
    out = j.select(
        grid.model,
        grid.cohort_month,
        grid.month,
        grid.cohort_users,
        active_users=ibis.coalesce(active.active_users, 0),
    )
    out = out.mutate(
        month_offset=_month_index(out.month) - _month_index(out.cohort_month),
        retention=(out.active_users / out.cohort_users).cast("float64"),
        users=out.cohort_users,
    )
    out = out.join(retention_targets.select("model", "name"), "model")
    # the data contract: these six columns lead, extras follow (``month``, the calendar
    # month of the row, is dropped after the run: the kept result is updated by it)
    return out.select(
        "model", "cohort_month", "month_offset", "cohort_users", "active_users", "retention",
        "name", "users", "month",
    )  # fmt: skip


def detect_cohort_patterns(
    df: pd.DataFrame, config: StudyConfig
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Foundational cohorts and boomerang rises, by the rules in this module's docstring."""
    found: list[dict[str, object]] = []
    boom: list[dict[str, object]] = []
    data = df[df["retention"].notna() & (df["cohort_users"].fillna(0) >= config.min_cohort_users)]
    # model -> cohort -> {offset: retention}, as plain dicts (a few hundred rows: pandas
    # indexing per cohort and offset cost more than the rules)
    by_model: dict[Any, dict[Any, dict[int, float]]] = {}
    for model, cohort, k, r in zip(
        data["model"], data["cohort_month"], data["month_offset"], data["retention"], strict=True
    ):
        by_model.setdefault(model, {}).setdefault(cohort, {})[int(k)] = float(r)
    for model in sorted(by_model):
        curves = by_model[model]
        cohorts = sorted(curves)
        for i, c in enumerate(cohorts):
            later = cohorts[i + 1 :]
            for k in config.foundational_offsets:
                if k not in curves[c]:
                    continue
                peers = [curves[x][k] for x in later if k in curves[x]]
                if len(peers) < 2:
                    continue
                median = float(np.median(peers))
                margin = curves[c][k] - median
                if margin >= config.foundational_margin:
                    found.append(
                        {
                            "model": model,
                            "cohort_month": c,
                            "month_offset": k,
                            "retention": curves[c][k],
                            "later_cohorts": len(peers),
                            "later_median": median,
                            "margin": margin,
                        }
                    )
                break  # judged at the largest observable offset only
        for c in cohorts:
            curve = curves[c]
            offsets = sorted(k for k in curve if k >= 1)
            trough_at = offsets[0] if offsets else 0
            for prev, b in itertools.pairwise(offsets):
                if curve[prev] < curve[trough_at]:  # the lowest before b, first when tied
                    trough_at = prev
                rise = curve[b] - curve[trough_at]
                if rise >= config.boomerang_rise:
                    boom.append(
                        {
                            "model": model,
                            "cohort_month": c,
                            "trough_offset": trough_at,
                            "trough": curve[trough_at],
                            "rise_offset": b,
                            "retention": curve[b],
                            "rise": rise,
                        }
                    )
                    break
    foundational = pd.DataFrame(
        found,
        columns=["model", "cohort_month", "month_offset", "retention", "later_cohorts",
                 "later_median", "margin"],
    )  # fmt: skip
    boomerang = pd.DataFrame(
        boom,
        columns=["model", "cohort_month", "trough_offset", "trough", "rise_offset", "retention",
                 "rise"],
    )  # fmt: skip
    return df, {"foundational": foundational, "boomerang": boomerang}
