"""The report: one self-contained HTML file (charts, captions, data, SQL), readable offline.

The Vega/Vega-Lite/vega-embed bundle is inlined once; every chart's spec carries
its own data, so the page needs no network and no other file to draw.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tokencensus.analyses import SECTIONS
from tokencensus.report.charts import vega_lite
from tokencensus.report.tags import Raw, el, render

if TYPE_CHECKING:
    from tokencensus.study import ArtifactResult, StudyResult

__all__ = ["fmt_count", "render_report"]

_MAX_TABLE_ROWS = 60

_CSS = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#e3e6ec; --accent:#1f3b73; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       color: var(--ink); margin: 0; background: #fafbfc; }
header, main, footer { max-width: 980px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 6px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 28px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 20px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.artifact { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 14px 0; }
.chart { overflow-x: auto; }
.caption { color: var(--muted); font-size: 14px; margin: 8px 0; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); font-size: 13px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
pre { background: #f3f5f8; padding: 10px; overflow-x: auto; font-size: 12px; }
.note { background: #fff8e1; border: 1px solid #f0dca0; border-radius: 8px; padding: 8px 12px; }
footer { color: var(--muted); font-size: 12px; padding: 30px 20px; }
"""


@cache
def _vega_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script (built by vl-convert; cached on disk,
    since building it takes seconds)."""
    import vl_convert

    version = getattr(vl_convert, "__version__", "0")
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tokencensus"
    cached = cache_dir / f"vega-bundle-{version}.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = str(vl_convert.javascript_bundle())
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, encoding="utf-8")
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home only costs the rebuild
    return bundle


def fmt_count(n: float) -> str:
    """1234567 -> '1.23M' (tokens, events)."""
    n = float(n)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:,.0f}"


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


def _fmt_cell(value: Any, col: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        if col == "share" or col.startswith("share_"):
            return f"{value:.2%}"
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _data_table(df: pd.DataFrame) -> object:
    head = df.head(_MAX_TABLE_ROWS)
    rows = [
        el(
            "tr",
            None,
            *[el("td", None, _fmt_cell(v, c)) for c, v in zip(head.columns, r, strict=True)],
        )
        for r in head.itertuples(index=False)
    ]
    more = (
        el("p", {"class": "caption"}, f"First {_MAX_TABLE_ROWS} of {len(df):,} rows.")
        if len(df) > _MAX_TABLE_ROWS
        else None
    )
    return [
        el("table", None, el("tr", None, *[el("th", None, c) for c in head.columns]), *rows),
        more,
    ]


def _artifact_block(res: ArtifactResult, charts: dict[str, Any]) -> object:
    a = res.artifact
    spec = vega_lite(a.chart, res.data, markers=res.markers)
    chart_div = None
    if spec is not None:
        charts[a.id] = spec
        chart_div = el("div", {"class": "chart", "id": f"chart-{a.id}", "data-artifact": a.id})
    elif not a.is_table:
        chart_div = el("p", {"class": "note"}, "No data for this artifact in the input.")
    return el(
        "section",
        {"class": "artifact", "id": a.id},
        el("h3", None, f"{a.id} · {a.title}"),
        chart_div,
        el("p", {"class": "caption"}, res.caption),
        el(
            "details",
            {"open": a.is_table or None},
            el(
                "summary",
                None,
                f"Data ({len(res.data):,} rows) · ",
                el("a", {"href": f"data/{a.id}.csv"}, f"data/{a.id}.csv"),
            ),
            _data_table(res.data),
        ),
        el("details", None, el("summary", None, "Query"), el("pre", None, res.sql)),
    )


def _front(result: StudyResult) -> object:
    m = result.manifest
    h = m.get("headline", {})
    rows = m["rows"]
    cards = [
        ("events", fmt_count(h.get("events", rows["events"]))),
        ("tokens", fmt_count(h.get("tokens", 0))),
        ("models", f"{h.get('models', 0):,}"),
        ("authors", f"{h.get('authors', 0):,}"),
        ("open-weights share", f"{h['oss_share']:.1%}" if h.get("oss_share") is not None else "–"),
        (
            "Chinese OSS share",
            f"{h['chinese_oss_share']:.1%}" if h.get("chinese_oss_share") is not None else "–",
        ),
        ("weeks", f"{m['window']['weeks']}"),
    ]
    unknown = m["unknown_models"]
    facts = [
        f"Read {rows['read']:,} records: {rows['events']:,} events studied, "
        f"{rows['quarantined']:,} quarantined, {rows['duplicates']:,} duplicate ids loaded once, "
        f"{rows['outside_window']:,} outside the window.",
        f" Weeks {m['window']['first_week']} to {m['window']['last_week']} (ISO weeks from Monday, UTC).",
    ]
    notes = []
    if unknown["models"]:
        listed = ", ".join(u["model"] for u in unknown["list"][:8])
        notes.append(
            el(
                "p",
                {"class": "note"},
                f"{unknown['models']} model(s) not in the catalog ({fmt_count(unknown['tokens'])} tokens, "
                f"{unknown['events']:,} events) are shown as Unknown and left out of shares: {listed}"
                + (" …" if unknown["models"] > 8 else "")
                + ". Add them with --catalog my_models.csv.",
            )
        )
    if rows["quarantined"]:
        notes.append(
            el(
                "p",
                {"class": "note"},
                f"{rows['quarantined']:,} records were rejected; each is in quarantine.jsonl with its "
                "file, position, field and reason.",
            )
        )
    return [
        el(
            "div",
            {"class": "cards"},
            *[
                el(
                    "div",
                    {"class": "card"},
                    el("div", {"class": "v"}, v),
                    el("div", {"class": "k"}, k),
                )
                for k, v in cards
            ],
        ),
        el("p", {"class": "sub"}, *facts),
        notes,
    ]


# --- reproduction scorecard (tokencensus demo; owner: simulate/scorecard) -------------------
_STATUS_STYLE = {
    "pass": "color:#1b7f3b;font-weight:600",
    "fail": "color:#b42318;font-weight:600",
    "not measurable": "color:#5b6475",
}


def _scorecard_section(result: StudyResult) -> object:
    """The demo's scorecard (``manifest["scorecard"]``): every published number vs the run."""
    card = result.manifest.get("scorecard")
    if not card:
        return None
    s = card["summary"]
    rate = f" ({s['pass_rate']:.0%})" if s.get("pass_rate") is not None else ""
    cols = ("id", "artifact", "statement", "published", "measured", "tolerance", "status")
    rows = [
        el(
            "tr",
            None,
            *[
                el(
                    "td",
                    {"style": _STATUS_STYLE.get(r["status"])} if c == "status" else None,
                    str(r.get(c, "")),
                )
                for c in cols
            ],
        )
        for r in card["rows"]
    ]
    misses = [r for r in card["rows"] if r["status"] == "fail"]
    return el(
        "section",
        {"id": "section-scorecard"},
        el("h2", None, "Reproduction scorecard"),
        el(
            "p",
            None,
            f"{s['passed']} of {s['measurable']} measurable published numbers reproduced{rate}; "
            f"{s['not_measurable']} not measurable on this data. Each statement of FIGURES.md is "
            "measured on this run's artifacts and judged with the fixed tolerance of its kind "
            "(±2 pp for exact shares, ±5 pp for approximate ones, ±15% for means and prices, "
            "±25% for growth factors, ±0.5 for log usage; thresholds, rank lists and detected "
            "patterns must hold as stated). The full table is in scorecard.csv.",
        ),
        el(
            "p",
            {"class": "note"},
            "Misses: "
            + "; ".join(
                f"{r['id']} (published {r['published']}, measured {r['measured']})" for r in misses
            ),
        )
        if misses
        else None,
        el("table", None, el("tr", None, *[el("th", None, c) for c in cols]), *rows),
    )


