"""Every artifact's chart for one run: one palette, paper references, the same spec for the
page (interactive) and the figures (static)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from tokencensus.chartspec import Bar, TableOnly
from tokencensus.report.charts import vega_lite
from tokencensus.report.overlays import reference_frame
from tokencensus.report.palette import Palette

if TYPE_CHECKING:
    from tokencensus.study import ArtifactResult

__all__ = ["artifact_chart", "artifact_references", "run_palette"]


def _legend_field(res: ArtifactResult) -> str | None:
    spec = res.artifact.chart
    if isinstance(spec, TableOnly):
        return None
    return spec.y if isinstance(spec, Bar) else spec.color


def run_palette(results: Mapping[str, ArtifactResult]) -> Palette:
    """One colour per label across the run: each legend dimension (author, model, tag ...)
    ranked by its labels' largest volume, so the largest get distinct colours."""
    volume: dict[str, dict[str, float]] = {}
    for res in results.values():
        field = _legend_field(res)
        df = res.data
        if not field or field not in df.columns:
            continue
        value = next((c for c in ("tokens", "cost_usd", "share") if c in df.columns), None)
        if value is None:
            totals = pd.Series(1.0, index=df[field].dropna().astype(str).unique())
        else:
            num = pd.to_numeric(df[value], errors="coerce").fillna(0)
            totals = num.groupby(df[field].astype(str)).sum()
        dim = volume.setdefault(field, {})
        for label, total in totals.items():
            dim[str(label)] = max(dim.get(str(label), 0.0), float(total))
    return Palette.for_dimensions(_ranked(dim) for dim in volume.values())


def _ranked(volume: dict[str, float]) -> list[str]:
    return sorted(volume, key=lambda k: (-volume[k], k))


def artifact_references(res: ArtifactResult) -> pd.DataFrame | None:
    """The paper references drawn on an artifact's chart (None for table-only artifacts)."""
    spec = res.artifact.chart
    if isinstance(spec, TableOnly) or not spec.y:
        return None
    return reference_frame(
        res.artifact.id, res.data, color=spec.color, facet=spec.facet, x=spec.x, y=spec.y
    )


def artifact_chart(
    res: ArtifactResult,
    *,
    palette: Palette | None = None,
    reference: bool = True,
    interactive: bool = True,
    title: str = "",
) -> dict[str, Any] | None:
    """The Vega-Lite spec of one artifact (None when it has no chart or nothing to draw)."""
    refs = artifact_references(res) if reference else None
    return vega_lite(
        res.artifact.chart,
        res.data,
        title=title,
        markers=res.markers,
        references=refs,
        extras=res.extras,
        palette=palette,
        interactive=interactive,
    )
