"""Categories: what prompts are about, estimated from the classified sample.

A random sample of prompts is labelled with content-taxonomy paths and
confidences; labels below 0.5 are dropped; each path maps to a **tag** and each
tag to one **category** (the editable mapping in ``enrich/classify/data``).
An event with several labels splits its tokens across them in proportion to
their confidences. Category shares leave out *Others* (the long tail), are
token-weighted, and carry a 95% interval from the sample (delta-method interval
of a ratio estimator over sampled events). Every number here comes from the
sample, not from all traffic.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd
from ibis import _

from tokencensus.analyses import open_closed
from tokencensus.analyses.agentic import SECTION as AGENTIC
from tokencensus.analyses.common import OSS_SOURCE_TYPES, sample_shares, with_users
from tokencensus.analyses.registry import StudyConfig, artifact, section
from tokencensus.catalog import SOURCE_TYPES
from tokencensus.chartspec import Line, StackedArea, StackedBar
from tokencensus.enrich.classify.taxonomy import OTHERS

SECTION = section("categories", "5", "Categories: how are people using LLMs?", __doc__ or "")

_SAMPLE_NOTE = (
    " From the classified sample: {sample_events} sampled events in the window; labels with "
    "confidence below {label_threshold} dropped; 95% intervals from the sample."
)


def _named(labels: ibis.Table) -> ibis.Table:
    """Label rows of named categories (Others left out)."""
    return labels.filter(labels.category != OTHERS)


def _category_shares(parts: ibis.Table, groups: Sequence[str] = ("week",)) -> ibis.Table:
    return sample_shares(_named(parts), groups, "category")


_CATEGORY_CHART = StackedArea(
    x="week",
    y="share",
    color="category",
    y_format="percent",
    y_title="share of sampled tokens",
    tooltip=("share_low", "share_high", "sample_events"),
)


# ----------------------------------------------------------------- section 3
@artifact(
    "F6",
    title="Open-weights models: token share by category over time",
    section=open_closed.SECTION,
    chart=_CATEGORY_CHART,
    caption="Category mix of open-weights models' tokens, by week." + _SAMPLE_NOTE,
    order_by=("week", "category"),
    complement=("week",),
    sampled=True,
    by_week=True,
)
def oss_category_share(sampled_labels: ibis.Table) -> ibis.Table:
    return _category_shares(sampled_labels.filter(_.source_type.isin(OSS_SOURCE_TYPES)))


@artifact(
    "F7",
    title="Chinese open-weights models: token share by category over time",
    section=open_closed.SECTION,
    chart=_CATEGORY_CHART,
    caption="Category mix of Chinese open-weights models' tokens, by week." + _SAMPLE_NOTE,
    order_by=("week", "category"),
    complement=("week",),
    sampled=True,
    by_week=True,
)
def chinese_oss_category_share(sampled_labels: ibis.Table) -> ibis.Table:
    return _category_shares(sampled_labels.filter(_.source_type == "Chinese OSS"))


def _source_type_split(labels: ibis.Table, category: str) -> ibis.Table:
    parts = labels.filter((labels.category == category) & labels.known)
    return sample_shares(parts, ["week"], "source_type", levels=SOURCE_TYPES)


_SOURCE_CHART = StackedArea(
    x="week",
    y="share",
    color="source_type",
    color_order=SOURCE_TYPES,
    y_format="percent",
    y_title="share of the category's sampled tokens",
    tooltip=("share_low", "share_high", "sample_events"),
)


@artifact(
    "F8",
    title="Programming tokens by source type",
    section=open_closed.SECTION,
    chart=_SOURCE_CHART,
    caption="Who serves programming: each week's sampled programming tokens split by "
    "closed, Chinese open-weights and rest-of-world open-weights models." + _SAMPLE_NOTE,
    order_by=("week", "source_type"),
    complement=("week",),
    sampled=True,
    by_week=True,
)
def programming_by_source_type(sampled_labels: ibis.Table) -> ibis.Table:
    return _source_type_split(sampled_labels, "Programming")


@artifact(
    "F9",
    title="Roleplay tokens by source type",
    section=open_closed.SECTION,
    chart=_SOURCE_CHART,
    caption="Who serves role-play: each week's sampled roleplay tokens split by source "
    "type." + _SAMPLE_NOTE,
    order_by=("week", "source_type"),
    complement=("week",),
    sampled=True,
    by_week=True,
)
def roleplay_by_source_type(sampled_labels: ibis.Table) -> ibis.Table:
    return _source_type_split(sampled_labels, "Roleplay")


# ----------------------------------------------------------------- section 4
@artifact(
    "F16",
    title="Mean prompt tokens per request, by category",
    section=AGENTIC,
    chart=Line(
        x="week", y="mean_prompt_tokens", color="category", y_title="prompt tokens per request"
    ),
    caption="Prompt tokens per request within each category, by week (a request with "
    "several labels counts in each, in proportion to its label weights)." + _SAMPLE_NOTE,
    order_by=("week", "category"),
    complement=("week",),
    sampled=True,
    by_week=True,
)
def category_mean_prompt(sampled_labels: ibis.Table) -> ibis.Table:
    named = _named(sampled_labels)
    out = named.group_by("week", "category").agg(
        mean_prompt_tokens=(_.prompt_tokens.sum() / _.requests.sum()).cast("float64"),
        requests=_.requests.sum(),
        users=_.user_id.nunique(),
    )
    return out


@artifact(
    "F18",
    title="Sequence length: programming vs. all requests",
    section=AGENTIC,
    chart=Line(
        x="week",
        y="mean_sequence_tokens",
        color="population",
        color_order=("Programming", "All"),
        y_title="tokens per request",
    ),
    caption="Mean prompt + completion tokens per request: programming-labelled requests of "
    "the sample against all requests. ratio is programming over all." + _SAMPLE_NOTE,
    order_by=("week", "population"),
    sampled=True,
    by_week=True,
)
def programming_sequence_length(
    sampled_labels: ibis.Table, weekly_facts: ibis.Table, user_weekly: ibis.Table
) -> ibis.Table:
    prog = sampled_labels.filter(_.category == "Programming")
    p = prog.group_by("week").agg(
        mean_sequence_tokens=(_.tokens.sum() / _.requests.sum()).cast("float64"),
        users=_.user_id.nunique(),
    )
    a = weekly_facts.group_by("week").agg(
        mean_sequence_tokens=(_.tokens.sum() / _.requests.sum()).cast("float64")
    )
    a = with_users(a, user_weekly, ["week"])
    ratio = p.join(a, "week").select(
        "week", ratio=(p.mean_sequence_tokens / a.mean_sequence_tokens).cast("float64")
    )
    both = p.mutate(population=ibis.literal("Programming")).union(
        a.mutate(population=ibis.literal("All")).select(*p.columns, "population")
    )
    out = both.left_join(ratio, both.week == ratio.week).drop("week_right")
    return out.select("week", "population", "mean_sequence_tokens", "ratio", "users")


# ----------------------------------------------------------------- section 5
@artifact(
    "F19",
    title="Programming: weekly share of all tokens",
    section=SECTION,
    chart=Line(
        x="week",
        y="share",
        y_format="percent",
        y_title="programming share of sampled tokens",
        tooltip=("share_low", "share_high", "sample_events"),
    ),
    caption="Share of each week's sampled tokens (named categories) labelled Programming, "
    "with its 95% interval." + _SAMPLE_NOTE,
    order_by=("week",),
    sampled=True,
    by_week=True,
)
def programming_share(sampled_labels: ibis.Table) -> ibis.Table:
    shares = sample_shares(_named(sampled_labels), ["week"], "category", levels=["Programming"])
    return shares.filter(shares.category == "Programming").select(
        "week", "tokens", "share", "share_low", "share_high", "sample_events", "users"
    )


@artifact(
    "F20",
    title="Programming spend share by model author",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="author",
        y_format="percent",
        y_title="share of programming spend",
        tooltip=("share_low", "share_high", "cost_usd"),
    ),
    caption="Each author's share of the week's spend on sampled programming requests "
    "(authors excluded by configuration, by default xAI for its free launch period, are "
    "left out of the total)." + _SAMPLE_NOTE,
    order_by=("week", "author"),
    complement=("week",),
    sampled=True,
    by_week=True,
)
def programming_spend_by_author(sampled_labels: ibis.Table, config: StudyConfig) -> ibis.Table:
    parts = sampled_labels.filter(
        (_.category == "Programming")
        & _.known
        & ~_.author.isin(list(config.spend_share_excluded_authors) or ["\x00"])
    )
    return sample_shares(parts, ["week"], "author", amount="cost_usd")


def _primary(labels: ibis.Table) -> ibis.Table:
    """Label rows filed under the event's primary category (for tag composition)."""
    named = labels.filter(labels.primary_category != OTHERS)
    return named.mutate(category=named.primary_category)


