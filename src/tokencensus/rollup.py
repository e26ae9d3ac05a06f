"""Rollups: one pass over raw events into compact tables that every analysis reads.

A rollup is a registered function from base tables to an Ibis table; the runner
binds its parameters by name and materializes it once, only if an artifact (or
another rollup) asks for it.  Base tables:

- ``events``: deduplicated canonical events (see ``schema.py``), all of them: rollups
  for the window-bound analyses filter with :func:`in_window` (``config``), while
  cohort retention follows users over all the months the data holds;
- ``models``: the catalog (``Catalog.to_arrow``);
- ``model_map``: ``raw`` model string as logged -> catalog ``slug`` (null if unknown);
- ``countries``: ISO country -> ``continent``.

Weeks are ISO weeks starting Monday, from UTC timestamps; ``week`` is the Monday's date.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import ibis
from ibis import _

from tokencensus.analyses.registry import StudyConfig
from tokencensus.catalog import UNKNOWN

__all__ = ["ROLLUPS", "Rollup", "in_window", "rollup", "week_of"]


@dataclass(frozen=True)
class Rollup:
    name: str
    func: Callable[..., ibis.Table]
    params: tuple[str, ...]
    doc: str


ROLLUPS: dict[str, Rollup] = {}


def rollup(name: str) -> Callable[[Callable[..., ibis.Table]], Callable[..., ibis.Table]]:
    def register(func: Callable[..., ibis.Table]) -> Callable[..., ibis.Table]:
        ROLLUPS[name] = Rollup(
            name=name,
            func=func,
            params=tuple(inspect.signature(func).parameters),
            doc=inspect.getdoc(func) or "",
        )
        return func

    return register


def in_window(events: ibis.Table, config: StudyConfig) -> ibis.Table:
    """Events whose UTC timestamp falls on a day from ``config.start`` to ``config.end``."""
    if config.start is not None:
        events = events.filter(events.created_at >= datetime.combine(config.start, time.min))
    if config.end is not None:
        events = events.filter(
            events.created_at < datetime.combine(config.end + timedelta(days=1), time.min)
        )
    return events


def week_of(ts: ibis.Value) -> ibis.Value:
    """Monday (date) of the ISO week holding a UTC timestamp."""
    return ts.truncate("W").date()


def _with_model_attributes(t: ibis.Table, model_map: ibis.Table, models: ibis.Table) -> ibis.Table:
    """Resolve ``t.model`` (raw) to catalog slugs and attach the attributes analyses group by."""
    mapped = t.left_join(model_map, t.model == model_map.raw).drop("raw")
    m = models.select(
        "slug",
        model_name="name",
        author_="author",
        source_type_="source_type",
        size_class_="size_class",
        open_weights_="open_weights",
        reasoning_="reasoning",
    )
    j = mapped.left_join(m, mapped.slug == m.slug).drop("slug_right")
    known = j.slug.notnull()
    return j.mutate(
        model=ibis.coalesce(j.slug, j.model),
        model_name=ibis.coalesce(j.model_name, j.model),
        known=known,
        author=ibis.coalesce(j.author_, ibis.literal(UNKNOWN)),
        source_type=ibis.coalesce(j.source_type_, ibis.literal(UNKNOWN)),
        size_class=ibis.coalesce(j.size_class_, ibis.literal("unknown")),
        open_weights=ibis.coalesce(j.open_weights_, False),
        reasoning=ibis.coalesce(j.reasoning_, False),
    ).drop("slug", "author_", "source_type_", "size_class_", "open_weights_", "reasoning_")


@rollup("weekly_facts")
def weekly_facts(
    events: ibis.Table,
    model_map: ibis.Table,
    models: ibis.Table,
    countries: ibis.Table,
    config: StudyConfig,
) -> ibis.Table:
    """Token, request and spend totals per week x model x finish reason x region x language x BYOK.

    Models carry their catalog attributes (author, source_type, size_class,
    open_weights, reasoning); unknown models keep their raw name with
    source_type 'Unknown'.  Region is the billing country's continent ('Unknown'
    when the country is not recorded).
    """
    e = in_window(events, config)
    first = e.group_by(
        week=week_of(e.created_at),
        model=e.model,
        finish_reason=e.finish_reason,
        billing_country=e.billing_country,
        prompt_language=e.prompt_language,
        is_byok=e.is_byok,
    ).agg(
        requests=_.count(),
        prompt_tokens=_.prompt_tokens.sum(),
        completion_tokens=_.completion_tokens.sum(),
        reasoning_tokens=_.reasoning_tokens.sum(),
        cached_tokens=_.cached_tokens.sum(),
        cost_usd=_.cost_usd.sum(),
    )
    with_region = first.left_join(countries, first.billing_country == countries.country)
    with_region = with_region.mutate(
        region=ibis.coalesce(with_region.continent, ibis.literal(UNKNOWN))
    ).drop("country", "continent", "billing_country")
    t = _with_model_attributes(with_region, model_map, models)
    dims = [
        "week",
        "model",
        "model_name",
        "known",
        "author",
        "source_type",
        "size_class",
        "open_weights",
        "reasoning",
        "finish_reason",
        "region",
        "prompt_language",
        "is_byok",
    ]
    return t.group_by(dims).agg(
        requests=_.requests.sum(),
        prompt_tokens=_.prompt_tokens.sum(),
        completion_tokens=_.completion_tokens.sum(),
        reasoning_tokens=_.reasoning_tokens.sum(),
        cached_tokens=_.cached_tokens.sum(),
        tokens=(_.prompt_tokens + _.completion_tokens).sum(),
        cost_usd=_.cost_usd.sum(),
    )
