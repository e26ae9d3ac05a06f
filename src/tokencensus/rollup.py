"""Rollups: one pass over raw events into compact tables that every analysis reads.

Raw events are read exactly once, by *passes* over batches of whole ISO weeks
(:data:`PASS_OUTPUTS`).  A pass groups its events to one fine grain,
``events_grain`` (week x month x in-window x user x model x finish reason x country
x language x BYOK, with sums), and keeps the classified sample's events one row
each, ``sampled_events``.  Both are keyed by ``week`` and additive across weeks, so
a store is processed batch by batch in bounded memory, and a week whose files have
not changed reuses its pass outputs from an earlier run (``--incremental``).

A rollup is a registered function from pass outputs and reference tables to an Ibis
table; the runner binds its parameters by name and materializes it once, only if an
artifact (or another rollup) asks for it.  No rollup and no analysis reads raw
events.  Reference tables:

- ``models``: the catalog (``Catalog.to_arrow``);
- ``model_map``: ``raw`` model string as logged -> catalog ``slug`` (null if unknown);
- ``countries``: ISO country -> ``continent``;
- ``label_paths``: content-taxonomy ``path`` -> ``tag`` -> ``category`` for every label
  path in the data (the classifier mapping, resolved once in Python);
- ``retention_targets``: the models F25 follows (``model``, ``name``, catalog ``family``).

Rollups that carry model attributes join the small ``model_attributes`` rollup (raw
model string -> slug and catalog attributes, built once from ``model_map`` and
``models``) instead of the two reference tables, one join per rollup.

Rollups an incremental run keeps between runs (DuckDB's ``rollup-cache/rollups.duckdb``)
declare their *upkeep*, how new weeks are added to them without rebuilding them from the
whole grain: :class:`ByWeek` (a week's rows come from that week's pass outputs only: a
new or changed week's rows are computed and replace its kept ones) or :class:`Sums`
(integer sums by key: the new weeks' rollup is added key by key and a changed or removed
week's old one subtracted, regrouping only the partitions they touch) or :class:`Firsts`
(each key's first month, grouped from a rollup kept by month: only the keys first seen in
or after the earliest month an update touched are regrouped).  ``model_attributes`` has
none: it is small and rebuilt every run.  A rollup may read another rollup kept by week
(``user_models`` reads ``user_weekly``): its new rows come from that rollup's rows of the
new and changed weeks, its old ones from the same chain applied to their old pass outputs.  The run's event counts, model map and weeks are
read from the small ``week_models`` rollup, so nothing needs the whole grain once the
kept rollups are up to date.

The window (``config.start``/``end``) is applied in the pass: ``in_window`` marks
grain rows, ``sampled_events`` holds in-window events only; every rollup but
``user_model_month`` keeps in-window rows, while cohort retention follows users over
all the months the data holds.  Weeks are ISO weeks starting Monday, from
UTC timestamps; ``week`` is the Monday's date.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
from ibis import _
from ibis.common.deferred import deferrable

from tokencensus.analyses.registry import StudyConfig
from tokencensus.catalog import UNKNOWN
from tokencensus.enrich.classify.taxonomy import OTHERS

__all__ = [
    "EVENT_COLUMNS",
    "PASS_OUTPUTS",
    "ROLLUPS",
    "ByWeek",
    "Firsts",
    "Rollup",
    "Sums",
    "Upkeep",
    "events_grain",
    "in_window",
    "merge_sums",
    "rollup",
    "sampled_events",
    "sums_delta",
    "week_of",
]


@dataclass(frozen=True)
class ByWeek:
    """Upkeep of a rollup keyed by ``week`` whose rows for a week come from that week's
    pass outputs alone: a new or changed week's rows are computed and replace its kept
    ones, a removed week's are deleted, nothing else moves."""


@dataclass(frozen=True)
class Sums:
    """Upkeep of a rollup of integer ``sums`` by key (every other column): the rollup of
    new and changed weeks is added key by key, what changed and removed weeks gave before
    is subtracted.  With ``partition`` (a key column) only the rows whose partition value
    those rows touch are regrouped (``month``: a week touches one or two months of a
    user x model x month rollup)."""

    sums: tuple[str, ...]
    partition: str | None = None


