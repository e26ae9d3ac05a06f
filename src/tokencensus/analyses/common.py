"""Building blocks shared by the analyses (pure Ibis, engine-agnostic)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from tokencensus.catalog import UNKNOWN

__all__ = ["OSS_SOURCE_TYPES", "oss_only", "weekly_shares"]

OSS_SOURCE_TYPES: tuple[str, ...] = ("Chinese OSS", "RoW OSS")


def oss_only(t: ibis.Table) -> ibis.Table:
    """Rows of open-weights models only (known models; unknown ones are never OSS)."""
    return t.filter(t.source_type.isin(OSS_SOURCE_TYPES))


def weekly_shares(
    t: ibis.Table,
    dim: str,
    *,
    value: str = "tokens",
    levels: Sequence[str] | None = None,
    complete: bool = False,
    excluded: Sequence[str] = (UNKNOWN,),
) -> ibis.Table:
    """``week, <dim>, <value>, share``: each level's share of the week's total.

    Levels in ``excluded`` keep their row (so they are reported) but get a null
    share and stay out of the denominator.  With ``levels`` every week has a row
    for each of those levels; with ``complete`` for each level seen in any week
    (zero-filled), so stacked charts have no holes.
    """
    agg = t.group_by("week", dim).agg(**{value: t[value].sum()})
    if levels is not None or complete:
        weeks = agg.select("week").distinct()
        if levels is not None:
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