def _tag_composition(parts: ibis.Table, groups: Sequence[str]) -> ibis.Table:
    return sample_shares(parts, groups, "tag")


def _label_big_tags(df: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    df = df.copy()
    df["labelled"] = df["share"].fillna(0) >= 0.07
    return df


@artifact(
    "F21",
    title="Tag composition within the top 12 categories",
    section=SECTION,
    chart=StackedBar(
        x="category",
        y="share",
        color="tag",
        facet="panel",
        y_format="percent",
        y_title="share of the category's sampled tokens",
        tooltip=("share_low", "share_high"),
    ),
    caption="Within each of the twelve largest categories (two panels of six, by sampled "
    "tokens), the share of each tag; tags at 7% or more are labelled. Every label of a "
    "request is filed under the request's most confident category." + _SAMPLE_NOTE,
    order_by=("category_rank", "-share", "tag"),
    complement=("category",),
    keys=("category_rank", "panel", "category", "tag"),
    post=_label_big_tags,
    sampled=True,
)
def category_tag_composition(sampled_labels: ibis.Table) -> ibis.Table:
    parts = _primary(sampled_labels)
    totals = parts.group_by("category").agg(total=_.tokens.sum())
    ranked = totals.mutate(
        category_rank=ibis.row_number().over(order_by=[totals.total.desc(), totals.category]) + 1
    ).filter(_.category_rank <= 12)
    comp = _tag_composition(parts, ["category"])
    out = comp.join(ranked, "category")
    return out.mutate(panel=ibis.ifelse(out.category_rank <= 6, 1, 2)).select(
        "category_rank", "panel", "category", "tag", "tokens", "share", "share_low",
        "share_high", "sample_events", "users",
    )  # fmt: skip


def _author_profiles(labels: ibis.Table, authors: Sequence[str]) -> ibis.Table:
    parts = _named(labels.filter(labels.author.isin(list(authors))))
    return sample_shares(parts, ["author", "week"], "category")


_AUTHOR_CHART = StackedArea(
    x="week",
    y="share",
    color="category",
    facet="author",
    y_format="percent",
    y_title="share of the author's sampled tokens",
    tooltip=("share_low", "share_high", "sample_events"),
)
AUTHORS_F22 = ("Anthropic", "Google", "xAI")
AUTHORS_F23 = ("OpenAI", "DeepSeek", "Qwen")


@artifact(
    "F22",
    title="Category mix of Anthropic, Google and xAI models over time",
    section=SECTION,
    chart=_AUTHOR_CHART,
    caption="Each author's sampled tokens by category, week by week (one panel per "
    "author)." + _SAMPLE_NOTE,
    order_by=("author", "week", "category"),
    complement=("author", "week"),
    sampled=True,
    by_week=True,
)
def author_categories_a(sampled_labels: ibis.Table) -> ibis.Table:
    return _author_profiles(sampled_labels, AUTHORS_F22)


@artifact(
    "F23",
    title="Category mix of OpenAI, DeepSeek and Qwen models over time",
    section=SECTION,
    chart=_AUTHOR_CHART,
    caption="Each author's sampled tokens by category, week by week (one panel per "
    "author)." + _SAMPLE_NOTE,
    order_by=("author", "week", "category"),
    complement=("author", "week"),
    sampled=True,
    by_week=True,
)
def author_categories_b(sampled_labels: ibis.Table) -> ibis.Table:
    return _author_profiles(sampled_labels, AUTHORS_F23)


@artifact(
    "F29",
    title="Sub-tag composition of Roleplay, Programming and Technology over time",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="tag",
        facet="category",
        y_format="percent",
        y_title="share of the category's sampled tokens",
        tooltip=("share_low", "share_high"),
    ),
    caption="Inside Roleplay, Programming and Technology, each tag's share of the "
    "category's sampled tokens, by week." + _SAMPLE_NOTE,
    order_by=("category", "week", "tag"),
    complement=("category", "week"),
    sampled=True,
    by_week=True,
)
def subtag_composition(sampled_labels: ibis.Table) -> ibis.Table:
    parts = _primary(sampled_labels)
    parts = parts.filter(parts.category.isin(["Roleplay", "Programming", "Technology"]))
    return _tag_composition(parts, ["category", "week"])