@dataclass(frozen=True)
class Firsts:
    """Upkeep of a rollup of each key's first (smallest) partition value, grouped from
    ``source``, a ``Sums`` rollup partitioned by that value: the rollup is
    ``source`` (filtered or joined row by row) grouped by its keys, with ``column`` the
    minimum of the source's partition.  A key whose first value is earlier than every
    partition an update touched keeps it (none of its rows before it changed, and rows
    added later cannot be earlier), so only the kept rows from the earliest touched
    partition on are dropped and regrouped from the source's rows of those partitions,
    leaving out keys that still have an earlier first value."""

    source: str
    column: str


#: How a rollup kept between incremental runs takes new weeks in (None: rebuilt every
#: run from reference tables, e.g. ``model_attributes``).
Upkeep = ByWeek | Sums | Firsts | None


@dataclass(frozen=True)
class Rollup:
    name: str
    func: Callable[..., ibis.Table]
    params: tuple[str, ...]
    doc: str
    upkeep: Upkeep = None


ROLLUPS: dict[str, Rollup] = {}


def rollup(
    name: str, *, upkeep: Upkeep = None
) -> Callable[[Callable[..., ibis.Table]], Callable[..., ibis.Table]]:
    def register(func: Callable[..., ibis.Table]) -> Callable[..., ibis.Table]:
        ROLLUPS[name] = Rollup(
            name=name,
            func=func,
            params=tuple(inspect.signature(func).parameters),
            doc=inspect.getdoc(func) or "",
            upkeep=upkeep,
        )
        return func

    return register


def merge_sums(
    kept: ibis.Table, new: ibis.Table, upkeep: Sums, old: ibis.Table | None = None
) -> tuple[ibis.Table, list]:
    """``kept`` plus ``new`` minus ``old`` (what replaced weeks gave before), key by key:
    (the merged rows, the partition values they replace; with no partition the merged
    rows replace the whole table and the list is empty).  Keys whose sums all come to
    zero (everything they held was subtracted) are dropped."""
    keys = [c for c in kept.columns if c not in upkeep.sums]
    delta = sums_delta(kept.columns, new, upkeep, old)
    touched: list = []
    if upkeep.partition is not None:
        column = upkeep.partition
        touched = sorted(delta.select(column).distinct().to_pyarrow().column(0).to_pylist())
        kept = kept.filter(kept[column].isin(touched))
    both = kept.union(delta)
    merged = both.group_by(keys).agg(**{c: _int_sum(both[c]) for c in upkeep.sums})
    left = ibis.or_(*(merged[c] != 0 for c in upkeep.sums))
    return merged.filter(left).select(*kept.columns), touched


def sums_delta(
    columns: Sequence[str], new: ibis.Table, upkeep: Sums, old: ibis.Table | None = None
) -> ibis.Table:
    """The rows a ``Sums`` rollup gains: ``new``'s, and ``old``'s with their sums negated."""
    delta = new.select(*columns)
    if old is not None:
        delta = delta.union(old.select(*columns).mutate(**{c: -old[c] for c in upkeep.sums}))
    return delta


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


def _with_model_attributes(t: ibis.Table, model_attributes: ibis.Table) -> ibis.Table:
    """Resolve ``t.model`` (raw) to its catalog slug and attach the attributes analyses
    group by (one join against the small ``model_attributes`` rollup)."""
    a = model_attributes.rename(resolved_="model")
    j = t.left_join(a, t.model == a.raw)
    return j.mutate(
        model=ibis.coalesce(j.resolved_, j.model), known=ibis.coalesce(j.known, False)
    ).drop("raw", "resolved_")


def _with_region(t: ibis.Table, countries: ibis.Table) -> ibis.Table:
    j = t.left_join(countries, t.billing_country == countries.country)
    return j.mutate(region=ibis.coalesce(j.continent, ibis.literal(UNKNOWN))).drop(
        "country", "continent", "billing_country"
    )


#: Model attributes every model-level rollup carries.
MODEL_DIMS = (
    "model",
    "model_name",
    "known",
    "author",
    "source_type",
    "size_class",
    "open_weights",
    "reasoning",
)


