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

__all__ = ["WIDTH", "vega_lite"]

WIDTH = 760
HEIGHT = 320
_FORMATS = {"percent": ".1%", "si": ".3~s", "number": ",.4~g"}
_AXIS_FORMATS = {"percent": "%", "si": "~s", "number": "~g"}


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif out[col].dtype == object and len(out) and hasattr(out[col].iloc[0], "isoformat"):
            out[col] = out[col].map(lambda v: v.isoformat() if v is not None else None)
    return out.astype(object).where(out.notna(), None)


def _is_temporal(spec: ChartSpec, field: str) -> bool:
    return field in ("week", "month", "date", "release_date")


def _color_domain(spec: ChartSpec, df: pd.DataFrame) -> list[str]:
    assert spec.color is not None
    drawn = df[df[spec.y].notna()] if spec.y in df.columns else df
    present = [str(v) for v in drawn[spec.color].dropna().unique()]
    if spec.color_order:
        ordered = [c for c in spec.color_order if c in present]
        return ordered + sorted(c for c in present if c not in ordered)
    value = spec.y if spec.y in df.columns else spec.x
    if value in df.columns and pd.api.types.is_numeric_dtype(df[value]):
        totals = df.groupby(spec.color)[value].sum().sort_values(ascending=False)
        order = [str(c) for c in totals.index]
        # grouped remainders go last
        return [c for c in order if not c.startswith("Other")] + [
            c for c in order if c.startswith("Other")
        ]
    return sorted(present)


def _field(spec: ChartSpec, name: str, title: str | None, fmt: str | None = None) -> dict[str, Any]:
    kind = "temporal" if _is_temporal(spec, name) else "quantitative"
    enc: dict[str, Any] = {"field": name, "type": kind}
    if title:
        enc["title"] = title
    if fmt and kind == "quantitative":
        enc["axis"] = {"format": fmt}
    return enc


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
    if isinstance(spec, TableOnly) or df.empty:
        return None
    data = _prepare(df)
    tooltip: list[alt.Tooltip] = []
    for col in (spec.x, spec.color, spec.y, *spec.tooltip):
        if col and col in data.columns and col not in [t.shorthand for t in tooltip]:
            fmt = None
            if col == spec.y or col == spec.x:
                fmt = (
                    _FORMATS.get(spec.y_format) if col == spec.y or isinstance(spec, Bar) else None
                )
            elif col == "share":
                fmt = _FORMATS["percent"]
            elif pd.api.types.is_numeric_dtype(df[col]):
                fmt = _FORMATS["si"]
            kind = (
                "T"
                if _is_temporal(spec, col)
                else ("Q" if pd.api.types.is_numeric_dtype(df[col]) else "N")
            )
            tooltip.append(
                alt.Tooltip(f"{col}:{kind}", format=fmt) if fmt else alt.Tooltip(f"{col}:{kind}")
            )

    base = alt.Chart(alt.Data(values=data.to_dict(orient="records")))
    enc: dict[str, Any] = {"tooltip": tooltip}
    params = []
    if spec.color:
        domain = _color_domain(spec, df)
        legend_sel = alt.selection_point(fields=[spec.color], bind="legend", name="legend")
        params.append(legend_sel)
        enc["color"] = alt.Color(
            f"{spec.color}:N",
            scale=alt.Scale(domain=domain, range=colors_for(domain)),
            sort=domain,
            legend=alt.Legend(title=spec.color.replace("_", " ")),
        )
        enc["opacity"] = alt.condition(legend_sel, alt.value(0.9), alt.value(0.12))
        enc["order"] = alt.Order("color_rank:Q")
        base = base.transform_calculate(
            color_rank=f"indexof({domain!r}, datum['{spec.color}'])".replace("'", '"')
        )
    y_axis = _AXIS_FORMATS.get(spec.y_format)

    if isinstance(spec, (StackedArea, StackedBar, Line)):
        x = alt.X(
            f"{spec.x}:T",
            title=spec.x_title or spec.x,
            scale=alt.Scale(type="utc"),
            axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30, labelOverlap="greedy"),
        )
        y_enc = alt.Y(f"{spec.y}:Q", title=spec.y_title or spec.y, axis=alt.Axis(format=y_axis))
        if isinstance(spec, StackedArea):
            chart = base.mark_area(interpolate="monotone").transform_filter(
                f"datum['{spec.y}'] != null"
            )
            if spec.y_format == "percent":
                y_enc = alt.Y(
                    f"{spec.y}:Q",
                    title=spec.y_title or spec.y,
                    stack="zero",
                    axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1]),
                )
        elif isinstance(spec, StackedBar):
            # one band per ISO week (ordinal), so bars keep their width at any zoom
            chart = base.mark_bar()
            x = alt.X(
                f"{spec.x}:O",
                title=spec.x_title or spec.x,
                axis=alt.Axis(labelAngle=-45, labelOverlap="greedy"),
            )
        else:
            chart = base.mark_line(point=alt.OverlayMarkDef(size=18))
            enc.pop("order", None)
        if not isinstance(spec, StackedBar):
            zoom = alt.selection_interval(bind="scales", encodings=["x"], name="zoom")
            params.append(zoom)
        chart = chart.encode(x=x, y=y_enc, **enc)
    elif isinstance(spec, Bar):
        domain = [str(v) for v in df[spec.y]]
        chart = base.mark_bar().encode(
            x=alt.X(f"{spec.x}:Q", title=spec.x_title or spec.x, axis=alt.Axis(format=y_axis)),
            y=alt.Y(f"{spec.y}:N", sort="-x", title=spec.y_title or spec.y),
            color=alt.Color(
                f"{spec.y}:N", scale=alt.Scale(domain=domain, range=colors_for(domain)), legend=None
            ),
            **{k: v for k, v in enc.items() if k not in ("order", "color", "opacity")},
        )
        height = max(120, 22 * len(domain))
    elif isinstance(spec, Scatter):
        x = alt.X(
            f"{spec.x}:Q",
            title=spec.x_title or spec.x,
            scale=alt.Scale(type="log") if spec.log_x else alt.Scale(zero=False),
        )
        y = alt.Y(
            f"{spec.y}:Q",
            title=spec.y_title or spec.y,
            scale=alt.Scale(type="log") if spec.log_y else alt.Scale(zero=False),
        )
        enc.pop("order", None)
        chart = base.mark_circle(size=70).encode(x=x, y=y, **enc)
        if spec.label:
            chart = chart + base.mark_text(align="left", dx=6, fontSize=10).encode(
                x=x, y=y, text=f"{spec.label}:N"
            )
    else:  # pragma: no cover - every spec class is handled above
        raise TypeError(f"no renderer for {type(spec).__name__}")

    if params and isinstance(chart, alt.Chart):
        chart = chart.add_params(*params)
    if markers is not None and not markers.empty and spec.markers:
        m = _prepare(markers)
        marks = alt.Chart(alt.Data(values=m.to_dict(orient="records")))
        mx = alt.X("release_date:T", scale=alt.Scale(type="utc"))
        rules = marks.mark_rule(strokeDash=[4, 3], color="#555").encode(
            x=mx, tooltip=["label:N", alt.Tooltip("release_date:T", format="%Y-%m-%d")]
        )
        labels = marks.mark_text(
            angle=270, align="right", baseline="bottom", dx=-4, fontSize=9, color="#333"
        ).encode(x=mx, y=alt.value(4), text="label:N")
        chart = alt.layer(chart, rules, labels)
    chart = chart.properties(width=width, height=height, title=title)
    return chart.to_dict(validate=False)
