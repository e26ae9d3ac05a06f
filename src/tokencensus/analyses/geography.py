"""Geography and language: where spend comes from, and what language prompts are in.

Region is the continent of the account's **billing country** (a steadier proxy
than IP location); accounts without a recorded country are reported as Unknown
and left out of shares. Language is the detected language of the prompt
(ISO 639-1, Chinese split into Simplified and Traditional script).
"""

from __future__ import annotations

import ibis
from ibis import _

from tokencensus.analyses.common import weekly_shares, with_users
from tokencensus.analyses.registry import artifact, section
from tokencensus.catalog import UNKNOWN
from tokencensus.chartspec import Bar, StackedArea
from tokencensus.enrich.geography import CONTINENTS

SECTION = section("geography", "6", "Geography and language", __doc__ or "")


@artifact(
    "F24",
    title="Spend by world region: weekly share",
    section=SECTION,
    chart=StackedArea(
        x="week",
        y="share",
        color="region",
        color_order=CONTINENTS,
        y_format="percent",
        y_title="share of spend",
        tooltip=("cost_usd", "tokens"),
    ),
    caption="""
        Each week's spend (cost_usd, after caching discounts) by the continent of the
        account's billing country. Spend without a billing country is listed as Unknown
        and left out of the shares.
    """,
    order_by=("week", "region"),
    complement=("week",),
    by_week=True,
)
def weekly_region_spend(weekly_facts: ibis.Table, user_weekly: ibis.Table) -> ibis.Table:
    spend = weekly_shares(
        weekly_facts,
        "region",
        value="cost_usd",
        levels=CONTINENTS,
        excluded=(UNKNOWN, "Antarctica"),
    )
    tokens = weekly_facts.group_by("week", "region").agg(tokens=_.tokens.sum())
    j = spend.left_join(tokens, [spend.week == tokens.week, spend.region == tokens.region])
    j = j.select(
        spend.week,
        spend.region,
        spend.cost_usd,
        tokens=ibis.coalesce(tokens.tokens, 0),
        share=spend.share,
    )
    return with_users(j, user_weekly, ["week", "region"])


@artifact(
    "T2",
    title="Token share by prompt language",
    section=SECTION,
    chart=Bar(x="share", y="language", x_title="share of tokens", y_format="percent"),
    caption="""
        Tokens by detected prompt language over the window, as a share of all tokens
        whose prompt language is known (ISO 639-1 codes; zh-Hans and zh-Hant are
        Simplified and Traditional Chinese). Tokens without a detected language are
        listed as Unknown and left out of the shares.
    """,
    order_by=("-tokens", "language"),
    complement=(),
    keys=("language", "name"),
)
def language_share(user_languages: ibis.Table) -> ibis.Table:
    from tokencensus.enrich.reference import language_names

    t = user_languages.mutate(language=ibis.coalesce(_.prompt_language, ibis.literal(UNKNOWN)))
    totals = t.group_by("language").agg(tokens=_.tokens.sum(), users=_.user_id.nunique())
    known = totals.language != UNKNOWN
    share = ibis.ifelse(
        known, totals.tokens / ibis.ifelse(known, totals.tokens, 0).sum().over(), ibis.null()
    )
    names = ibis.memtable(
        {"language": list(language_names()), "name": list(language_names().values())}
    )
    out = totals.mutate(share=share.cast("float64"))
    out = out.left_join(names, out.language == names.language).drop("language_right")
    return out.select("language", "tokens", "share", "name", "users")
