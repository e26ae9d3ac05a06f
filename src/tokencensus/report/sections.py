"""The report's body: sections 3-8 in the paper's order, one block per artifact.

A block holds the chart, the caption (what is shown), a *method* line computed from the
run (period, population, sample size and interval width, suppressed cells, paper
references), the artifact's own findings (F25's detected cohorts, F27's fit:
``findings.py``), the paper-vs-run statements when the run was scored, the data table
with a CSV download, and the SQL the engine ran.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from tokencensus.analyses import SECTIONS
from tokencensus.chartspec import Bar, StackedArea, StackedBar
from tokencensus.engine import display_name
from tokencensus.report.charts import MAX_BARS, draws_intervals
from tokencensus.report.findings import findings
from tokencensus.report.fmt import fmt_cell
from tokencensus.report.scorecard_section import artifact_statements
from tokencensus.report.tags import el

if TYPE_CHECKING:
    from tokencensus.study import ArtifactResult, StudyResult

__all__ = ["MAX_TABLE_ROWS", "artifact_block", "method_facts", "sections", "toc"]

MAX_TABLE_ROWS = 40


def _inline(text: str) -> list[object]:
    """**bold** and *italic* in section intros (module docstrings) -> elements."""
    out: list[object] = []
    for i, part in enumerate(re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text.replace("\n", " "))):
        if i % 2 == 0:
            out.append(part)
        elif part.startswith("**"):
            out.append(el("strong", None, part[2:-2]))
        else:
            out.append(el("em", None, part[1:-1]))
    return out


def _day(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _sample_size(df: pd.DataFrame, res: ArtifactResult) -> int | None:
    """Sampled events behind the artifact: each group's count once (groups = keys but the
    colour dimension, whose levels share their group's sample)."""
    if "sample_events" not in df.columns:
        return None
    dim = res.artifact.chart.color
    groups = [k for k in res.artifact.keys if k in df.columns and k != dim]
    counts = pd.to_numeric(df["sample_events"], errors="coerce")
    if not groups:
        return int(counts.max()) if counts.notna().any() else None
    per = df.assign(_n=counts).groupby(groups, dropna=False)["_n"].max()
    return int(per.sum()) if per.notna().any() else None


def _where_intervals(res: ArtifactResult) -> str:
    chart = res.artifact.chart
    if draws_intervals(chart, res.data):
        return "drawn as shaded bands around the lines, and in the tooltips and the table"
    if isinstance(chart, (StackedArea, StackedBar)):
        return "in the tooltips and the data table (not drawn on the stacked shares)"
    return "in the tooltips and the table"


def method_facts(
    res: ArtifactResult,
    manifest: dict[str, Any],
    references: pd.DataFrame | None = None,
) -> list[str]:
    """Plain sentences on how the artifact was computed, from the run itself."""
    df = res.data
    facts: list[str] = []
    if "week" in df.columns and df["week"].notna().any():
        weeks = pd.to_datetime(df["week"].dropna()).drop_duplicates()
        facts.append(
            f"Weekly: {len(weeks)} ISO weeks (Monday to Sunday, UTC), "
            f"{_day(weeks.min())} to {_day(weeks.max())}."
        )
    elif "cohort_month" in df.columns and df["cohort_month"].notna().any():
        months = pd.to_datetime(df["cohort_month"].dropna())
        facts.append(
            f"Monthly cohorts (UTC calendar months) {months.min():%Y-%m} to {months.max():%Y-%m}; "
            "users are followed over all months of the input."
        )
    else:
        w = manifest.get("window") or {}
        if w.get("first_week"):
            facts.append(f"Totals over the window, weeks {w['first_week']} to {w['last_week']}.")
    if res.artifact.sampled:
        n = _sample_size(df, res)
        sample = f"{n:,} classified events" if n else "the classified events"
        line = f"From the prompt sample: {sample}, token-weighted"
        if {"share_low", "share_high"} <= set(df.columns):
            half = (
                pd.to_numeric(df["share_high"], errors="coerce")
                - pd.to_numeric(df["share_low"], errors="coerce")
            ) / 2
            if half.notna().any():
                line += (
                    f"; 95% intervals (delta method) {_where_intervals(res)}, "
                    f"median half-width ±{100 * float(half.median()):.1f} pp"
                )
        facts.append(line + ".")
    else:
        events = (manifest.get("rows") or {}).get("events")
        if events:
            facts.append(f"From all {events:,} events of the window (no sampling).")
    chart = res.artifact.chart
    if isinstance(chart, Bar) and chart.y in df.columns and df[chart.y].nunique() > MAX_BARS:
        facts.append(
            f"The chart draws the {MAX_BARS} largest of {df[chart.y].nunique():,} "
            f"{chart.y.replace('_', ' ')}s; the table and the CSV have them all."
        )
    if res.suppressed:
        min_users = (manifest.get("privacy") or {}).get("min_users", "the minimum")
        facts.append(
            f"{res.suppressed:,} row(s) describe fewer than {min_users} distinct users and are "
            "suppressed: blank in the table, left out of the chart."
        )
    if references is not None and len(references):
        # one entry per reference (a weekly ratio band has a row per week)
        labels = "; ".join(
            dict.fromkeys(str(x).removeprefix("paper: ") for x in references["label"])
        )
        facts.append(
            f"Dashed references: the paper's published values ({labels}). "
            "Hide them with --no-reference."
        )
    return facts


