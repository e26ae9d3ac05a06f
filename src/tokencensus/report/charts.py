"""Chart spec + data -> Vega-Lite (via Altair): hover values, legend toggles, zoom on time axes."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from tokencensus.chartspec import (
    Bar,
    ChartSpec,
    Line,
    Scatter,
    StackedArea,
    StackedBar,
    TableOnly,
)
from tokencensus.report.palette import colors_for

__all__ = ["HEIGHT", "WIDTH", "vega_lite"]

WIDTH = 760
HEIGHT = 320
_FACET_WIDTH = 340
_FACET_HEIGHT = 200
_FORMATS = {"percent": ".1%", "si": ".3~s", "number": ",.4~g"}
_AXIS_FORMATS = {"percent": "%", "si": "~s", "number": "~g"}
_TEMPORAL = ("week", "month", "date", "release_date", "cohort_month")


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """JSON-ready records: dates as ISO strings, NaN as null."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif out[col].dtype == object and out[col].map(lambda v: hasattr(v, "isoformat")).any():
            out[col] = out[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return out.astype(object).where(out.notna(), None)


def _kind(df: pd.DataFrame, col: str) -> str:
    if col in _TEMPORAL:
        return "T"
    if (
        col in df.columns
        and pd.api.types.is_numeric_dtype(df[col])
        and not pd.api.types.is_bool_dtype(df[col])
    ):
        return "Q"
    return "N"


def _color_domain(spec: ChartSpec, df: pd.DataFrame) -> list[str]:
    assert spec.color is not None
    drawn = df[df[spec.y].notna()] if spec.y in df.columns else df
    present = [str(v) for v in drawn[spec.color].dropna().unique()]
    if spec.color_order:
        ordered = [c for c in spec.color_order if c in present]
        return ordered + sorted(c for c in present if c not in ordered)
    value = spec.y if spec.y in df.columns and _kind(df, spec.y) == "Q" else spec.x
    if value in df.columns and _kind(df, value) == "Q" and spec.color not in _TEMPORAL:
        totals = drawn.groupby(spec.color)[value].sum().sort_values(ascending=False)
        order = [str(c) for c in totals.index]
        # grouped remainders go last
        return [c for c in order if not c.startswith("Other")] + [
            c for c in order if c.startswith("Other")
        ]
    return sorted(present)


def _tooltip(spec: ChartSpec, df: pd.DataFrame) -> list[alt.Tooltip]:
    tips: list[alt.Tooltip] = []
    seen: set[str] = set()
    for col in (spec.facet, spec.x, spec.color, spec.y, *spec.tooltip):
        if not col or col not in df.columns or col in seen:
            continue
        seen.add(col)
        # a field drawn as an ordinal colour must keep that type everywhere in the spec
        kind = "O" if col == spec.color and col in _TEMPORAL else _kind(df, col)
        fmt = None
        if kind == "T":
            fmt = "%Y-%m-%d"
        elif kind == "Q":
            if col == spec.y or (isinstance(spec, Bar) and col == spec.x):
                fmt = _FORMATS.get(spec.y_format)
            elif col.startswith("share") or col == "retention":
                fmt = _FORMATS["percent"]
            else:
                fmt = _FORMATS["number"]
        tips.append(
            alt.Tooltip(f"{col}:{kind}", format=fmt) if fmt else alt.Tooltip(f"{col}:{kind}")
        )
    return tips


def _x(spec: ChartSpec, df: pd.DataFrame) -> alt.X:
    kind = _kind(df, spec.x)
    title = spec.x_title or spec.x.replace("_", " ")
    if isinstance(spec, StackedBar):
        return alt.X(f"{spec.x}:O", title=title, axis=alt.Axis(labelAngle=-45, labelOverlap=False))
    if kind == "T":
        return alt.X(
            f"{spec.x}:T",
            title=title,
            scale=alt.Scale(type="utc"),
            axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30, labelOverlap="greedy"),
        )
    if isinstance(spec, Scatter):
        return alt.X(
            f"{spec.x}:Q",
            title=title,
            scale=alt.Scale(type="log") if spec.log_x else alt.Scale(zero=False),
        )
    if kind == "Q" and pd.api.types.is_integer_dtype(df[spec.x]):
        return alt.X(f"{spec.x}:Q", title=title, axis=alt.Axis(tickMinStep=1, format="d"))
    return alt.X(f"{spec.x}:{kind}", title=title)


def _y(spec: ChartSpec, df: pd.DataFrame) -> alt.Y:
    title = spec.y_title or spec.y.replace("_", " ")
    axis = alt.Axis(format=_AXIS_FORMATS.get(spec.y_format))
    if isinstance(spec, Scatter):
        return alt.Y(
            f"{spec.y}:Q",
            title=title,
            axis=axis,
            scale=alt.Scale(type="log") if spec.log_y else alt.Scale(zero=False),
        )
    if isinstance(spec, StackedArea) and spec.y_format == "percent":
        return alt.Y(
            f"{spec.y}:Q", title=title, stack="zero", axis=axis, scale=alt.Scale(domain=[0, 1])
        )
    if isinstance(spec, Line):
        return alt.Y(f"{spec.y}:Q", title=title, axis=axis, stack=None)
    return alt.Y(f"{spec.y}:Q", title=title, axis=axis)