#: Columns of the fine grain a pass groups raw events to (besides the sums).
GRAIN_KEYS = (
    "week",
    "month",
    "in_window",
    "user_id",
    "model",
    "finish_reason",
    "billing_country",
    "prompt_language",
    "is_byok",
)
#: Raw event columns a pass reads (the scan floor reads exactly these).
EVENT_COLUMNS = (
    "id",
    "created_at",
    "user_id",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost_usd",
    "finish_reason",
    "is_byok",
    "billing_country",
    "prompt_language",
    "sampled",
    "categories",
)


def _window_flag(events: ibis.Table, config: StudyConfig) -> ibis.Value:
    flag = ibis.literal(True)
    if config.start is not None:
        flag = flag & (events.created_at >= datetime.combine(config.start, time.min))
    if config.end is not None:
        end = datetime.combine(config.end + timedelta(days=1), time.min)
        flag = flag & (events.created_at < end)
    return flag


def window_clip(week: date, config: StudyConfig) -> str:
    """The part of the study window inside ``week``: 'all', 'none' or 'first..last'."""
    first, last = week, week + timedelta(days=6)
    lo = max(first, config.start) if config.start else first
    hi = min(last, config.end) if config.end else last
    if lo > hi:
        return "none"
    if (lo, hi) == (first, last):
        return "all"
    return f"{lo}..{hi}"


@deferrable
def _int_sum(col: ibis.IntegerValue) -> ibis.Value:
    """A 64-bit integer sum, cast in the SQL itself.

    Ibis drops ``.cast("int64")`` on a sum it already types int64, but DuckDB sums
    BIGINT into 128-bit HUGEINT: with the cast written out it keeps 64-bit accumulators
    (the ``user_weekly`` aggregation at 100M events: 3.4 s -> 2.6 s of operator time).
    """
    return ops.Cast(col.sum(), to=dt.int64).to_expr()


def events_grain(events: ibis.Table, config: StudyConfig, week: date | None = None) -> ibis.Table:
    """Raw events grouped to the finest grain any rollup needs (one pass, one hash table).

    With ``week`` (every event of the pass falls in that ISO week), the keys constant over
    it are not grouped by but added to the result: the week, the window flag unless the
    window cuts the week, the month unless the week spans two.  Fewer keys make a
    cheaper hash table: 15-25 % less time per week at 100M events (measured).
    """
    const = _week_constants(week, config) if week is not None else {}
    keys = {
        "week": week_of(events.created_at),
        "month": events.created_at.truncate("M").date(),
        "in_window": _window_flag(events, config),
    }
    e = events.mutate(**{k: v for k, v in keys.items() if k not in const})
    grouped = e.group_by([k for k in GRAIN_KEYS if k not in const]).agg(
        requests=_.count().cast("int64"),
        prompt_tokens=_int_sum(_.prompt_tokens),
        completion_tokens=_int_sum(_.completion_tokens),
        reasoning_tokens=_int_sum(_.reasoning_tokens),
        cached_tokens=_int_sum(_.cached_tokens),
        cost_usd=_.cost_usd.sum().cast("float64"),
    )
    if not const:
        return grouped
    sums = [c for c in grouped.columns if c not in GRAIN_KEYS]
    return grouped.mutate(**const).select(*GRAIN_KEYS, *sums)


def _week_constants(week: date, config: StudyConfig) -> dict[str, ibis.Value]:
    """The grain keys that take one value over every event of ``week``."""
    const = {"week": ibis.literal(week, type="date")}
    if (week + timedelta(days=6)).month == week.month:
        const["month"] = ibis.literal(week.replace(day=1), type="date")
    clip = window_clip(week, config)
    if clip in ("all", "none"):
        const["in_window"] = ibis.literal(clip == "all", type="boolean")
    return const


