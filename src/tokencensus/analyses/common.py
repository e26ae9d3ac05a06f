"""Building blocks shared by the analyses (pure Ibis, engine-agnostic)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
from ibis import _

from tokencensus.catalog import UNKNOWN

__all__ = [
    "OSS_SOURCE_TYPES",
    "distinct_users",
    "oss_only",
    "sample_shares",
    "top_levels",
    "top_model_shares",
    "weekly_shares",
    "with_users",
]

OSS_SOURCE_TYPES: tuple[str, ...] = ("Chinese OSS", "RoW OSS")


def oss_only(t: ibis.Table) -> ibis.Table:
    """Rows of open-weights models only (known models; unknown ones are never OSS)."""
    return t.filter(t.source_type.isin(OSS_SOURCE_TYPES))


def weekly_shares(
    t: ibis.Table,
    dim: str,
    *,
    value: str = "tokens",
    levels: Sequence[str] | ibis.Table | None = None,
    complete: bool = False,
    excluded: Sequence[str] = (UNKNOWN,),
) -> ibis.Table:
    """``week, <dim>, <value>, share``: each level's share of the week's total.

    Levels in ``excluded`` keep their row (so they are reported) but get a null
    share and stay out of the denominator.  With ``levels`` (values, or a table with a
    ``dim`` column) every week has a row for each of those levels; with ``complete`` for
    each level seen in any week (zero-filled), so stacked charts have no holes.
    """
    agg = t.group_by("week", dim).agg(**{value: t[value].sum()})
    if levels is not None or complete:
        weeks = agg.select("week").distinct()
        if isinstance(levels, ibis.Table):
            grid_levels = levels.select(dim)
        elif levels is not None:
            grid_levels = ibis.memtable({dim: list(levels)})
        else:
            grid_levels = agg.filter(~agg[dim].isin(list(excluded))).select(dim).distinct()
        grid = weeks.cross_join(grid_levels)
        filled = grid.left_join(agg, [grid.week == agg.week, grid[dim] == agg[dim]]).select(
            grid.week, grid[dim], **{value: ibis.coalesce(agg[value], 0)}
        )
        extra = agg.filter(~agg[dim].isin(grid_levels[dim]))
        agg = filled.union(extra)
    included = ~agg[dim].isin(list(excluded)) if excluded else ibis.literal(True)
    total = ibis.ifelse(included, agg[value], 0).sum().over(group_by="week")
    share = ibis.ifelse(included & (total > 0), agg[value].cast("float64") / total, ibis.null())
    return agg.mutate(share=share.cast("float64"))


def distinct_users(
    user_rows: ibis.Table, by: Sequence[str], where: ibis.Value | None = None
) -> ibis.Table:
    """``by..., users``: distinct users per cell of a user-grain rollup."""
    t = user_rows if where is None else user_rows.filter(where)
    return t.group_by(list(by)).agg(users=t.user_id.nunique())


def with_users(
    result: ibis.Table,
    user_rows: ibis.Table,
    by: Sequence[str],
    where: ibis.Value | None = None,
) -> ibis.Table:
    """Attach the ``users`` behind each row of ``result`` (0 where none), for the privacy rule."""
    users = distinct_users(user_rows, by, where)
    j = result.left_join(users, [result[k] == users[k] for k in by])
    j = j.drop(*[f"{k}_right" for k in by if f"{k}_right" in j.columns])
    return j.mutate(users=ibis.coalesce(j.users, 0))


def sample_shares(
    parts: ibis.Table,
    groups: Sequence[str],
    dim: str,
    *,
    amount: str = "tokens",
    levels: Sequence[str] | None = None,
) -> ibis.Table:
    """Shares of ``amount`` by ``dim`` within each group, estimated from the event sample.

    ``parts`` has one or more rows per sampled event (column ``id``) splitting the event's
    amount over ``dim`` values.  The share of d in a group is the ratio estimator
    R = sum_i y_i / sum_i x_i over the group's sampled events, x_i the event's amount and
    y_i its part in d.  Its 95% interval is the delta-method (linearization) interval
    R +/- 1.96 sqrt(sum_i (y_i - R x_i)^2 / (n (n - 1) xbar^2)), clipped to [0, 1]; n is
    the number of sampled events in the group.  Output: groups..., dim, ``<amount>``,
    ``share``, ``share_low``, ``share_high``, ``sample_events``, ``users``.
    """
    groups = list(groups)
    per_event = parts.group_by(["id", *groups]).agg(x=parts[amount].sum())
    per_event_dim = parts.group_by(["id", *groups, dim, "user_id"]).agg(y=parts[amount].sum())
    g = per_event.group_by(groups).agg(n=_.count(), sx=_.x.sum(), sxx=(_.x * _.x).sum())
    j = per_event_dim.join(per_event, ["id", *groups])
    d = j.group_by([*groups, dim]).agg(
        sy=j.y.sum(), syy=(j.y * j.y).sum(), sxy=(j.x * j.y).sum(), users=j.user_id.nunique()
    )
    if levels is not None:
        grid = g.select(*groups).cross_join(ibis.memtable({dim: list(levels)}))
        d = grid.left_join(d, [*(grid[k] == d[k] for k in groups), grid[dim] == d[dim]]).select(
            *[grid[k] for k in groups],
            grid[dim],
            sy=ibis.coalesce(d.sy, 0.0),
            syy=ibis.coalesce(d.syy, 0.0),
            sxy=ibis.coalesce(d.sxy, 0.0),
            users=ibis.coalesce(d.users, 0),
        )
    t = d.join(g, groups) if groups else d.cross_join(g)
    # One step per quantity, each reading the last one's columns: written as one
    # expression, every use of R and of the variance is inlined into the SQL (55 KB an
    # artifact, whose planning cost more than running it on a week of the sample).
    t = t.mutate(r=ibis.ifelse(t.sx > 0, t.sy / t.sx, ibis.null()), xbar=t.sx / t.n)
    t = t.mutate(
        var=ibis.ifelse(
            (t.n > 1) & (t.sx > 0),
            (t.syy - 2 * t.r * t.sxy + t.r * t.r * t.sxx) / (t.n * (t.n - 1) * t.xbar * t.xbar),
            ibis.null(),
        )
    )
    t = t.mutate(half=1.959963984540054 * _at_least_zero(t.var).sqrt())
    t = t.mutate(low=t.r - t.half, high=t.r + t.half)
    return t.select(
        *groups,
        dim,
        **{amount: t.sy},
        share=t.r.cast("float64"),
        share_low=_unit(t.low).cast("float64"),
        share_high=_unit(t.high).cast("float64"),
        sample_events=t.n,
        users=t.users,
    )


def _at_least_zero(x: ibis.NumericValue) -> ibis.NumericValue:
    """``x`` clipped below at 0, null kept null (``clip`` repeats its argument 4 times)."""
    return ibis.ifelse(x < 0, 0.0, x)


def _unit(x: ibis.NumericValue) -> ibis.NumericValue:
    """``x`` clipped to [0, 1], null kept null."""
    return ibis.ifelse(x < 0, 0.0, ibis.ifelse(x > 1, 1.0, x))


def top_levels(t: ibis.Table, n: int, other: str) -> ibis.Table:
    """``model, name``: the ``n`` models of ``t`` with the most tokens over every week
    (ties by model id), then ``other`` when ``t`` holds more models than those."""
    totals = t.group_by("model").agg(total=_.tokens.sum(), name=_.model_name.max())
    top = totals.order_by([_.total.desc(), _.model]).limit(n).select("model", "name")
    rest = ibis.memtable({"model": [other], "name": [other]})
    return top.union(rest.filter(totals.count().as_scalar() > n))


def top_model_shares(
    facts: ibis.Table, users: ibis.Table, levels: ibis.Table, other: str
) -> ibis.Table:
    """``week, model, name, tokens, share, users``: each week's tokens of ``facts`` split
    among the models of ``levels`` (:func:`top_levels`, computed over every week), the
    rest as ``other``; a row for every level each week.  Each week's rows come from that
    week's rows alone, given ``levels``."""

    def label(t: ibis.Table) -> ibis.Table:
        top = levels.select("model").mutate(is_top=True)
        j = t.left_join(top, t.model == top.model).drop("model_right")
        return j.mutate(model=ibis.ifelse(j.is_top.notnull(), j.model, other)).drop("is_top")

    shares = weekly_shares(label(facts), "model", levels=levels, excluded=())
    out = shares.left_join(levels, shares.model == levels.model).drop("model_right")
    out = with_users(out, label(users), ["week", "model"])
    return out.select("week", "model", "name", "tokens", "share", "users")
