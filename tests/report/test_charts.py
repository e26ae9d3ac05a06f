"""Chart specs: what each chart type draws, its interactions, guides and the page's data split."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import vl_convert

from tests.report.tiny import f1_data, tiny_result
from tokencensus.analyses import ARTIFACTS
from tokencensus.chartspec import Bar, Line, Scatter, StackedArea, StackedBar, TableOnly
from tokencensus.report.charts import split_table, table_json, vega_lite
from tokencensus.report.overlays import reference_frame
from tokencensus.report.palette import FIXED, Palette
from tokencensus.report.specs import artifact_chart, run_palette


def _layers(spec: dict) -> list[dict]:
    return spec["spec"]["layer"] if "spec" in spec else spec["layer"]


def _params(spec: dict) -> set[str]:
    return {p["name"] for layer in _layers(spec) for p in layer.get("params", [])}


def _guides(spec: dict) -> list[dict]:
    return spec["datasets"]["data"][spec["usermeta"]["tc"]["table_rows"] :]


def test_weekly_stacked_share_has_hover_legend_toggle_and_zoom():
    spec = vega_lite(ARTIFACTS["F1"].chart, f1_data())
    assert _params(spec) == {"legend", "zoom", "hover"}
    main = _layers(spec)[0]
    assert main["mark"]["type"] == "area"
    assert main["encoding"]["x"]["type"] == "temporal"
    assert main["encoding"]["y"]["scale"] == {"domain": [0, 1]}
    # the legend click filters the stack (a lone series restacks from zero)
    assert {"filter": {"param": "legend"}} in main["transform"]
    assert main["encoding"]["color"]["scale"]["domain"] == ["Closed", "Chinese OSS", "RoW OSS"]
    assert main["encoding"]["color"]["scale"]["range"] == [
        FIXED[s] for s in ("Closed", "Chinese OSS", "RoW OSS")
    ]
    hover = next(
        layer
        for layer in _layers(spec)
        if any(p["name"] == "hover" for p in layer.get("params", []))
    )
    assert hover["transform"][-1]["pivot"] == "source_type"
    assert [t["title"] for t in hover["encoding"]["tooltip"]] == [
        "week",
        "Closed",
        "Chinese OSS",
        "RoW OSS",
    ]


def test_table_rows_come_first_and_split_leaves_only_guides():
    df = f1_data()
    refs = reference_frame("F1", df, color="source_type", x="week", y="share")
    spec = vega_lite(ARTIFACTS["F1"].chart, df, references=refs)
    data = spec["datasets"]["data"]
    assert spec["usermeta"]["tc"]["table_rows"] == len(df) == 10
    assert data[0] == {
        "week": "2025-05-05",
        "source_type": "Closed",
        "tokens": 700.0,
        "share": 0.7,
        "users": 20,
        "suppressed": False,
    }
    assert all(k.startswith("__") or k == "source_type" for row in _guides(spec) for k in row)
    page = split_table(spec)
    assert page["datasets"]["data"] == []
    assert page["usermeta"]["tc"]["guides"] == _guides(spec)
    table = table_json(df)
    assert table["columns"] == list(df.columns)
    assert table["rows"][-1] == ["2025-05-19", "Unknown", None, None, None, True]
    json.dumps(page, allow_nan=False)  # strict JSON: no NaN reaches the page


def test_static_spec_has_no_interaction():
    spec = vega_lite(ARTIFACTS["F1"].chart, f1_data(), interactive=False)
    assert _params(spec) == set()
    assert "legend" not in json.dumps(_layers(spec)[0].get("transform", []))


def test_non_time_x_has_no_zoom_and_lines_fade_instead_of_restacking():
    df = pd.DataFrame(
        {
            "month_offset": [0, 1, 2, 0, 1],
            "retention": [1, 0.5, 0.4, 1, 0.3],
            "cohort_month": ["2025-01-01"] * 3 + ["2025-02-01"] * 2,
        }
    )
    spec = vega_lite(
        Line(x="month_offset", y="retention", color="cohort_month", y_format="percent"), df
    )
    assert _params(spec) == {"legend"}
    main = _layers(spec)[0]
    assert main["encoding"]["opacity"]["condition"]["param"] == "legend"
    assert main["encoding"]["color"]["type"] == "ordinal"  # cohorts are ordered


def test_field_names_with_dots_are_escaped():
    df = pd.DataFrame(
        {
            "week": ["2025-01-06"] * 2,
            "name": ["Gemini 2.5 Pro", "GLM 4.5: Air [beta]"],
            "share": [0.4, 0.6],
        }
    )
    spec = vega_lite(StackedArea(x="week", y="share", color="name", y_format="percent"), df)
    tips = [
        t["field"]
        for layer in _layers(spec)
        for t in layer["encoding"].get("tooltip", [])
        if isinstance(t, dict)
    ]
    assert "Gemini 2\\.5 Pro" in tips and "GLM 4\\.5: Air \\[beta\\]" in tips
    vl_convert.vegalite_to_vega(spec)  # compiles


@pytest.mark.parametrize(
    ("chart", "df"),
    [
        (TableOnly(), pd.DataFrame({"a": [1]})),
        (Line(x="week", y="share"), pd.DataFrame({"week": ["2025-01-06"], "share": [None]})),
        (Line(x="week", y="share"), pd.DataFrame(columns=["week", "share"])),
        (
            Scatter(x="cost", y="tokens", log_x=True),
            pd.DataFrame({"cost": [0.0, -1.0], "tokens": [5, 6]}),
        ),
    ],
    ids=["table-only", "all-suppressed", "no-rows", "nothing-on-a-log-axis"],
)
def test_nothing_to_draw_gives_no_chart(chart, df):
    assert vega_lite(chart, df) is None


def test_weekly_bars_span_their_week_and_stack_by_hand():
    df = pd.DataFrame(
        {
            "week": ["2025-01-06", "2025-01-06"],
            "source_type": ["Closed", "RoW OSS"],
            "tokens": [3, 1],
        }
    )
    spec = vega_lite(StackedBar(x="week", y="tokens", color="source_type", y_format="si"), df)
    main = _layers(spec)[0]
    assert main["mark"]["type"] == "rect"
    stack = next(t for t in main["transform"] if "stack" in t)
    assert stack["groupby"] == ["week"] and stack["as"] == ["__y0", "__y1"]
    assert "zoom" in _params(spec)


def test_bar_ticks_for_paper_values_share_the_bar_order():
    res = tiny_result().results["T1"]
    spec = vega_lite(
        Bar(x="share", y="language", y_format="percent"),
        pd.DataFrame({"language": ["en", "th"], "share": [0.9, 0.1]}),
        references=reference_frame(
            "T2", pd.DataFrame({"language": ["en", "th"], "share": [0.9, 0.1]}), y="language"
        ),
    )
    ticks = [g for g in _guides(spec) if g["__mark"] == "tick"]
    assert {t["language"] for t in ticks} == {"en", "th"}
    tick_layer = next(layer for layer in _layers(spec) if layer["mark"].get("type") == "tick")
    assert tick_layer["encoding"]["y"]["sort"] == ["en", "th"]
    assert artifact_chart(res) is not None


def test_one_colour_per_label_across_charts():
    result = tiny_result()
    palette = run_palette(result.results)
    assert palette["Closed"] == FIXED["Closed"]
    colors = palette.colors(["通义千问 Lab", "Zeta Unknown Lab"])
    assert colors[0] == palette["通义千问 Lab"]  # the run's assignment, whatever chart asks
    assert (
        len(
            set(
                Palette.assign([f"lab {i}" for i in range(10)]).colors(
                    [f"lab {i}" for i in range(10)]
                )
            )
        )
        == 10
    )


def test_scatter_draws_the_runs_medians_and_fit():
    df = pd.DataFrame({"cost_per_m": [0.1, 1.0, 10.0], "usage_log": [3.0, 2.0, 1.0], "fitted_usage_log": [2.9, 2.0, 1.1],
                       "median_cost_per_m": [1.0] * 3, "median_usage_log": [2.0] * 3, "source_type": ["Closed", "RoW OSS", "Closed"]})  # fmt: skip
    spec = vega_lite(Scatter(x="cost_per_m", y="usage_log", color="source_type", log_x=True), df)
    marks = sorted((g["__mark"], g["__kind"]) for g in _guides(spec))
    assert marks == [("hline", "run"), ("slope", "run"), ("vline", "run")]


def test_f21_paper_levels_are_ticks_on_their_bars(fixture_run):
    res = fixture_run.results["F21"]
    spec = artifact_chart(res, palette=run_palette(fixture_run.results))
    levels = [g for g in _guides(spec) if g["__mark"] == "bar_level"]
    games = next(g for g in levels if g["tag"] == "Games/Roleplaying Games")
    # on the Roleplay bar (its x), in the Roleplay panel, a range drawn as a short bar
    assert (games["category"], games["panel"], games["__y"], games["__y2"]) == (
        "Roleplay", "1", 0.58, 0.6,
    )  # fmt: skip
    assert "__x" not in games
    main = _layers(spec)[0]
    drawn = {
        layer["mark"]["type"]: layer
        for layer in _layers(spec)
        if "bar_level" in json.dumps(layer.get("transform", []))
    }
    assert set(drawn) == {"tick", "bar"}  # single values and ranges
    for layer in drawn.values():
        assert layer["encoding"]["x"]["field"] == "category"
        assert layer["encoding"]["x"]["sort"] == main["encoding"]["x"]["sort"]
        shown = {"or": [{"param": "legend"}, {"not": {"field": "tag", "valid": True}}]}
        assert {"filter": shown} in layer["transform"]  # a level shows with its tag
    assert "y2" in drawn["bar"]["encoding"] and "y2" not in drawn["tick"]["encoding"]
    vl_convert.vegalite_to_svg(spec)  # draws


def test_f18_paper_ratio_is_a_band_over_the_overall_series(fixture_run):
    res = fixture_run.results["F18"]
    spec = artifact_chart(res)
    ratio = [g for g in _guides(spec) if g["__mark"] == "ratio"]
    prog = res.data[res.data["population"] == "Programming"].dropna(subset=["mean_sequence_tokens"])
    assert len(ratio) == prog["week"].nunique() > 5
    assert all(g["__y2"] == pytest.approx(4 / 3 * g["__y"]) for g in ratio)
    assert [g["__lx"] for g in ratio if "__lx" in g] == [max(g["__x"] for g in ratio)]  # one label
    kinds = [
        layer["mark"]["type"]
        for layer in _layers(spec)
        if "'ratio'" in json.dumps(layer.get("transform", []))
    ]
    assert kinds.count("area") == 1 and kinds.count("line") == 2
    vl_convert.vegalite_to_svg(spec)


def _banded(df: pd.DataFrame, spec) -> list[dict]:
    return [
        layer
        for layer in _layers(vega_lite(spec, df))
        if layer.get("mark", {}).get("type") == "area"
        and layer.get("encoding", {}).get("y2") == {"field": "share_high"}
    ]


def test_share_lines_draw_each_series_interval_as_a_band_in_its_colour():
    weeks = ["2025-01-06", "2025-01-13"] * 2
    df = pd.DataFrame(
        {
            "week": pd.to_datetime(weeks),
            "category": ["Programming"] * 2 + ["Roleplay"] * 2,
            "share": [0.4, 0.5, 0.2, 0.1],
            "share_low": [0.35, 0.45, 0.15, 0.07],
            "share_high": [0.45, 0.55, 0.25, 0.13],
        }
    )
    lines = Line(x="week", y="share", color="category", y_format="percent")
    (band,) = _banded(df, lines)
    assert band["encoding"]["y"]["field"] == "share_low"
    assert band["encoding"]["color"]["field"] == "category"
    assert band["encoding"]["color"]["legend"] is None
    assert band["encoding"]["opacity"]["condition"]["param"] == "legend"
    # one series: the band has the line's fixed colour
    (single,) = _banded(
        df[df.category == "Programming"].drop(columns="category"),
        Line(x="week", y="share", y_format="percent"),
    )
    assert single["mark"]["color"] == "#1f3b73"
    # stacked shares keep intervals in the tooltip only; other y fields draw no band
    assert _banded(df, StackedArea(x="week", y="share", color="category")) == []
    assert (
        _banded(
            df.rename(columns={"share": "tokens"}), Line(x="week", y="tokens", color="category")
        )
        == []
    )