def _weekly_part(grain: ibis.Table) -> ibis.Table:
    """In-window totals per week x raw model x finish reason x country x language x BYOK."""
    g = grain.filter(grain.in_window)
    return g.group_by(
        "week", "model", "finish_reason", "billing_country", "prompt_language", "is_byok"
    ).agg(
        requests=_int_sum(_.requests),
        prompt_tokens=_int_sum(_.prompt_tokens),
        completion_tokens=_int_sum(_.completion_tokens),
        reasoning_tokens=_int_sum(_.reasoning_tokens),
        cached_tokens=_int_sum(_.cached_tokens),
        cost_usd=_.cost_usd.sum().cast("float64"),
    )


def _user_weekly_part(grain: ibis.Table) -> ibis.Table:
    """In-window requests, tokens, tool-call tokens and spend per week x user x raw model x country."""
    g = grain.filter(grain.in_window)
    tokens = g.prompt_tokens + g.completion_tokens
    return g.group_by("week", "user_id", "model", "billing_country").agg(
        requests=_int_sum(g.requests),
        tokens=_int_sum(tokens),
        tool_call_tokens=_int_sum(ibis.ifelse(g.finish_reason == "tool_calls", tokens, 0)),
        cost_usd=g.cost_usd.sum().cast("float64"),
    )


def sampled_events(events: ibis.Table, config: StudyConfig, week: date | None = None) -> ibis.Table:
    """The classified sample's in-window events, one row each, with their labels
    (``week``: the ISO week every event falls in, when the pass knows it).

    ``event_key`` is an integer unique per event, the same on every engine: the week's
    day number x 2^32 + the event's rank by id within its week.  Sample estimates group
    by it (grouping millions of labels by an integer costs a fraction of a string id).
    """
    e = events.filter(events.sampled & _window_flag(events, config))
    monday = week_of(e.created_at) if week is None else ibis.literal(week, type="date")
    rank = ibis.row_number().over(group_by=monday, order_by=e.id)
    return e.select(
        "id",
        "user_id",
        "model",
        event_key=(monday.epoch_days().cast("int64") * 2**32 + rank).cast("int64"),
        week=monday,
        event_tokens=e.prompt_tokens + e.completion_tokens,
        event_cost_usd=e.cost_usd,
        prompt_tokens=e.prompt_tokens,
        completion_tokens=e.completion_tokens,
        is_byok=e.is_byok,
        categories=e.categories,
    )


#: What a pass writes, each with a ``week`` column (the partition of the rollup cache):
#: functions of the pass's events, the config and the one ISO week (its Monday) every
#: event of the pass falls in, when the pass reads a single week folder of a trusted
#: store (None: the events may span any weeks).
PASS_OUTPUTS: dict[str, Callable[[ibis.Table, StudyConfig, date | None], ibis.Table]] = {
    "events_grain": events_grain,
    "sampled_events": sampled_events,
}


@rollup("model_attributes")
def model_attributes(model_map: ibis.Table, models: ibis.Table) -> ibis.Table:
    """One row per model string in the data (``raw``): its catalog slug (``model``; the
    raw name when the catalog does not know it) and the attributes analyses group by.

    ``known`` is false for models missing from the catalog: their ``author`` and
    ``source_type`` are 'Unknown', ``size_class`` 'unknown', ``open_weights`` and
    ``reasoning`` false, ``family`` the raw name.  ``family`` is the catalog's base
    model (dated pins and ``:thinking`` variants fold into it).
    """
    m = models.select(
        "slug",
        model_name="name",
        author_="author",
        source_type_="source_type",
        size_class_="size_class",
        open_weights_="open_weights",
        reasoning_="reasoning",
        family_="variant_of",
    )
    j = model_map.left_join(m, model_map.slug == m.slug).drop("slug_right")
    return j.select(
        "raw",
        model=ibis.coalesce(j.slug, j.raw),
        model_name=ibis.coalesce(j.model_name, j.raw),
        known=j.slug.notnull(),
        author=ibis.coalesce(j.author_, ibis.literal(UNKNOWN)),
        source_type=ibis.coalesce(j.source_type_, ibis.literal(UNKNOWN)),
        size_class=ibis.coalesce(j.size_class_, ibis.literal("unknown")),
        open_weights=ibis.coalesce(j.open_weights_, False),
        reasoning=ibis.coalesce(j.reasoning_, False),
        family=ibis.coalesce(j.family_, j.slug, j.raw),
    )