def render_report(result: StudyResult, path: Path) -> None:
    charts: dict[str, Any] = {}
    body_sections = []
    by_section: dict[str, list[ArtifactResult]] = {}
    for res in result.results.values():
        by_section.setdefault(res.artifact.section, []).append(res)
    for key, sec in SECTIONS.items():
        if key not in by_section:
            continue
        body_sections.append(
            el(
                "section",
                {"id": f"section-{key}"},
                el("h2", None, f"{sec.number} {sec.title}"),
                [el("p", None, *_inline(para)) for para in sec.intro.split("\n\n")],
                [_artifact_block(r, charts) for r in by_section[key]],
            )
        )
    m = result.manifest
    script = (
        "const SPECS = " + json.dumps(charts, default=str).replace("</", "<\\/") + ";\n"
        "for (const [id, spec] of Object.entries(SPECS)) {\n"
        "  vegaEmbed('#chart-' + id, spec, {actions: false, renderer: 'svg'})\n"
        "    .catch(err => { console.error('chart ' + id + ': ' + err); });\n"
        "}\n"
    )
    doc = el(
        "html",
        {"lang": "en"},
        el(
            "head",
            None,
            el("meta", {"charset": "utf-8"}),
            el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            el("title", None, "tokencensus report"),
            el("style", None, Raw(_CSS)),
            el("script", None, Raw(_vega_bundle())),
        ),
        el(
            "body",
            None,
            el(
                "header",
                None,
                el("h1", None, "State of AI on your traffic"),
                el(
                    "p",
                    {"class": "sub"},
                    f"tokencensus {m['tokencensus_version']} · engine {m['engine']} · {m['created_at']}",
                ),
                _front(result),
            ),
            el("main", None, *body_sections, _scorecard_section(result)),
            el(
                "footer",
                None,
                "Data files, SQL and manifest.json sit next to this page. "
                "Definitions follow the State of AI token study (OpenRouter, Dec 2025).",
            ),
            el("script", None, Raw(script)),
        ),
    )
    path.write_text("<!doctype html>\n" + render(doc), encoding="utf-8")
