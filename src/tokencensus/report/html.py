"""The report: one self-contained HTML file (charts, captions, data, SQL), readable offline.

Everything is inline: the styles, the chart library (Vega + Vega-Lite + vega-embed, once),
each artifact's table (once, as JSON: the chart, the CSV download and nothing else read
it) and each chart's spec.  The page makes no network request: it opens from disk.

The page shows at once; its charts are drawn one by one right after, in page order (a
chart scrolled into view jumps the queue).  Progress is on ``window.tcReport``:
``status[id]`` is ``"ok"`` or ``"error"`` per chart, ``ready`` a promise settled when every
chart has been drawn (then ``body[data-charts="drawn"]`` and the performance mark
``tc-charts-drawn``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tokencensus.report.bundle import vega_bundle
from tokencensus.report.charts import split_table, table_json
from tokencensus.report.fmt import fmt_count
from tokencensus.report.front import front_page
from tokencensus.report.scorecard_section import scorecard_section
from tokencensus.report.sections import sections, toc
from tokencensus.report.specs import artifact_chart, artifact_references, run_palette
from tokencensus.report.tags import Raw, el, render

if TYPE_CHECKING:
    from tokencensus.study import StudyResult

__all__ = ["fmt_count", "render_report", "report_html"]

CSS = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#e3e6ec; --accent:#1f3b73; --bg:#fafbfc; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif;
       color: var(--ink); margin: 0; background: var(--bg); }
header, main, footer { max-width: 1000px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 28px; }
h1 { font-size: 27px; margin: 0 0 2px; }
h2 { font-size: 21px; margin: 44px 0 8px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h2.small { font-size: 16px; margin: 22px 0 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 8px; }
h3 a.id { color: #fff; background: var(--accent); border-radius: 4px; padding: 1px 7px; text-decoration: none; font-size: 13px; }
a { color: var(--accent); }
.sub { color: var(--muted); margin: 0 0 14px; }
.intro { max-width: 820px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(172px, 1fr)); gap: 10px; margin: 14px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 22px; font-weight: 650; }
.card .k { color: var(--ink); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card .n { color: var(--muted); font-size: 11.5px; line-height: 1.3; margin-top: 2px; }
.scorecard-summary { display: flex; gap: 14px; align-items: center; background: #eef6ee; border: 1px solid #b9dcbc;
                     border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
.scorecard-summary .v { font-size: 24px; font-weight: 700; color: #1b7f3b; white-space: nowrap; }
table.inputs th { text-align: left; font-weight: normal; color: var(--muted); padding-right: 18px; }
table.inputs td { text-align: left; }
nav.toc ol { padding-left: 18px; margin: 8px 0; }
nav.toc li { margin: 3px 0; }
a.chip { display: inline-block; font-size: 12px; border: 1px solid var(--line); border-radius: 10px; padding: 0 6px;
         text-decoration: none; background: #fff; }
.artifact { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin: 16px 0; }
.chart { overflow-x: auto; min-height: 60px; }
.chart[data-rendered="error"] { color: #b42318; }
.caption { color: var(--ink); font-size: 14px; margin: 8px 0 4px; }
ul.method { color: var(--muted); font-size: 13px; margin: 4px 0 8px; padding-left: 18px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); font-size: 13.5px; }
.downloads { font-size: 13px; margin: 6px 0; }
button.csv { font: inherit; font-size: 12.5px; border: 1px solid var(--accent); color: var(--accent); background: #fff;
             border-radius: 6px; padding: 2px 10px; cursor: pointer; }
button.csv:hover { background: var(--accent); color: #fff; }
.table-wrap { overflow-x: auto; max-height: 460px; overflow-y: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #f3f5f8; }
th:first-child, td:first-child { text-align: left; }
table.scorecard td { white-space: normal; text-align: left; }
td.status.pass { color: #1b7f3b; font-weight: 600; }
td.status.fail { color: #b42318; font-weight: 600; }
td.status.not-measurable { color: var(--muted); }
table.scorecard td.why { color: var(--muted); font-size: 13px; min-width: 240px; }
.note.misses p { margin: 0 0 4px; }
.note.misses ul { margin: 0; padding-left: 20px; }
.findings h4 { font-size: 14px; margin: 12px 0 4px; }
p.rule { font-size: 13px; color: var(--muted); margin: 8px 0 4px; max-width: 820px; }
pre { background: #f3f5f8; padding: 10px; overflow: auto; font-size: 12px; max-height: 420px; }
.note { background: #fff8e1; border: 1px solid #f0dca0; border-radius: 8px; padding: 8px 12px; }
footer { color: var(--muted); font-size: 12px; padding: 30px 20px 40px; }
#vg-tooltip-element { font-family: inherit; }
@media print {
  body { background: #fff; }
  .artifact { break-inside: avoid; border: none; padding: 0; }
  details.query, button.csv, nav.toc { display: none; }
}
"""