@rollup("week_models", upkeep=ByWeek())
def week_models(events_grain: ibis.Table) -> ibis.Table:
    """Requests and tokens per week x raw model string x in-window flag, over every event
    (in the window or not): the run's event counts, the model map and its unknown models,
    and the weeks the window holds are read from it."""
    return events_grain.group_by("week", "model", "in_window").agg(
        requests=_int_sum(_.requests), tokens=_int_sum(_.prompt_tokens + _.completion_tokens)
    )


@rollup("sample_weeks", upkeep=ByWeek())
def sample_weeks(sampled_events: ibis.Table) -> ibis.Table:
    """Sampled (classified) in-window events per week."""
    return sampled_events.group_by("week").agg(events=_.count().cast("int64"))


@rollup("weekly_facts", upkeep=ByWeek())
def weekly_facts(
    events_grain: ibis.Table, model_attributes: ibis.Table, countries: ibis.Table
) -> ibis.Table:
    """Token, request and spend totals per week x model x finish reason x region x language x BYOK.

    Models carry their catalog attributes (author, source_type, size_class,
    open_weights, reasoning); unknown models keep their raw name with
    source_type 'Unknown'.  Region is the billing country's continent ('Unknown'
    when the country is not recorded).
    """
    part = _weekly_part(events_grain)
    t = _with_model_attributes(_with_region(part, countries), model_attributes)
    dims = ["week", *MODEL_DIMS, "finish_reason", "region", "prompt_language", "is_byok"]
    return t.group_by(dims).agg(
        requests=_int_sum(_.requests),
        prompt_tokens=_int_sum(_.prompt_tokens),
        completion_tokens=_int_sum(_.completion_tokens),
        reasoning_tokens=_int_sum(_.reasoning_tokens),
        cached_tokens=_int_sum(_.cached_tokens),
        tokens=_int_sum(_.prompt_tokens + _.completion_tokens),
        cost_usd=_.cost_usd.sum().cast("float64"),
    )


@rollup("user_weekly", upkeep=ByWeek())
def user_weekly(
    events_grain: ibis.Table, model_attributes: ibis.Table, countries: ibis.Table
) -> ibis.Table:
    """Per week x user x model x region: tokens, tool-call tokens, spend and requests.

    The user-grain companion of ``weekly_facts``: distinct-user counts for the
    privacy rule and the largest single account behind tool-call traffic (F12).
    """
    part = _user_weekly_part(events_grain)
    return _with_model_attributes(_with_region(part, countries), model_attributes)


@rollup("user_models", upkeep=Sums(sums=("requests", "tokens")))
def user_models(user_weekly: ibis.Table) -> ibis.Table:
    """Per user x model over the window: requests and tokens, with the model's known flag,
    author and source type.  One row per user and model, so the users of a model are
    its row count and the users of an author a distinct count over far fewer rows than
    ``user_weekly``'s (F27, T1)."""
    return user_weekly.group_by("user_id", "model", "known", "author", "source_type").agg(
        requests=_int_sum(_.requests), tokens=_int_sum(_.tokens)
    )


@rollup("user_languages", upkeep=Sums(sums=("tokens", "requests")))
def user_languages(events_grain: ibis.Table) -> ibis.Table:
    """Per user x detected prompt language: tokens (T2 and its distinct-user counts)."""
    g = events_grain.filter(events_grain.in_window)
    return g.group_by("user_id", "prompt_language").agg(
        tokens=_int_sum(g.prompt_tokens + g.completion_tokens), requests=_int_sum(g.requests)
    )


@rollup("user_model_month", upkeep=Sums(sums=("requests", "tokens"), partition="month"))
def user_model_month(events_grain: ibis.Table, model_attributes: ibis.Table) -> ibis.Table:
    """Per user x model family x calendar month (UTC): requests and tokens, over ALL months.

    Cohort retention (F25) follows users beyond the study window. ``family`` is the
    catalog's base model (dated pins and ``:thinking`` variants fold into it).
    """
    # one aggregation of the grain joined to its family (measured 3.3 s -> 1.5 s at 100M
    # events against grouping by week x model first and by family after the join)
    a = model_attributes.select("raw", "family")
    g = events_grain.left_join(a, events_grain.model == a.raw)
    g = g.mutate(family=ibis.coalesce(g.family, g.model))
    return g.group_by("user_id", "family", "month").agg(
        requests=_int_sum(g.requests), tokens=_int_sum(g.prompt_tokens + g.completion_tokens)
    )


