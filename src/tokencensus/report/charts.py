"""Chart spec + data -> Vega-Lite: hover values, legend toggles, zoom on time axes.

Specs are built as plain Vega-Lite dicts (the grammar Altair writes; building them
directly keeps a 32-chart report under a second instead of ~20 s of Altair validation).

Every chart reads one dataset, ``data``: the artifact's table (all its rows and columns,
as in ``data/<ID>.csv``) followed by *guide* rows - paper references, the run's own
medians and fitted line, release markers - whose columns start with ``__``.  Layers pick
their rows with filters, which also works inside facets (where a layer cannot bring its
own data).  The page strips the table rows from each spec and refills them from its one
copy of the table (:func:`split_table`), so no table is embedded twice.

Interaction: hovering a time chart shows every series' value at the nearest week (a
pivoted rule); clicking a legend entry shows that series alone (shift-click adds more;
stacked charts restack it from zero, so it reads against the axis and the paper's
reference); dragging or wheeling on a time axis zooms it (double-click resets).
"""

from __future__ import annotations

import math
from typing import Any

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
from tokencensus.report.palette import Palette

__all__ = [
    "CONFIG",
    "HEIGHT",
    "WIDTH",
    "draws_intervals",
    "guide_frame",
    "prepare",
    "split_table",
    "table_json",
    "vega_lite",
]

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # read by vega-embed, never fetched
WIDTH = 620
HEIGHT = 320
_FACET_WIDTH = 300
_FACET_HEIGHT = 190
#: Horizontal bar charts draw at most this many bars (the largest).
MAX_BARS = 30
_FORMATS = {"percent": ".1%", "si": ".3~s", "number": ",.4~g"}
_AXIS_FORMATS = {"percent": "%", "si": "~s", "number": "~s"}
_TEMPORAL = ("week", "month", "date", "release_date", "cohort_month")
_TYPES = {"T": "temporal", "Q": "quantitative", "N": "nominal", "O": "ordinal"}
_REF_COLOR = "#333333"
_RUN_COLOR = "#777777"
_DASH = [6, 4]

#: Shared look: readable fonts, the same in the page and in PNG/SVG/PDF figures.
FONT = "Noto Sans, DejaVu Sans, Noto Sans CJK SC, Loma, sans-serif"
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": "#e3e6ec"},
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal",
             "gridColor": "#eef0f4", "domainColor": "#9aa3b2", "tickColor": "#9aa3b2"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 190},
    "header": {"labelFontSize": 12, "labelFontWeight": "bold"},
    "title": {"fontSize": 14, "anchor": "start"},
    "text": {"fontSize": 10},
}  # fmt: skip


# ------------------------------------------------------------------------------- data
def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """JSON-ready values: dates as ISO strings, NaN as null."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif out[col].dtype == object and out[col].map(lambda v: hasattr(v, "isoformat")).any():
            out[col] = out[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return out.astype(object).where(out.notna(), None)


def _rows(df: pd.DataFrame) -> list[list[Any]]:
    rows = df.to_numpy(dtype=object).tolist()
    for row in rows:
        for i, v in enumerate(row):
            if hasattr(v, "item"):  # numpy scalar
                v = row[i] = v.item()
            if isinstance(v, float) and not math.isfinite(v):
                row[i] = None
    return rows


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, row, strict=True)) for row in _rows(df)]


#: Significant digits of the page's copy of the tables (full precision: data/<ID>.csv).
PAGE_DIGITS = 7


def table_json(df: pd.DataFrame, digits: int | None = PAGE_DIGITS) -> dict[str, Any]:
    """A table as ``{columns, rows}``: the page's one copy of an artifact's data, its
    floats kept to ``digits`` significant digits."""
    p = prepare(df)
    rows = _rows(p)
    if digits is not None:
        for row in rows:
            for i, v in enumerate(row):
                if isinstance(v, float):
                    row[i] = float(f"{v:.{digits}g}")
    return {"columns": [str(c) for c in p.columns], "rows": rows}


def split_table(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without its table rows (the page refills them); guide rows move to usermeta."""
    out = dict(spec)
    tc = dict(out.get("usermeta", {}).get("tc", {}))
    data = list(out.get("datasets", {}).get("data") or [])
    tc["guides"] = data[int(tc.get("table_rows", 0)) :]
    out["usermeta"] = {**out.get("usermeta", {}), "tc": tc}
    out["datasets"] = {**out.get("datasets", {}), "data": []}
    return out


# ------------------------------------------------------------------------------ types
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


