"""``tokencensus compare RUN_A RUN_B --out DIR``: two runs on shared axes, artifact by artifact.

Each artifact both runs computed is drawn once with the two runs side by side (one panel
per run, or per run and panel for faceted charts) on shared scales.  Above the charts,
the differences that matter come first: every series of every artifact is summarized
the same way in both runs and the gaps are ranked.

How a gap is measured (one number per artifact x series):

* shares (weekly shares, category or language mixes): the mean share over each run's
  weeks, or the share of the total for rankings; the gap is in percentage points and
  10 pp count as 1 on the ranking scale;
* quantities (tokens per request, model counts, costs): the mean of the last 8 weeks (or
  the median across items); the gap is a ratio and a factor of 2 counts as 1;
* retention (F25): the mean month-3 retention of each model's cohorts, in pp.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tokencensus.chartspec import Bar, ChartSpec, Scatter, TableOnly
from tokencensus.report.bundle import vega_bundle
from tokencensus.report.charts import split_table, table_json, vega_lite
from tokencensus.report.fmt import fmt_count, fmt_pct, fmt_usd
from tokencensus.report.front import HEADLINE_CARDS
from tokencensus.report.html import CSS, SCRIPT, _json_script
from tokencensus.report.palette import Palette
from tokencensus.report.runs import load_run
from tokencensus.report.tags import Raw, el, render

if TYPE_CHECKING:
    from tokencensus.study import ArtifactResult, StudyResult

__all__ = ["compare_html", "compare_runs", "differences", "fmt_gap", "run_label"]

RUN = "run"
_PANEL = "compare_panel"
_LATE_WEEKS = 8
_COLUMNS = ("artifact", "title", "series", "measure", "a", "b", "gap", "unit", "magnitude")


# ------------------------------------------------------------------------ differences
def _series_field(spec: ChartSpec) -> str | None:
    if isinstance(spec, Bar):
        return spec.y
    return spec.color


def _summaries(res: ArtifactResult) -> dict[str, tuple[str, float, str]]:
    """series -> (measure, value, unit) for one run's artifact; unit 'share' or 'ratio'."""
    spec = res.artifact.chart
    df = res.data
    if isinstance(spec, TableOnly) or df.empty or spec.y not in df.columns:
        return {}
    out: dict[str, tuple[str, float, str]] = {}
    field = _series_field(spec)
    if res.artifact.id == "F25" and "retention" in df.columns:
        m3 = df[df["month_offset"] == 3]
        for name, part in m3.groupby("name"):
            val = pd.to_numeric(part["retention"], errors="coerce").mean()
            if pd.notna(val):
                out[str(name)] = ("mean month-3 retention", float(val), "share")
        return out
    if isinstance(spec, Bar):
        values = pd.to_numeric(df[spec.x], errors="coerce")
        total = values.sum()
        is_share = spec.x == "share" or spec.y_format == "percent"
        for label, v in zip(df[spec.y].astype(str), values, strict=True):
            if pd.notna(v) and total:
                out[label] = ("share of the total", float(v if is_share else v / total), "share")
        return out
    if isinstance(spec, Scatter):
        key = spec.label or ("name" if "name" in df.columns else field)
        x = pd.to_numeric(df[spec.x], errors="coerce")
        if key and key in df.columns:
            for label, v in zip(df[key].astype(str), x, strict=True):
                if pd.notna(v) and v > 0:
                    out[label] = (spec.x.replace("_", " "), float(v), "ratio")
        med = x[x > 0].median()
        if pd.notna(med):
            out["(median)"] = ("median " + spec.x.replace("_", " "), float(med), "ratio")
        return out
    y = pd.to_numeric(df[spec.y], errors="coerce")
    share = spec.y == "share" or spec.y_format == "percent"
    frame = df.assign(_y=y)
    if "week" in frame.columns and not share:
        weeks = sorted(pd.to_datetime(frame["week"]).dropna().unique())
        late = set(weeks[-_LATE_WEEKS:])
        frame = frame[pd.to_datetime(frame["week"]).isin(late)]
    groups = (
        frame.groupby(frame[field].astype(str))
        if field and field in frame.columns
        else [("all", frame)]
    )
    for label, part in groups:
        val = part["_y"].mean()
        if pd.notna(val):
            if share:
                out[str(label)] = (
                    "mean weekly share" if "week" in df.columns else "share",
                    float(val),
                    "share",
                )
            else:
                measure = f"mean {spec.y.replace('_', ' ')}, last {_LATE_WEEKS} weeks"
                out[str(label)] = (measure, float(val), "ratio")
    return out