def _data_table(df: pd.DataFrame) -> object:
    head = df.head(MAX_TABLE_ROWS)
    cols = [str(c) for c in head.columns]
    rows = [
        el("tr", None, [el("td", None, fmt_cell(v, c)) for c, v in zip(cols, r, strict=True)])
        for r in head.itertuples(index=False)
    ]
    return [
        el(
            "div",
            {"class": "table-wrap"},
            el("table", {"class": "data"}, el("tr", None, [el("th", None, c) for c in cols]), rows),
        ),
        el(
            "p",
            {"class": "caption"},
            f"First {MAX_TABLE_ROWS} of {len(df):,} rows; all in the CSV.",
        )
        if len(df) > MAX_TABLE_ROWS
        else None,
    ]


def _reserved_height(spec: dict[str, Any]) -> int:
    """About the drawn chart's height, kept free so the page does not jump as charts draw."""
    layers = spec["spec"]["layer"] if "facet" in spec else spec.get("layer", [])
    color = layers[0].get("encoding", {}).get("color", {}) if layers else {}
    legend = color.get("legend") or {}
    entries = (
        len((color.get("scale") or {}).get("domain") or [])
        if color.get("legend") is not None
        else 0
    )
    if "facet" in spec:
        panels = len(spec["facet"].get("sort") or []) or 2
        rows = -(-panels // int(spec.get("columns", 2)))
        below = -(-entries // int(legend.get("columns", 4))) * 13 + 20 if entries else 0
        return rows * (int(spec["spec"].get("height", 190)) + 55) + 90 + below
    side = -(-entries // int(legend.get("columns", 1))) * 16 + 30 if entries else 0
    return max(int(spec.get("height", 320)) + 70, side)


def artifact_block(
    res: ArtifactResult,
    result: StudyResult,
    spec: dict[str, Any] | None,
    references: pd.DataFrame | None,
) -> object:
    a = res.artifact
    m = result.manifest
    if spec is not None:
        chart: object = el(
            "div",
            {"class": "chart", "id": f"chart-{a.id}", "data-artifact": a.id, "role": "img",
             "aria-label": f"{a.id}: {a.title}", "style": f"min-height: {_reserved_height(spec)}px"},
        )  # fmt: skip
    elif a.is_table:
        chart = None
    else:
        chart = el(
            "p",
            {"class": "note empty", "data-artifact": a.id},
            "No chart: this input has no rows for this artifact"
            + (" (every row was suppressed by the privacy rule)." if res.suppressed else "."),
        )
    engine = display_name(str(m["engine"])) if m.get("engine") else "SQL"
    return el(
        "section",
        {"class": "artifact", "id": a.id, "data-kind": a.kind},
        el("h3", None, el("a", {"href": f"#{a.id}", "class": "id"}, a.id), " ", a.title),
        chart,
        el("p", {"class": "caption"}, res.caption),
        el(
            "ul", {"class": "method"}, [el("li", None, f) for f in method_facts(res, m, references)]
        ),
        findings(res),
        artifact_statements(result, a.id),
        el(
            "details",
            {"class": "data", "open": a.is_table or None},
            el("summary", None, f"Data: {len(res.data):,} rows × {len(res.data.columns)} columns"),
            el(
                "p",
                {"class": "downloads"},
                el("button", {"type": "button", "class": "csv", "data-csv": a.id}, "Download CSV"),
                " (7 significant digits) or, at full precision, next to this page: ",
                el("a", {"href": f"data/{a.id}.csv"}, f"data/{a.id}.csv"),
                [
                    [" · ", el("a", {"href": f"data/{a.id}_{name}.csv"}, f"data/{a.id}_{name}.csv")]
                    for name in res.extras
                ],
            ),
            _data_table(res.data),
        ),
        el(
            "details",
            {"class": "query"},
            el("summary", None, f"Query: the {engine} SQL Ibis compiled for this artifact"),
            el("pre", None, el("code", None, res.sql or "(not recorded)")),
        ),
    )


def sections(
    result: StudyResult,
    specs: dict[str, dict[str, Any] | None],
    references: dict[str, pd.DataFrame | None],
) -> list[object]:
    """Sections in the paper's order; each with its intro and its artifacts' blocks."""
    by_section: dict[str, list[ArtifactResult]] = {}
    for res in result.results.values():
        by_section.setdefault(res.artifact.section, []).append(res)
    out: list[object] = []
    for key, sec in SECTIONS.items():
        if key not in by_section:
            continue
        out.append(
            el(
                "section",
                {"id": f"section-{key}", "class": "paper-section"},
                el("h2", None, f"{sec.number} {sec.title}"),
                [el("p", {"class": "intro"}, *_inline(p)) for p in sec.intro.split("\n\n")],
                [
                    artifact_block(
                        r, result, specs.get(r.artifact.id), references.get(r.artifact.id)
                    )
                    for r in by_section[key]
                ],
            )
        )
    return out


def toc(result: StudyResult) -> object:
    """Links to every section and artifact."""
    by_section: dict[str, list[str]] = {}
    for res in result.results.values():
        by_section.setdefault(res.artifact.section, []).append(res.artifact.id)
    items = []
    for key, sec in SECTIONS.items():
        if key in by_section:
            items.append(
                el(
                    "li",
                    None,
                    el("a", {"href": f"#section-{key}"}, f"{sec.number} {sec.title}"),
                    " ",
                    [
                        [el("a", {"href": f"#{aid}", "class": "chip"}, aid), " "]
                        for aid in by_section[key]
                    ],
                )
            )
    if result.manifest.get("scorecard"):
        items.append(
            el("li", None, el("a", {"href": "#section-scorecard"}, "Reproduction scorecard"))
        )
    return el("nav", {"class": "toc", "id": "toc"}, el("ol", None, items))
