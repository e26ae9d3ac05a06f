"""Open vs. closed models: who serves the tokens, and how the open-weights market is shaped.

Every model is classed by its catalog entry: **Closed** (API-only weights),
**Chinese OSS** (open weights from developers in mainland China, Taiwan or Hong
Kong) or **RoW OSS** (open weights from the rest of the world).  Open-weights
models are further split by total parameter count into small (< 15B), medium
(15-70B) and large (>= 70B).  Models missing from the catalog are kept as
*Unknown*: counted and reported, but left out of every share.
"""

from __future__ import annotations

import ibis
from ibis import _

from tokencensus.analyses.common import (
    oss_only,
    top_levels,
    top_model_shares,
    weekly_shares,
    with_users,
)
from tokencensus.analyses.registry import artifact, section
from tokencensus.catalog import SIZE_CLASSES, SOURCE_TYPES
from tokencensus.chartspec import Bar, Line, StackedArea, StackedBar

SECTION = section(
    "open_closed",
    "3",
    "Open vs. closed source models",
    __doc__ or "",
)

#: Open-weights launches the paper marks on F1 (catalog slugs; dates come from the catalog).
F1_MARKERS = (
    "meta-llama/llama-3.3-70b-instruct",
    "deepseek/deepseek-chat",
    "deepseek/deepseek-r1",
    "moonshotai/kimi-k2",
    "openai/gpt-oss-120b",
    "qwen/qwen3-coder",
)


def _source_type_volume(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    shares = weekly_shares(weekly_facts, "source_type", levels=SOURCE_TYPES)
    return with_users(shares, user_weekly, ["week", "source_type"])


@artifact(
    "F1",
    title="Open vs. closed: weekly share of tokens by source type",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="source_type",
        color_order=SOURCE_TYPES,
        y_format="percent",
        y_title="share of tokens",
        tooltip=("tokens",),
        markers=True,
    ),
    caption="""
        Share of each ISO week's tokens (prompt + completion) served by closed models,
        Chinese open-weights models and rest-of-world open-weights models. Dashed lines
        mark the catalog release dates of major open-weights launches.
    """,
    order_by=("week", "source_type"),
    complement=("week",),
    markers=F1_MARKERS,
    by_week=True,
)
def weekly_source_type_share(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    return _source_type_volume(weekly_facts, user_weekly)


@artifact(
    "F2",
    title="Weekly token volume by source type",
    section=SECTION,
    chart=StackedBar(
        x="week",
        y="tokens",
        color="source_type",
        color_order=SOURCE_TYPES,
        y_format="si",
        y_title="tokens",
        tooltip=("share",),
    ),
    caption="""
        Tokens (prompt + completion) per ISO week, stacked by source type: the absolute
        volumes behind F1.
    """,
    order_by=("week", "source_type"),
    complement=("week",),
    by_week=True,
)
def weekly_source_type_volume(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    return _source_type_volume(weekly_facts, user_weekly)


@artifact(
    "T1",
    title="Total tokens by open-weights model author",
    section=SECTION,
    chart=Bar(x="tokens", y="author", x_title="tokens", y_format="si"),
    caption="""
        Total tokens (prompt + completion) over the study window served by open-weights
        models, summed over all of an author's models and variants, largest first.
    """,
    order_by=("-tokens", "author"),
    complement=(),
)
def oss_author_tokens(weekly_facts: ibis.Table, user_models: ibis.Table) -> ibis.Table:
    oss = oss_only(weekly_facts)
    totals = oss.group_by("author").agg(tokens=_.tokens.sum())
    return with_users(totals, oss_only(user_models), ["author"])


@artifact(
    "F3",
    title="Top open-weights models: weekly share of open-weights tokens",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="name",
        y_format="percent",
        y_title="share of OSS tokens",
        tooltip=("model", "tokens"),
    ),
    caption="""
        Each week's open-weights tokens split among the largest open-weights models of the
        whole window (ranked by total tokens); all other open-weights models are grouped as
        'Other OSS'.
    """,
    order_by=("week", "model"),
    complement=("week",),
    by_week=True,
    context=lambda weekly_facts, config: top_levels(
        oss_only(weekly_facts), config.top_oss_models, "Other OSS"
    ),
)
def top_oss_model_share(
    weekly_facts: ibis.Table, user_weekly: ibis.Table, context: ibis.Table
) -> ibis.Table:
    return top_model_shares(oss_only(weekly_facts), oss_only(user_weekly), context, "Other OSS")


@artifact(
    "F4",
    title="Open-weights tokens by model size",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="size_class",
        color_order=SIZE_CLASSES,
        y_format="percent",
        y_title="share of OSS tokens",
        tooltip=("tokens",),
    ),
    caption="""
        Share of each week's open-weights tokens by model size: small (< 15B total
        parameters), medium (15-70B) and large (>= 70B). Open-weights models whose size
        the catalog does not know are listed as 'unknown' and left out of the shares.
    """,
    order_by=("week", "size_class"),
    complement=("week",),
    by_week=True,
)
def oss_size_class_share(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    shares = weekly_shares(
        oss_only(weekly_facts), "size_class", levels=SIZE_CLASSES, excluded=("unknown",)
    )
    return with_users(shares, oss_only(user_weekly), ["week", "size_class"])


@artifact(
    "F5",
    title="Number of open-weights models in use, by size",
    section=SECTION,
    chart=Line(
        x="week",
        y="models",
        color="size_class",
        color_order=SIZE_CLASSES,
        y_title="models with tokens that week",
    ),
    caption="""
        How many distinct open-weights models served at least one token in each week,
        by size class (zero in weeks without open-weights traffic).
    """,
    order_by=("week", "size_class"),
    by_week=True,
)
def oss_models_by_size(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    used = oss_only(weekly_facts).filter(_.tokens > 0)
    counts = used.group_by("week", "size_class").agg(models=_.model.nunique())
    weeks = weekly_facts.select("week").distinct()
    levels = ibis.memtable({"size_class": list(SIZE_CLASSES)})
    grid = weeks.cross_join(levels)
    filled = grid.left_join(
        counts, [grid.week == counts.week, grid.size_class == counts.size_class]
    ).select(grid.week, grid.size_class, models=ibis.coalesce(counts.models, 0))
    extra = counts.filter(~counts.size_class.isin(list(SIZE_CLASSES)))
    return with_users(filled.union(extra), oss_only(user_weekly), ["week", "size_class"])