@rollup("cohort_firsts", upkeep=Firsts(source="user_model_month", column="first_month"))
def cohort_firsts(user_model_month: ibis.Table, retention_targets: ibis.Table) -> ibis.Table:
    """Per user x model family F25 follows: the first calendar month (UTC) with a request
    to it, over all months the data holds (the user's cohort)."""
    t = user_model_month.semi_join(retention_targets, "family")
    return t.group_by("user_id", "family").agg(first_month=t.month.min())


@rollup("sampled_labels", upkeep=ByWeek())
def sampled_labels(
    sampled_events: ibis.Table,
    model_attributes: ibis.Table,
    label_paths: ibis.Table,
    config: StudyConfig,
) -> ibis.Table:
    """One row per kept classifier label of each sampled event (the category sample).

    ``id`` identifies the event (its integer ``event_key``: only ever grouped on).

    Labels below ``config.label_threshold`` (0.5) are dropped.  Multi-label rule:
    each kept label carries ``weight`` = its confidence / the sum of the event's
    kept confidences, so an event's weights sum to 1 and its tokens are split
    across its labels.  ``category`` is the label's own category (used for
    category shares); ``primary_category`` is the category of the event's most
    confident named label (used for tag composition inside a category, so an
    Adult label on a role-play prompt counts inside Roleplay).  A sampled event
    with no kept label becomes one ``Others`` row of weight 1.  ``tokens``,
    ``prompt_tokens``, ``cost_usd`` and ``requests`` are already multiplied by
    ``weight``; ``event_tokens`` and ``event_cost_usd`` are the whole event's.
    """
    e = sampled_events.mutate(id=sampled_events.event_key).drop("event_key")
    base_cols = [
        "id", "user_id", "model", "week", "event_tokens", "event_cost_usd",
        "prompt_tokens", "completion_tokens", "is_byok",
    ]  # fmt: skip
    # a select-list unnest: DuckDB runs Table.unnest's lateral join ~10x slower
    labelled = e.select(*base_cols, label=e.categories.unnest())
    labelled = labelled.mutate(path=labelled.label.path, confidence=labelled.label.confidence).drop(
        "label"
    )
    kept = labelled.filter(labelled.confidence >= config.label_threshold)
    kept = kept.left_join(label_paths, kept.path == label_paths.path).drop("path_right")
    kept = kept.mutate(
        tag=ibis.coalesce(kept.tag, ibis.literal("Other")),
        category=ibis.coalesce(kept.category, ibis.literal(OTHERS)),
    )
    per_event = ibis.window(group_by="id")
    ranked = ibis.window(
        group_by="id",
        order_by=[(kept.category == OTHERS).cast("int8"), kept.confidence.desc(), kept.path],
    )
    kept = kept.mutate(
        weight=kept.confidence / kept.confidence.sum().over(per_event),
        primary_category=kept.category.first().over(ranked),
    )
    unlabelled = (
        e.anti_join(kept, e.id == kept.id)
        .select(*base_cols)
        .mutate(
            path=ibis.literal(None, "string"),
            confidence=ibis.literal(None, "float64"),
            tag=ibis.literal(OTHERS),
            category=ibis.literal(OTHERS),
            weight=ibis.literal(1.0),
            primary_category=ibis.literal(OTHERS),
        )
    )
    rows = kept.union(unlabelled.select(*kept.columns))
    rows = rows.mutate(
        tokens=rows.event_tokens * rows.weight,
        prompt_tokens=rows.prompt_tokens * rows.weight,
        completion_tokens=rows.completion_tokens * rows.weight,
        cost_usd=rows.event_cost_usd * rows.weight,
        requests=rows.weight,
    )
    return _with_model_attributes(rows, model_attributes)