def _esc(field: str) -> str:
    """A field name as Vega-Lite reads it (dots and brackets are paths unless escaped)."""
    return field.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def _js(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _datum(field: str) -> str:
    return f"datum[{_js(field)}]"


def _f(field: str, kind: str, **kw: Any) -> dict[str, Any]:
    """An encoding channel on a field."""
    out = {"field": _esc(field), "type": _TYPES.get(kind, kind)}
    # None drops an option, except where Vega-Lite reads null as "none" (no legend/title/stack)
    out.update({k: v for k, v in kw.items() if v is not None or k in ("legend", "title", "stack")})
    return out


def _color_domain(spec: ChartSpec, df: pd.DataFrame) -> list[str]:
    assert spec.color is not None
    present = [str(v) for v in df[spec.color].dropna().unique()]
    if spec.color_order:
        ordered = [c for c in spec.color_order if c in present]
        return ordered + sorted(c for c in present if c not in ordered)
    value = spec.y if spec.y in df.columns and _kind(df, spec.y) == "Q" else spec.x
    if value in df.columns and _kind(df, value) == "Q" and spec.color not in _TEMPORAL:
        keyed = df.assign(_key=df[spec.color].astype(str))
        totals = keyed.groupby("_key")[value].sum().sort_values(ascending=False, kind="stable")
        order = [str(c) for c in totals.index]
        # grouped remainders go last
        return [c for c in order if not c.startswith("Other")] + [
            c for c in order if c.startswith("Other")
        ]
    return sorted(present)


def _value_format(spec: ChartSpec, df: pd.DataFrame, col: str) -> str | None:
    kind = _kind(df, col)
    if kind == "T":
        return "%Y-%m-%d"
    if kind != "Q":
        return None
    if col == spec.y or (isinstance(spec, Bar) and col == spec.x):
        return _FORMATS.get(spec.y_format)
    if col.startswith("share") or col == "retention":
        return _FORMATS["percent"]
    return _FORMATS["number"]


def _tooltip(spec: ChartSpec, df: pd.DataFrame) -> list[dict[str, Any]]:
    tips: list[dict[str, Any]] = []
    seen: set[str] = set()
    extra = [c for c in ("share_low", "share_high", "sample_events") if c in df.columns]
    for col in (spec.facet, spec.x, spec.color, spec.y, *spec.tooltip, *extra):
        if not col or col not in df.columns or col in seen:
            continue
        seen.add(col)
        # a field drawn as an ordinal colour must keep that type everywhere in the spec
        kind = "O" if col == spec.color and col in _TEMPORAL else _kind(df, col)
        fmt = _value_format(spec, df, col) if kind != "O" else None
        tips.append(_f(col, kind, format=fmt, title=col.replace("_", " ")))
    return tips


def _x(spec: ChartSpec, df: pd.DataFrame, field: str | None = None) -> dict[str, Any]:
    field = field or spec.x
    kind = _kind(df, spec.x)
    title = spec.x_title or spec.x.replace("_", " ")
    if isinstance(spec, StackedBar) and kind != "T":
        order = list(dict.fromkeys(str(v) for v in df[spec.x].dropna()))  # the table's order
        return _f(
            field, "O", title=title, sort=order, axis={"labelAngle": -40, "labelOverlap": False}
        )
    if kind == "T":
        return _f(
            field,
            "T",
            title=title,
            scale={"type": "utc"},
            axis={"format": "%b %Y", "labelAngle": 0, "labelOverlap": "greedy", "tickCount": 8},
        )
    if isinstance(spec, Scatter):
        return _f(field, "Q", title=title, scale={"type": "log"} if spec.log_x else {"zero": False})
    if kind == "Q" and pd.api.types.is_integer_dtype(df[spec.x]):
        return _f(field, "Q", title=title, axis={"tickMinStep": 1, "format": "d"})
    return _f(field, kind, title=title)


def _y(spec: ChartSpec, field: str | None = None) -> dict[str, Any]:
    field = field or spec.y
    title = spec.y_title or spec.y.replace("_", " ")
    axis = {"format": _AXIS_FORMATS.get(spec.y_format, "~s")}
    if isinstance(spec, Scatter):
        log: dict[str, Any] = {"type": "log"} if spec.log_y else {"zero": False}
        return _f(field, "Q", title=title, axis=axis, scale=log)
    if isinstance(spec, (StackedArea, StackedBar)):
        share = {"domain": [0, 1]} if spec.y_format == "percent" else None
        return _f(field, "Q", title=title, stack="zero", axis=axis, scale=share)
    return _f(field, "Q", title=title, axis=axis, stack=None)


# ----------------------------------------------------------------------------- guides
GUIDE_COLUMNS = (
    "__mark", "__kind", "__label", "__statement", "__x", "__x2", "__y", "__y2",
    "__lx", "__ly", "__align", "__below", "__color", "__series", "__facet",
)  # fmt: skip


def _x_range(spec: ChartSpec, df: pd.DataFrame) -> tuple[Any, Any]:
    drawn = df[df[spec.y].notna()] if spec.y in df.columns else df
    if spec.x not in drawn.columns or drawn.empty:
        return None, None
    xs = drawn[spec.x].dropna()
    if xs.empty:
        return None, None
    if _kind(df, spec.x) == "T":
        xs = pd.to_datetime(xs)
        return xs.min().strftime("%Y-%m-%d"), xs.max().strftime("%Y-%m-%d")
    if _kind(df, spec.x) == "Q":
        if isinstance(spec, Scatter) and spec.log_x:
            xs = xs[xs > 0]
        return (float(xs.min()), float(xs.max())) if len(xs) else (None, None)
    return None, None


def guide_frame(
    spec: ChartSpec,
    df: pd.DataFrame,
    *,
    references: pd.DataFrame | None = None,
    markers: pd.DataFrame | None = None,
    extras: dict[str, pd.DataFrame] | None = None,
    palette: Palette | None = None,
) -> pd.DataFrame:
    """Guide rows for one chart: paper references, the run's medians and fit, release markers."""
    rows: list[dict[str, Any]] = []
    x_lo, x_hi = _x_range(spec, df)
    pal = palette or Palette()

    for ref in [] if references is None else references.to_dict("records"):
        r = {k: None if _missing(v) else v for k, v in ref.items()}
        row: dict[str, Any] = {
            "__mark": r["mark"],
            "__kind": "paper",
            "__label": r["label"],
            "__statement": r["statement"],
            "__x": r["x"],
            "__x2": r["x2"],
            "__y": r["y"],
            "__y2": r["y2"],
            "__align": "right" if r["side"] == "right" else "left",
            "__color": pal[str(r["series"])] if r.get("series") else _REF_COLOR,
            "__series": r.get("series"),
            "__facet": r.get("facet"),
        }
        if r["mark"] in ("hline", "band"):
            row["__ly"] = r["y2"] if r["mark"] == "band" and r["y2"] is not None else r["y"]
            if r["x"] is not None and r["x2"] is not None and x_lo is not None:
                # a level over some weeks: labelled from the end nearer the chart's middle,
                # above its line (below when a close level would collide)
                row["__align"] = "left" if _in_left_half(r["x"], r["x2"], x_lo, x_hi) else "right"
                row["__lx"] = r["x"] if row["__align"] == "left" else r["x2"]
                row["__below"] = r["side"] == "left"
            else:
                row["__lx"] = (r["x2"] or x_hi) if row["__align"] == "right" else (r["x"] or x_lo)
        elif r["mark"] == "point":
            row["__lx"], row["__ly"], row["__align"] = r["x"], r["y"], "right"
        elif r["mark"] == "tick":
            row["__lx"], row["__ly"], row["__align"] = r["x"], r["y"], "left"
        elif r["mark"] == "slope":
            row["__lx"], row["__ly"], row["__align"] = r["x2"], r["y2"], "right"
        rows.append(row)
    _label_ratio_ends(rows)

    if isinstance(spec, Scatter):
        rows.extend(_run_guides(spec, df, extras or {}, x_lo))

    if markers is not None and not markers.empty and spec.markers:
        for m in prepare(markers).to_dict("records"):
            rows.append(
                {"__mark": "release", "__kind": "marker", "__label": m["label"],
                 "__statement": f"released {m['release_date']}", "__x": m["release_date"],
                 "__color": "#555555", "__align": "right"}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=list(GUIDE_COLUMNS))


def _label_ratio_ends(rows: list[dict[str, Any]]) -> None:
    """A ratio reference (one row per week) is labelled once, at its last week's top."""
    last: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["__mark"] == "ratio" and row["__x"] is not None:
            prev = last.get(row["__label"])
            if prev is None or str(row["__x"]) > str(prev["__x"]):
                last[row["__label"]] = row
    for row in last.values():
        row["__lx"], row["__ly"], row["__align"] = row["__x"], row["__y2"], "right"


def _in_left_half(x: Any, x2: Any, lo: Any, hi: Any) -> bool:
    """Whether the period [x, x2] centres in the left half of the chart's [lo, hi]."""
    conv = pd.Timestamp if isinstance(lo, str) else float
    mid = conv(x) + (conv(x2) - conv(x)) / 2
    return bool(mid < conv(lo) + (conv(hi) - conv(lo)) / 2)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _first(df: pd.DataFrame | None, col: str) -> float | None:
    if df is None or col not in df.columns or not df[col].notna().any():
        return None
    return float(df[col].dropna().iloc[0])


def _run_guides(
    spec: Scatter, df: pd.DataFrame, extras: dict[str, pd.DataFrame], x_lo: Any
) -> list[dict[str, Any]]:
    """The run's own medians (F26 quadrants, F28 segments) and fitted trend (F27)."""
    rows: list[dict[str, Any]] = []
    source = extras.get("medians")
    if source is None and "median_cost_per_m" in df.columns:
        source = df
    med_x = _first(source, "median_cost_per_m")
    med_usage = _first(source, "median_usage_log")
    if spec.x == "cost_per_m" and med_x is not None:
        rows.append(
            {"__mark": "vline", "__kind": "run", "__label": f"median ${med_x:.3g} (this run)",
             "__statement": "the run's median effective cost per 1M tokens", "__x": med_x,
             "__color": _RUN_COLOR, "__align": "left"}
        )  # fmt: skip
    if med_usage is not None and spec.y in ("usage_log", "tokens"):
        y = med_usage if spec.y == "usage_log" else 10**med_usage * 1e6
        rows.append(
            {"__mark": "hline", "__kind": "run", "__label": "median usage (this run)",
             "__statement": "the run's median usage", "__y": y, "__ly": y, "__lx": x_lo,
             "__color": _RUN_COLOR, "__align": "left"}
        )  # fmt: skip
    fitted = f"fitted_{spec.y}"
    if fitted in df.columns and spec.x in df.columns:
        fit = df[[spec.x, fitted]].dropna().sort_values(spec.x)
        fit = fit[fit[spec.x] > 0] if spec.log_x else fit
        if len(fit) >= 2:
            lo, hi = fit.iloc[0], fit.iloc[-1]
            rows.append(
                {"__mark": "slope", "__kind": "run", "__label": "fitted trend (this run)",
                 "__statement": "least-squares line of log usage on log cost",
                 "__x": float(lo[spec.x]), "__x2": float(hi[spec.x]),
                 "__y": float(lo[fitted]), "__y2": float(hi[fitted]),
                 "__color": _RUN_COLOR, "__align": "left"}
            )  # fmt: skip
    return rows


# ----------------------------------------------------------------------------- layers
def _guide_layers(
    spec: ChartSpec,
    df: pd.DataFrame,
    guides: pd.DataFrame,
    legend_pred: dict[str, Any] | None,
    y_sort: list[str] | None,
) -> list[dict[str, Any]]:
    """One layer per kind of guide mark present (colours come from ``__color``, unscaled)."""
    if guides.empty:
        return []
    temporal = _kind(df, spec.x) == "T"
    xt = "T" if temporal else "Q"
    xscale = {"type": "utc"} if temporal else None
    tips = [_f("__label", "N", title="reference"), _f("__statement", "N", title="what")]
    stroke = {"field": "__color", "type": "nominal", "scale": None, "legend": None}
    fill = {"field": "__color", "type": "nominal", "scale": None, "legend": None}
    dash_by_kind = {
        "condition": {"test": "datum.__kind == 'paper'", "value": _DASH},
        "value": [2, 2],
    }
    layers: list[dict[str, Any]] = []

    def layer(expr: str, mark: dict[str, Any], encoding: dict[str, Any]) -> None:
        transform: list[dict[str, Any]] = [{"filter": f"isValid(datum.__mark) && ({expr})"}]
        if legend_pred is not None:
            transform.append({"filter": legend_pred})
        layers.append({"transform": transform, "mark": mark, "encoding": encoding})

    def text(expr: str, encoding: dict[str, Any], **mark: Any) -> None:
        # a white halo under the label keeps it readable over filled areas
        layer(
            expr,
            {"type": "text", "stroke": "white", "strokeWidth": 3, "strokeJoin": "round", **mark},
            encoding,
        )
        layer(expr, {"type": "text", **mark}, {**encoding, "fill": fill})

    marks = set(guides["__mark"])
    has_x = guides["__x"].notna()
    x = _f("__x", xt, scale=xscale)
    if "band" in marks:
        full = "datum.__mark == 'band'"
        layer(
            full,
            {"type": "rect", "opacity": 0.13},
            {"y": _f("__y", "Q"), "y2": {"field": "__y2"}, "fill": fill, "tooltip": tips},
        )
        for end in ("__y", "__y2"):
            layer(
                full,
                {"type": "rule", "strokeWidth": 1.2, "strokeDash": _DASH},
                {"y": _f(end, "Q"), "stroke": stroke, "tooltip": tips},
            )
    if "hline" in marks:
        hl = guides["__mark"] == "hline"
        if (~has_x[hl]).any():
            layer(
                "datum.__mark == 'hline' && !isValid(datum.__x)",
                {"type": "rule", "strokeWidth": 1.6},
                {
                    "y": _f("__y", "Q"),
                    "stroke": stroke,
                    "strokeDash": dash_by_kind,
                    "tooltip": tips,
                },
            )
        if has_x[hl].any():
            layer(
                "datum.__mark == 'hline' && isValid(datum.__x)",
                {"type": "rule", "strokeWidth": 2.4, "strokeDash": _DASH},
                {
                    "x": x,
                    "x2": {"field": "__x2"},
                    "y": _f("__y", "Q"),
                    "stroke": stroke,
                    "tooltip": tips,
                },
            )
    if "ratio" in marks:
        # a published ratio to another series: a band following that series week by week
        rt = "datum.__mark == 'ratio'"
        group = _f("__label", "N")
        layer(
            rt,
            {"type": "area", "opacity": 0.13},
            {"x": x, "y": _f("__y", "Q"), "y2": {"field": "__y2"}, "fill": fill,
             "detail": group, "tooltip": tips},
        )  # fmt: skip
        for end in ("__y", "__y2"):
            layer(
                rt,
                {"type": "line", "strokeWidth": 1.2, "strokeDash": _DASH},
                {"x": x, "y": _f(end, "Q"), "stroke": stroke, "detail": group, "tooltip": tips},
            )
    if "bar_level" in marks:
        # a series' published share on one stacked bar: a tick (a range: a short bar)
        # across that bar, in the series' colour, read against the axis once the series
        # is shown alone
        xb = _x(spec, df)
        for ranged, mark in (
            (False, {"type": "tick", "thickness": 3, "stroke": _REF_COLOR, "strokeWidth": 0.8}),
            (True, {"type": "bar", "width": {"band": 0.75}, "stroke": _REF_COLOR,
                    "strokeWidth": 0.8}),
        ):  # fmt: skip
            enc = {"x": xb, "y": _f("__y", "Q"), "fill": fill, "tooltip": tips}
            if ranged:
                enc["y2"] = {"field": "__y2"}
            layer(
                f"datum.__mark == 'bar_level' && {'' if ranged else '!'}isValid(datum.__y2)",
                mark,
                enc,
            )
    if "slope" in marks:
        layer(
            "datum.__mark == 'slope'",
            {"type": "rule", "strokeWidth": 1.6},
            {
                "x": x,
                "x2": {"field": "__x2"},
                "y": _f("__y", "Q"),
                "y2": {"field": "__y2"},
                "stroke": stroke,
                "strokeDash": {**dash_by_kind, "value": [1, 0]},
                "tooltip": tips,
            },
        )
    if "vline" in marks:
        layer(
            "datum.__mark == 'vline'",
            {"type": "rule", "strokeWidth": 1.6},
            {"x": x, "stroke": stroke, "strokeDash": dash_by_kind, "tooltip": tips},
        )
        text(
            "datum.__mark == 'vline'",
            {"x": x, "y": {"value": 0}, "text": {"field": "__label"}},
            align="left",
            dx=4,
            dy=10,
        )
    if "point" in marks:
        layer(
            "datum.__mark == 'point'",
            {
                "type": "point",
                "shape": "diamond",
                "filled": True,
                "size": 120,
                "stroke": "white",
                "strokeWidth": 1,
            },
            {"x": _f("__x", "Q"), "y": _f("__y", "Q"), "fill": fill, "tooltip": tips},
        )
    if "tick" in marks:
        ytick = _f(spec.y, "N", sort=y_sort)
        layer(
            "datum.__mark == 'tick'",
            {"type": "tick", "thickness": 2.5, "size": 16, "color": _REF_COLOR},
            {"x": _f("__x", "Q"), "y": ytick, "tooltip": tips},
        )
        text(
            "datum.__mark == 'tick'",
            {"x": _f("__x", "Q"), "y": ytick, "text": {"field": "__label"}},
            align="left",
            dx=5,
            baseline="middle",
        )
    if "release" in marks:
        rel = "datum.__mark == 'release'"
        layer(
            rel,
            {"type": "rule", "strokeDash": [4, 3], "color": "#555"},
            {
                "x": _f("__x", "T", scale={"type": "utc"}),
                "tooltip": [
                    _f("__label", "N", title="release"),
                    _f("__x", "T", title="date", format="%Y-%m-%d"),
                ],
            },
        )
        layer(
            rel,
            {
                "type": "text",
                "angle": 270,
                "align": "right",
                "baseline": "bottom",
                "dx": -4,
                "fontSize": 9,
                "color": "#333",
            },
            {
                "x": _f("__x", "T", scale={"type": "utc"}),
                "y": {"value": 4},
                "text": {"field": "__label"},
            },
        )
    labelled = (
        guides["__mark"].isin(["hline", "band", "point", "slope", "ratio"]) & guides["__lx"].notna()
    )
    below = guides["__below"].eq(True)
    for align in ("right", "left"):
        for under in (False, True):
            if not (labelled & (guides["__align"] == align) & (below == under)).any():
                continue
            text(
                "indexof(['hline','band','point','slope','ratio'], datum.__mark) >= 0 && "
                f"isValid(datum.__lx) && datum.__align == '{align}' && "
                f"{'' if under else '!'}datum.__below",
                {"x": _f("__lx", xt, scale=xscale), "y": _f("__ly", "Q"), "text": {"field": "__label"}},
                align=align, baseline="top" if under else "bottom", dx=-3 if align == "right" else 6,
                dy=4 if under else -3, fontWeight="bold",
            )  # fmt: skip
    return layers


# ------------------------------------------------------------------------------ chart
def vega_lite(
    spec: ChartSpec,
    df: pd.DataFrame,
    *,
    title: str = "",
    markers: pd.DataFrame | None = None,
    references: pd.DataFrame | None = None,
    extras: dict[str, pd.DataFrame] | None = None,
    palette: Palette | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    interactive: bool = True,
) -> dict[str, Any] | None:
    """A Vega-Lite spec (dict) for ``df`` drawn as ``spec``; None when there is nothing to draw.

    ``references`` are paper overlays (:func:`tokencensus.report.overlays.reference_frame`),
    ``markers`` release dates (F1), ``extras`` the artifact's companion tables (F26 medians).
    ``interactive=False`` leaves out hover, legend toggles and zoom (static figures).
    """
    if isinstance(spec, TableOnly) or df.empty:
        return None
    if spec.y not in df.columns or spec.x not in df.columns:
        return None
    valid = df[spec.y].notna() & df[spec.x].notna()
    if isinstance(spec, Scatter):
        for col, log in ((spec.x, spec.log_x), (spec.y, spec.log_y)):
            if log:
                valid &= pd.to_numeric(df[col], errors="coerce") > 0
    drawable = df[valid]
    if drawable.empty:
        return None
    pal = palette or Palette()
    facet = spec.facet if spec.facet and spec.facet in df.columns else None
    temporal = _kind(drawable, spec.x) == "T"
    color_field = spec.color if spec.color and spec.color in df.columns else None
    stacked = isinstance(spec, (StackedArea, StackedBar))

    guides = guide_frame(
        spec, df, references=references, markers=markers, extras=extras, palette=pal
    )
    if facet:
        guides = _spread_over_panels(guides, drawable[facet])
    data = _union(df, guides, spec, facet)

    main_filter = (
        f"!isValid(datum.__mark) && isValid({_datum(spec.y)}) && isValid({_datum(spec.x)})"
    )
    if isinstance(spec, Scatter):
        for col, log in ((spec.x, spec.log_x), (spec.y, spec.log_y)):
            if log:
                main_filter += f" && {_datum(col)} > 0"
    base: list[dict[str, Any]] = [{"filter": main_filter}]
    enc: dict[str, Any] = {"tooltip": _tooltip(spec, drawable)}
    params: list[dict[str, Any]] = []
    legend_pred: dict[str, Any] | None = None
    domain: list[str] = []
    y_sort: list[str] | None = None

    if color_field and not isinstance(spec, Bar):
        domain = _color_domain(spec, drawable)
        if interactive:
            params.append(
                {
                    "name": "legend",
                    # a click shows that series alone; more clicks add or remove series
                    "select": {"type": "point", "fields": [_esc(color_field)], "toggle": "true"},
                    "bind": "legend",
                }
            )
            legend_pred = {
                "or": [{"param": "legend"}, {"not": {"field": _esc(color_field), "valid": True}}]
            }
        ordinal = color_field in _TEMPORAL
        scale = (
            {"domain": domain, "scheme": "viridis"}
            if ordinal
            else {"domain": domain, "range": pal.colors(domain)}
        )
        legend: dict[str, Any] = {"title": color_field.replace("_", " "), "symbolLimit": 60}
        if facet:  # panels take the width: the legend goes underneath
            legend.update(orient="bottom", direction="horizontal", columns=4, labelLimit=160)
        elif len(domain) > 18:
            legend["columns"] = 2
        enc["color"] = _f(
            color_field, "O" if ordinal else "N", scale=scale, sort=domain, legend=legend
        )
        if stacked:
            # a clicked legend entry shows that series alone, stacked from zero
            if interactive:
                base.append({"filter": {"param": "legend"}})
            ranks = ", ".join(_js(d) for d in domain)
            base.append({"calculate": f"indexof([{ranks}], {_datum(color_field)})", "as": "__rank"})
            enc["order"] = {"field": "__rank", "type": "quantitative"}
        elif interactive:
            enc["opacity"] = {"condition": {"param": "legend", "value": 0.95}, "value": 0.1}

    extra_layers: list[dict[str, Any]] = []
    main: dict[str, Any]
    if isinstance(spec, StackedArea):
        mark: dict[str, Any] = {"type": "area", "interpolate": "monotone"}
        main = {"mark": mark, "encoding": {"x": _x(spec, drawable), "y": _y(spec), **enc}}
    elif isinstance(spec, StackedBar) and temporal:
        # weekly bars on a time axis (so it zooms): each bar spans its week, stacked by hand
        day = f"time(toDate({_datum(spec.x)}))"
        y_enc = _y(spec, "__y0")
        y_enc.pop("stack", None)
        y_enc["scale"] = {**y_enc.get("scale", {}), "zero": True}
        main = {
            "transform": [
                {"calculate": f"{day} + 0.6 * 864e5", "as": "__x0"},
                {"calculate": f"{day} + 6.4 * 864e5", "as": "__x1"},
                {
                    "stack": _esc(spec.y),
                    "groupby": [_esc(spec.x)],
                    "as": ["__y0", "__y1"],
                    "sort": [{"field": "__rank", "order": "ascending"}] if color_field else [],
                },
            ],
            "mark": {"type": "rect"},
            "encoding": {
                "x": _x(spec, drawable, "__x0"),
                "x2": {"field": "__x1"},
                "y": y_enc,
                "y2": {"field": "__y1"},
                **{k: v for k, v in enc.items() if k != "order"},
            },
        }
    elif isinstance(spec, StackedBar):
        main = {
            "mark": {"type": "bar"},
            "encoding": {"x": _x(spec, drawable), "y": _y(spec), **enc},
        }
        if "labelled" in df.columns and color_field:
            extra_layers += _segment_labels(spec, drawable, base, color_field, facet)
    elif isinstance(spec, Line):
        mark = {"type": "line", "strokeWidth": 1.8, "point": {"size": 16}}
        main = {"mark": mark, "encoding": {"x": _x(spec, drawable), "y": _y(spec), **enc}}
        if draws_intervals(spec, df):
            extra_layers.append(_interval_band(spec, drawable, base, enc, interactive))
    elif isinstance(spec, Bar):
        order = drawable.sort_values(spec.x, ascending=False, kind="stable")
        y_sort = [str(v) for v in order[spec.y]][:MAX_BARS]
        if len(order) > MAX_BARS:  # the largest bars; every row stays in the table
            kept = ", ".join(_js(v) for v in y_sort)
            base.append({"filter": f"indexof([{kept}], {_datum(spec.y)}) >= 0"})
        main = {
            "mark": {"type": "bar"},
            "encoding": {
                "x": _f(spec.x, "Q", title=spec.x_title or spec.x.replace("_", " "),
                        axis={"format": _AXIS_FORMATS.get(spec.y_format), "orient": "top"}),
                "y": _f(spec.y, "N", sort=y_sort, title=spec.y_title or spec.y),
                "color": _f(spec.y, "N", scale={"domain": y_sort, "range": pal.colors(y_sort)}, legend=None),
                "tooltip": enc["tooltip"],
            },
        }  # fmt: skip
        height = max(120, 17 * len(y_sort))
    elif isinstance(spec, Scatter):
        mark = {
            "type": "circle",
            "size": 70,
            "opacity": 0.85,
            "stroke": "white",
            "strokeWidth": 0.5,
        }
        main = {"mark": mark, "encoding": {"x": _x(spec, drawable), "y": _y(spec), **enc}}
        if spec.label and spec.label in df.columns:
            extra_layers.append(
                {
                    "transform": base,
                    "mark": {
                        "type": "text",
                        "align": "left",
                        "dx": 7,
                        "fontSize": 10,
                        "color": "#333",
                    },
                    "encoding": {
                        "x": _x(spec, drawable),
                        "y": _y(spec),
                        "text": _f(spec.label, "N"),
                    },
                }
            )
    else:  # pragma: no cover - every spec class is handled above
        raise TypeError(f"no renderer for {type(spec).__name__}")

    main["transform"] = base + main.get("transform", [])
    if temporal and interactive:
        params.append(
            {"name": "zoom", "select": {"type": "interval", "encodings": ["x"]}, "bind": "scales"}
        )
    if params:
        main["params"] = params
    layers = [main, *extra_layers]
    if temporal and color_field and interactive:
        layers.append(_hover_rule(spec, drawable, base, domain, color_field, facet))
    layers.extend(_guide_layers(spec, drawable, guides, legend_pred, y_sort))

    out: dict[str, Any] = {"$schema": SCHEMA, "data": {"name": "data"}}
    if title:
        out["title"] = title
    if facet:
        out["facet"] = _f(
            facet, "N", title=None, sort=list(dict.fromkeys(str(v) for v in drawable[facet]))
        )
        if pd.api.types.is_numeric_dtype(drawable[facet]):  # numbered panels: "panel 1"
            name = facet.replace("_", " ")
            out["transform"] = [
                {"calculate": f"{_js(name + ' ')} + {_datum(facet)}", "as": "__panel"}
            ]
            out["facet"] = _f(
                "__panel",
                "N",
                title=None,
                sort=[f"{name} {v}" for v in dict.fromkeys(drawable[facet].dropna())],
            )
        out["columns"] = 2
        out["spec"] = {"layer": layers, "width": _FACET_WIDTH, "height": _FACET_HEIGHT}
        out["resolve"] = {"scale": {"x": "shared" if temporal else "independent"}}
    else:
        out.update(layer=layers, width=width, height=height)
    out["config"] = CONFIG
    out["datasets"] = {"data": data}
    out["usermeta"] = {"tc": {"table_rows": len(df)}}
    return out


def draws_intervals(spec: ChartSpec, df: pd.DataFrame) -> bool:
    """Whether the chart draws the rows' 95% intervals (``share_low``-``share_high``) as
    bands: line charts of a share do, one band per series; stacked shares do not (a
    segment's interval is not a band on the stack), they keep them in the tooltip."""
    return (
        isinstance(spec, Line)
        and spec.y == "share"
        and {"share_low", "share_high"} <= set(df.columns)
    )


def _interval_band(
    spec: ChartSpec,
    df: pd.DataFrame,
    base: list[dict[str, Any]],
    enc: dict[str, Any],
    interactive: bool,
) -> dict[str, Any]:
    """The 95% interval of each line as a shaded band in the line's colour."""
    encoding: dict[str, Any] = {
        "x": _x(spec, df),
        "y": _f("share_low", "Q", title=spec.y_title or spec.y, stack=None),
        "y2": {"field": "share_high"},
        "tooltip": enc["tooltip"],
    }
    mark: dict[str, Any] = {"type": "area", "opacity": 0.18}
    if "color" in enc:
        encoding["color"] = {**enc["color"], "legend": None}
        if interactive:  # a band fades with its line when the legend picks other series
            encoding["opacity"] = {"condition": {"param": "legend", "value": 0.18}, "value": 0.03}
    else:
        mark["color"] = "#1f3b73"
    return {"transform": base, "mark": mark, "encoding": encoding}


def _segment_labels(
    spec: ChartSpec,
    df: pd.DataFrame,
    base: list[dict[str, Any]],
    color_field: str,
    facet: str | None,
) -> list[dict[str, Any]]:
    """Names inside the stacked segments the data marks ``labelled`` (F21: tags of 7% or more)."""
    per_panel = df.groupby(facet)[spec.x].nunique().max() if facet else df[spec.x].nunique()
    width = (_FACET_WIDTH if facet else WIDTH) / max(int(per_panel), 1)
    groupby = [_esc(spec.x)] + ([_esc(facet)] if facet else [])
    transform = [
        *base,
        {"stack": _esc(spec.y), "groupby": groupby, "as": ["__s0", "__s1"],
         "sort": [{"field": "__rank", "order": "ascending"}]},
        {"filter": "datum.labelled === true && datum.__s1 - datum.__s0 >= 0.045"},
        {"calculate": "(datum.__s0 + datum.__s1) / 2", "as": "__mid"},
    ]  # fmt: skip
    enc = {
        "x": _x(spec, df),
        "y": _f("__mid", "Q"),
        "text": _f(color_field, "N"),
    }
    mark = {"type": "text", "fontSize": 8.5, "limit": max(int(width) - 6, 20), "baseline": "middle"}
    return [
        {"transform": transform, "mark": {**mark, "stroke": "white", "strokeWidth": 2.5,
                                           "strokeJoin": "round"}, "encoding": enc},
        {"transform": transform, "mark": {**mark, "color": "#1d2433"}, "encoding": enc},
    ]  # fmt: skip


def _spread_over_panels(guides: pd.DataFrame, panels: pd.Series) -> pd.DataFrame:
    """Guides without a panel are drawn in every panel."""
    if guides.empty:
        return guides
    names = list(dict.fromkeys(str(v) for v in panels.dropna()))
    parts = [guides[guides["__facet"].notna()]]
    loose = guides[guides["__facet"].isna()]
    parts += [loose.assign(__facet=name) for name in names if len(loose)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else guides.iloc[0:0]


def _union(
    df: pd.DataFrame, guides: pd.DataFrame, spec: ChartSpec, facet: str | None
) -> list[dict[str, Any]]:
    """Table rows first (exactly ``len(df)``), then guide rows keyed by series and panel."""
    records = _records(prepare(df))
    if guides.empty:
        return records
    g = guides.copy()
    if spec.color and spec.color in df.columns:
        g[spec.color] = g["__series"]
    if facet:
        g[facet] = g["__facet"]
    if isinstance(spec, Bar):
        ticks = g["__mark"] == "tick"
        g[spec.y] = g[spec.y] if spec.y in g.columns else None
        g.loc[ticks, spec.y] = g.loc[ticks, "__y"]
        g.loc[ticks, ["__y", "__ly"]] = None
    if isinstance(spec, StackedBar):  # a bar's level sits on the bar's own x
        levels = g["__mark"] == "bar_level"
        g[spec.x] = g[spec.x] if spec.x in g.columns else None
        g.loc[levels, spec.x] = g.loc[levels, "__x"]
        g.loc[levels, "__x"] = None
    g = g.drop(columns=["__series", "__facet"])
    keep = [c for c in g.columns if g[c].notna().any()]
    return records + [
        {k: v for k, v in rec.items() if v is not None} for rec in _records(prepare(g[keep]))
    ]


def _hover_rule(
    spec: ChartSpec,
    df: pd.DataFrame,
    base: list[dict[str, Any]],
    domain: list[str],
    color_field: str,
    facet: str | None,
) -> dict[str, Any]:
    """An invisible rule per week that shows every series' value at the pointer."""
    groupby = [_esc(spec.x)] + ([_esc(facet)] if facet else [])
    fmt = _FORMATS.get(spec.y_format)
    tips = [_f(spec.x, "T", format="%Y-%m-%d", title=spec.x)]
    if facet:
        tips.insert(0, _f(facet, "N", title=facet))
    present = {str(v) for v in df[color_field].dropna()}
    tips += [_f(d, "Q", format=fmt, title=d) for d in domain if d in present][:30]
    return {
        "transform": [
            *base,
            {"pivot": _esc(color_field), "value": _esc(spec.y), "groupby": groupby},
        ],
        "params": [
            {
                "name": "hover",
                "select": {
                    "type": "point",
                    "fields": [_esc(spec.x)],
                    "nearest": True,
                    "on": "pointerover",
                    "clear": "pointerout",
                },
            }
        ],
        "mark": {"type": "rule", "color": "#444", "strokeWidth": 1},
        "encoding": {
            "x": _x(spec, df),
            "opacity": {"condition": {"param": "hover", "empty": False, "value": 0.45}, "value": 0},
            "tooltip": tips,
        },
    }
