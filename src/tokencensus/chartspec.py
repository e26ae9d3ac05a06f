"""Chart specifications: what an artifact's chart shows, independent of how it is drawn.

Analyses declare one of these next to their function; ``report.charts`` turns it
into a Vega-Lite spec (interactive HTML) and static PNG/SVG.  Field names refer
to columns of the artifact's data table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Bar",
    "ChartSpec",
    "Line",
    "Scatter",
    "StackedArea",
    "StackedBar",
    "TableOnly",
]


@dataclass(frozen=True)
class ChartSpec:
    x: str
    y: str
    color: str | None = None
    #: Fixed order of the colour categories (None: by total, largest first).
    color_order: tuple[str, ...] | None = None
    x_title: str | None = None
    y_title: str | None = None
    #: Format of the y axis: "percent", "si" (1.2M) or "number".
    y_format: str = "number"
    #: Column(s) shown in the tooltip besides x, y and colour.
    tooltip: tuple[str, ...] = ()
    #: Draw vertical release markers (F1): the runner passes them as extra data.
    markers: bool = False
    #: One small chart per value of this column (e.g. author, model).
    facet: str | None = None


@dataclass(frozen=True)
class StackedArea(ChartSpec):
    """Weekly shares stacked to 100% (or volumes stacked)."""


@dataclass(frozen=True)
class StackedBar(ChartSpec):
    """Bars stacked by colour; x is usually the week."""


@dataclass(frozen=True)
class Line(ChartSpec):
    """One line per colour value."""


@dataclass(frozen=True)
class Bar(ChartSpec):
    """Horizontal bars: y is the category, x the value; sorted by value."""


@dataclass(frozen=True)
class Scatter(ChartSpec):
    """Points, optionally labelled, with log axes."""

    label: str | None = None
    log_x: bool = False
    log_y: bool = False


@dataclass(frozen=True)
class TableOnly(ChartSpec):
    """No chart: the data table is the artifact."""

    x: str = ""
    y: str = ""