#: Fills each chart's table from the page's one copy, draws it, reports on window.tcReport.
SCRIPT = """
(function () {
  const tables = JSON.parse(document.getElementById('tc-tables').textContent);
  const specs = JSON.parse(document.getElementById('tc-specs').textContent);
  const report = window.tcReport = { status: {}, errors: [] };
  function records(t) {
    const cols = t.columns;
    return t.rows.map(function (r) {
      const o = {};
      for (let i = 0; i < cols.length; i++) o[cols[i]] = r[i];
      return o;
    });
  }
  function draw(id) {
    const spec = specs[id];
    const tc = spec.usermeta.tc;
    spec.datasets.data = records(tables[id]).concat(tc.guides || []);
    const el = document.getElementById('chart-' + id);
    return vegaEmbed(el, spec, { actions: false, renderer: 'svg' }).then(function () {
      report.status[id] = 'ok';
      el.dataset.rendered = 'ok';
      performance.mark('tc-chart-' + id);
    }).catch(function (err) {
      report.status[id] = 'error';
      report.errors.push(id + ': ' + err);
      el.dataset.rendered = 'error';
      el.textContent = 'This chart could not be drawn (' + err + '). The data table below has its numbers.';
      console.error('chart ' + id + ': ' + err);
    });
  }
  // Charts are drawn one at a time after the page is shown, in page order; a chart
  // scrolled into view jumps the queue.
  const queue = Object.keys(specs);
  let finish;
  report.ready = new Promise(function (resolve) { finish = resolve; });
  if ('IntersectionObserver' in window) {
    const seen = new IntersectionObserver(function (entries) {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const id = e.target.dataset.artifact;
        const i = queue.indexOf(id);
        if (i > 0) { queue.splice(i, 1); queue.unshift(id); }
        seen.unobserve(e.target);
      }
    }, { rootMargin: '400px' });
    for (const id of queue) seen.observe(document.getElementById('chart-' + id));
  }
  function next() {
    if (!queue.length) {
      performance.mark('tc-charts-drawn');
      document.body.dataset.charts = 'drawn';
      finish();
      return;
    }
    draw(queue.shift()).then(function () { setTimeout(next, 0); });
  }
  setTimeout(next, 0);
  function csv(t) {
    const cell = function (v) {
      if (v === null || v === undefined) return '';
      const s = String(v);
      return /[",\\n\\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    return [t.columns.map(cell).join(',')].concat(t.rows.map(function (r) {
      return r.map(cell).join(',');
    })).join('\\n') + '\\n';
  }
  report.csv = function (id) { return csv(tables[id]); };
  document.addEventListener('click', function (e) {
    const b = e.target.closest('button[data-csv]');
    if (!b) return;
    const id = b.dataset.csv;
    const url = URL.createObjectURL(new Blob([report.csv(id)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = id + '.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  });
})();
"""


def _json_script(element_id: str, payload: Any) -> object:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)
    # a "</" inside a script element would end it
    return el(
        "script",
        {"type": "application/json", "id": element_id},
        Raw(text.replace("</", "<\\/")),
    )


def _from_the_paper(references: bool, scorecard: bool) -> str:
    """The footer's end: what on the page comes from the paper's published numbers."""
    parts = [p for p, shown in (("the dashed paper references", references),
                                ("the scorecard", scorecard)) if shown]  # fmt: skip
    if not parts:
        return "."
    verb = "comes" if parts == ["the scorecard"] else "come"
    return f"; {' and '.join(parts)} {verb} from its published numbers."


def report_html(result: StudyResult, *, reference: bool = True, bundle: str | None = None) -> str:
    """The report page as a string (``bundle`` replaces the chart library, for tests)."""
    palette = run_palette(result.results)
    specs: dict[str, dict[str, Any] | None] = {}
    refs: dict[str, pd.DataFrame | None] = {}
    tables: dict[str, Any] = {}
    for aid, res in result.results.items():
        refs[aid] = artifact_references(res) if reference else None
        specs[aid] = artifact_chart(res, palette=palette, reference=reference)
        tables[aid] = table_json(res.data)  # charts and the CSV download read it
    drawn = {aid: split_table(s) for aid, s in specs.items() if s is not None}
    dashed = any(len(r) for aid in drawn if (r := refs[aid]) is not None)
    m = result.manifest
    window = m.get("window") or {}
    library = vega_bundle() if bundle is None else bundle
    doc = el(
        "html",
        {"lang": "en"},
        el(
            "head",
            None,
            el("meta", {"charset": "utf-8"}),
            el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            el("title", None, "State of AI on your traffic · tokencensus"),
            el("link", {"rel": "icon", "href": "data:,"}),
            el("style", None, Raw(CSS)),
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
                    f"The token study of “State of AI: An Empirical 100 Trillion Token Study with "
                    f"OpenRouter” (Dec 2025), reproduced on {fmt_count(m['rows']['events'])} "
                    f"events, weeks {window.get('first_week') or '–'} to "
                    f"{window.get('last_week') or '–'}. tokencensus {m['tokencensus_version']} · "
                    f"engine {m['engine']} · {m['created_at']}",
                ),
                front_page(result),
                el("h2", {"class": "small"}, "Contents"),
                toc(result),
                el(
                    "p",
                    {"class": "sub hint"},
                    "Reading the charts: hover for the values at a week; click legend entries "
                    "to show only those series (stacked charts restack them from zero), click "
                    "again to bring the rest back; drag or scroll a time axis to zoom, "
                    "double-click to reset."
                    + (" Dashed lines are the paper's published values." if dashed else ""),
                ),
            ),
            el("main", None, sections(result, specs, refs), scorecard_section(result)),
            el(
                "footer",
                None,
                "Data files (data/<ID>.csv and .parquet), SQL (sql/<ID>.sql) and manifest.json "
                "sit next to this page; figures/ holds PNG and SVG versions of every chart. "
                "Definitions follow the State of AI token study (OpenRouter, Dec 2025)"
                + _from_the_paper(dashed, bool(m.get("scorecard"))),
            ),
            _json_script("tc-tables", tables),
            _json_script("tc-specs", drawn),
            el("script", None, Raw(library.replace("</script", "<\\/script"))),
            el("script", None, Raw(SCRIPT)),
        ),
    )
    return "<!doctype html>\n" + render(doc)


def render_report(result: StudyResult, path: Path, *, reference: bool = True) -> None:
    """Write the self-contained report page to ``path``."""
    Path(path).write_text(report_html(result, reference=reference), encoding="utf-8")