def differences(a: StudyResult, b: StudyResult) -> pd.DataFrame:
    """Every artifact x series both runs have, with the gap, largest first."""
    rows: list[dict[str, Any]] = []
    for aid, ra in a.results.items():
        rb = b.results.get(aid)
        if rb is None:
            continue
        sa, sb = _summaries(ra), _summaries(rb)
        for series in [s for s in sa if s in sb]:
            measure, va, unit = sa[series]
            _, vb, _ = sb[series]
            if unit == "share":
                gap = vb - va
                magnitude = abs(gap) / 0.10
            else:
                if va <= 0 or vb <= 0:
                    continue
                gap = vb / va
                magnitude = abs(math.log2(gap))
            rows.append(
                {"artifact": aid, "title": ra.artifact.title, "series": series, "measure": measure,
                 "a": va, "b": vb, "gap": gap, "unit": unit, "magnitude": magnitude}
            )  # fmt: skip
    df = pd.DataFrame(rows, columns=list(_COLUMNS))
    return df.sort_values(
        ["magnitude", "artifact"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def _fmt_value(v: float, unit: str, measure: str) -> str:
    if unit == "share":
        return fmt_pct(v)
    if "cost" in measure:
        return fmt_usd(v)
    return f"{v:,.4g}"


def fmt_gap(row: pd.Series) -> str:
    if row["unit"] == "share":
        return f"{100 * row['gap']:+.1f} pp"
    return f"×{row['gap']:.2f}"


# ------------------------------------------------------------------------------ charts
def _combined(
    ra: ArtifactResult, rb: ArtifactResult, la: str, lb: str
) -> tuple[ChartSpec, pd.DataFrame]:
    spec = ra.artifact.chart
    a = ra.data.assign(**{RUN: la})
    b = rb.data.assign(**{RUN: lb})
    both = pd.concat([a, b], ignore_index=True)
    if spec.facet and spec.facet in both.columns:
        panels = list(dict.fromkeys(str(v) for v in both[spec.facet].dropna()))
        both[_PANEL] = both[spec.facet].astype(str) + " · " + both[RUN]
        order = [f"{p} · {r}" for p in panels for r in (la, lb)]
        both[_PANEL] = pd.Categorical(both[_PANEL], categories=order, ordered=True)
        both = both.sort_values(_PANEL, kind="stable").reset_index(drop=True)
        both[_PANEL] = both[_PANEL].astype(str)
        return dataclasses.replace(spec, facet=_PANEL), both
    return dataclasses.replace(spec, facet=RUN), both


def _compare_chart(
    ra: ArtifactResult, rb: ArtifactResult, la: str, lb: str, palette: Palette
) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    spec, both = _combined(ra, rb, la, lb)
    return vega_lite(spec, both, markers=ra.markers, palette=palette), both


# -------------------------------------------------------------------------------- page
def _headline_table(a: StudyResult, b: StudyResult, la: str, lb: str) -> object:
    ha, hb = a.manifest.get("headline") or {}, b.manifest.get("headline") or {}
    rows = []
    for key, label, kind, _note in HEADLINE_CARDS:
        va, vb = ha.get(key), hb.get(key)
        fmt = {"count": fmt_count, "int": lambda v: f"{int(v):,}", "pct": fmt_pct, "usd": fmt_usd}[
            kind
        ]
        gap = ""
        if va is not None and vb is not None:
            if kind == "pct":
                gap = f"{100 * (vb - va):+.1f} pp"
            elif va:
                gap = f"×{vb / va:.2f}"
        rows.append(
            el("tr", None, el("td", None, label), el("td", None, "–" if va is None else fmt(va)),
               el("td", None, "–" if vb is None else fmt(vb)), el("td", None, gap))
        )  # fmt: skip
    return el(
        "table",
        {"class": "data", "id": "headline-compare"},
        el("tr", None, el("th", None, "headline"), el("th", None, la), el("th", None, lb), el("th", None, f"{lb} vs {la}")),
        rows,
    )  # fmt: skip


def _diff_table(diffs: pd.DataFrame, la: str, lb: str, *, link: bool = True) -> object:
    head = el(
        "tr", None, [el("th", None, c) for c in ("artifact", "series", "measure", la, lb, "gap")]
    )
    rows = [
        el(
            "tr",
            None,
            el(
                "td",
                None,
                el("a", {"href": f"#{r['artifact']}"}, r["artifact"]) if link else r["artifact"],
            ),
            el("td", None, r["series"]),
            el("td", None, r["measure"]),
            el("td", None, _fmt_value(r["a"], r["unit"], r["measure"])),
            el("td", None, _fmt_value(r["b"], r["unit"], r["measure"])),
            el("td", None, fmt_gap(r)),
        )
        for _, r in diffs.iterrows()
    ]
    return el("div", {"class": "table-wrap"}, el("table", {"class": "data diffs"}, head, rows))


def compare_html(
    a: StudyResult,
    b: StudyResult,
    *,
    labels: tuple[str, str],
    top: int = 15,
    bundle: str | None = None,
) -> tuple[str, pd.DataFrame]:
    """The comparison page and its differences table."""
    from tokencensus.analyses import SECTIONS
    from tokencensus.report.specs import run_palette

    la, lb = labels
    diffs = differences(a, b)
    palette = run_palette(
        {**{f"a{k}": v for k, v in a.results.items()}, **{f"b{k}": v for k, v in b.results.items()}}
    )
    specs: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    blocks_by_section: dict[str, list[object]] = {}
    only_one = sorted(set(a.results) ^ set(b.results))
    for aid, ra in a.results.items():
        rb = b.results.get(aid)
        if rb is None:
            continue
        spec, both = _compare_chart(ra, rb, la, lb, palette)
        art = ra.artifact
        mine = diffs[diffs["artifact"] == aid].head(6)
        if spec is not None:
            specs[aid] = split_table(spec)
            tables[aid] = table_json(both)
            chart: object = el(
                "div", {"class": "chart", "id": f"chart-{aid}", "data-artifact": aid}
            )
        else:
            chart = el(
                "p",
                {"class": "note"},
                "No chart: "
                + ("a table in the paper." if art.is_table else "no rows to draw in either run."),
            )
        blocks_by_section.setdefault(art.section, []).append(
            el(
                "section",
                {"class": "artifact", "id": aid},
                el("h3", None, el("a", {"href": f"#{aid}", "class": "id"}, aid), " ", art.title),
                chart,
                el("p", {"class": "caption"}, f"Left: {la}. Right: {lb}. Same scales. " + ra.caption),
                _diff_table(mine, la, lb, link=False) if len(mine) else None,
                el(
                    "details",
                    {"class": "data"},
                    el("summary", None, f"Data: {len(ra.data):,} rows ({la}) and {len(rb.data):,} rows ({lb})"),
                    el("p", {"class": "downloads"}, el("button", {"type": "button", "class": "csv", "data-csv": aid}, "Download CSV (both runs)")),
                ) if spec is not None else None,
            )
        )  # fmt: skip
    body = []
    for key, sec in SECTIONS.items():
        if key in blocks_by_section:
            body.append(
                el(
                    "section",
                    {"id": f"section-{key}"},
                    el("h2", None, f"{sec.number} {sec.title}"),
                    blocks_by_section[key],
                )
            )
    ma, mb = a.manifest, b.manifest
    doc = el(
        "html",
        {"lang": "en"},
        el("head", None, el("meta", {"charset": "utf-8"}), el("title", None, f"{la} vs {lb} · tokencensus compare"),
           el("link", {"rel": "icon", "href": "data:,"}), el("style", None, Raw(CSS))),
        el(
            "body",
            None,
            el(
                "header",
                None,
                el("h1", None, f"{la} vs {lb}"),
                el("p", {"class": "sub"},
                   f"{la}: {fmt_count(ma['rows']['events'])} events, weeks {ma['window'].get('first_week')} to {ma['window'].get('last_week')}. "
                   f"{lb}: {fmt_count(mb['rows']['events'])} events, weeks {mb['window'].get('first_week')} to {mb['window'].get('last_week')}. "
                   "Each run keeps its own window; shares are compared as means over each run's weeks."),
                el("h2", {"class": "small"}, "The differences that matter"),
                el("p", {"class": "caption"},
                   "Largest gaps first (10 pp on a share, or a factor of 2 on a quantity, rank alike). "
                   "All of them are in differences.csv."),
                _diff_table(diffs.head(top), la, lb),
                el("h2", {"class": "small"}, "Headline numbers"),
                _headline_table(a, b, la, lb),
                el("p", {"class": "note"}, "Only in one run (not compared): " + ", ".join(only_one)) if only_one else None,
            ),
            el("main", None, body),
            el("footer", None, "tokencensus compare · self-contained page, no network needed."),
            _json_script("tc-tables", tables),
            _json_script("tc-specs", specs),
            el("script", None, Raw((vega_bundle() if bundle is None else bundle).replace("</script", "<\\/script"))),
            el("script", None, Raw(SCRIPT)),
        ),
    )  # fmt: skip
    return "<!doctype html>\n" + render(doc), diffs


def compare_runs(
    run_a: str | Path | StudyResult,
    run_b: str | Path | StudyResult,
    out_dir: str | Path,
    *,
    labels: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Write ``out_dir/index.html`` and ``out_dir/differences.csv``; returns the differences."""
    a = run_a if not isinstance(run_a, (str, Path)) else load_run(run_a)
    b = run_b if not isinstance(run_b, (str, Path)) else load_run(run_b)
    if labels is None:
        labels = (run_label(run_a, "A"), run_label(run_b, "B"))
        if labels[0] == labels[1]:
            labels = (labels[0] + " (A)", labels[1] + " (B)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html, diffs = compare_html(a, b, labels=labels)
    (out / "index.html").write_text(html, encoding="utf-8")
    diffs.rename(columns={"a": labels[0], "b": labels[1]}).to_csv(
        out / "differences.csv", index=False
    )
    return diffs


def run_label(run: Any, default: str) -> str:
    if isinstance(run, (str, Path)):
        return Path(run).resolve().name or default
    return Path(getattr(run, "out_dir", default)).name or default