def vega_lite(
    spec: ChartSpec,
    df: pd.DataFrame,
    *,
    title: str = "",
    markers: pd.DataFrame | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> dict[str, Any] | None:
    """A Vega-Lite spec (dict) for ``df`` drawn as ``spec``; None for table-only artifacts."""
    if isinstance(spec, TableOnly) or df.empty or spec.y not in df.columns:
        return None
    drawable = df[df[spec.y].notna()] if spec.y in df.columns else df
    if drawable.empty:
        return None
    data = _prepare(drawable)
    base = alt.Chart(alt.Data(values=data.to_dict(orient="records")))
    enc: dict[str, Any] = {"tooltip": _tooltip(spec, drawable)}
    params: list[Any] = []
    if spec.color:
        domain = _color_domain(spec, drawable)
        legend_sel = alt.selection_point(fields=[spec.color], bind="legend", name="legend")
        params.append(legend_sel)
        ckind = "O" if spec.color in _TEMPORAL else "N"
        enc["color"] = alt.Color(
            f"{spec.color}:{ckind}",
            scale=alt.Scale(domain=domain, range=colors_for(domain)),
            sort=domain,
            legend=alt.Legend(title=spec.color.replace("_", " "), symbolLimit=40),
        )
        enc["opacity"] = alt.condition(legend_sel, alt.value(0.9), alt.value(0.12))
        if isinstance(spec, (StackedArea, StackedBar)):
            enc["order"] = alt.Order("color_rank:Q")
            base = base.transform_calculate(
                color_rank=f"indexof({domain!r}, datum['{spec.color}'])".replace("'", '"')
            )

    if isinstance(spec, StackedArea):
        chart = base.mark_area(interpolate="monotone")
    elif isinstance(spec, StackedBar):
        chart = base.mark_bar()
    elif isinstance(spec, Line):
        chart = base.mark_line(point=alt.OverlayMarkDef(size=18))
    elif isinstance(spec, Bar):
        domain = [str(v) for v in drawable[spec.y]]
        chart = base.mark_bar().encode(
            x=alt.X(
                f"{spec.x}:Q",
                title=spec.x_title or spec.x,
                axis=alt.Axis(format=_AXIS_FORMATS.get(spec.y_format)),
            ),
            y=alt.Y(f"{spec.y}:N", sort="-x", title=spec.y_title or spec.y),
            color=alt.Color(
                f"{spec.y}:N", scale=alt.Scale(domain=domain, range=colors_for(domain)), legend=None
            ),
            tooltip=enc["tooltip"],
        )
        height = max(120, 22 * len(domain))
        params = []
    elif isinstance(spec, Scatter):
        chart = base.mark_circle(size=80)
    else:  # pragma: no cover - every spec class is handled above
        raise TypeError(f"no renderer for {type(spec).__name__}")

    if not isinstance(spec, Bar):
        chart = chart.encode(x=_x(spec, drawable), y=_y(spec, drawable), **enc)
        if isinstance(spec, Scatter) and spec.label and spec.label in drawable.columns:
            labels = base.mark_text(align="left", dx=7, fontSize=10).encode(
                x=_x(spec, drawable), y=_y(spec, drawable), text=f"{spec.label}:N"
            )
            chart = alt.layer(chart.add_params(*params), labels)
            params = []
    if _kind(drawable, spec.x) == "T" and not spec.facet and not isinstance(spec, StackedBar):
        params.append(alt.selection_interval(bind="scales", encodings=["x"], name="zoom"))
    if params:
        chart = chart.add_params(*params)
    if markers is not None and not markers.empty and spec.markers:
        m = _prepare(markers)
        marks = alt.Chart(alt.Data(values=m.to_dict(orient="records")))
        mx = alt.X("release_date:T", scale=alt.Scale(type="utc"))
        rules = marks.mark_rule(strokeDash=[4, 3], color="#555").encode(
            x=mx, tooltip=["label:N", alt.Tooltip("release_date:T", format="%Y-%m-%d")]
        )
        texts = marks.mark_text(
            angle=270, align="right", baseline="bottom", dx=-4, fontSize=9, color="#333"
        ).encode(x=mx, y=alt.value(4), text="label:N")
        chart = alt.layer(chart, rules, texts)
    if spec.facet and spec.facet in drawable.columns:
        chart = chart.properties(width=_FACET_WIDTH, height=_FACET_HEIGHT).facet(
            facet=alt.Facet(f"{spec.facet}:N", title=None), columns=2
        )
        chart = chart.resolve_scale(x="independent")
        return chart.properties(title=title).to_dict(validate=False)
    chart = chart.properties(width=width, height=height, title=title)
    return chart.to_dict(validate=False)
