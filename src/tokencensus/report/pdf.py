"""``--pdf``: the whole report as one PDF, offline and without a browser.

Every page is a Vega-Lite document rendered by vl-convert (vector, fonts embedded): a cover
with the headline numbers and the input summary, one page per artifact (title, the static
chart with its paper references, the caption and how it was computed, the paper-vs-run
statements) and the reproduction scorecard when the run was scored.  The pages are joined
with ``pypdf`` (the ``pdf`` extra: ``pip install pypdf``).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokencensus.analyses import SECTIONS
from tokencensus.errors import ConfigError
from tokencensus.report.figures import figure_spec, register_fonts, static_config
from tokencensus.report.front import headline_cards
from tokencensus.report.sections import method_facts
from tokencensus.report.specs import artifact_references, run_palette

if TYPE_CHECKING:
    from tokencensus.study import StudyResult

__all__ = ["require_pdf_support", "write_pdf"]

PAGE_WIDTH = 900
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"fontSize": 20, "fontWeight": "bold", "color": "#1d2433", "lh": 30},
    "heading": {"fontSize": 13, "fontWeight": "bold", "color": "#1f3b73", "lh": 22},
    "body": {"fontSize": 11, "fontWeight": "normal", "color": "#1d2433", "lh": 16},
    "muted": {"fontSize": 10, "fontWeight": "normal", "color": "#5b6475", "lh": 14},
    "pass": {"fontSize": 10, "fontWeight": "bold", "color": "#1b7f3b", "lh": 14},
    "fail": {"fontSize": 10, "fontWeight": "bold", "color": "#b42318", "lh": 14},
}


def require_pdf_support() -> None:
    """Raise the ConfigError ``--pdf`` would, before a long run rather than after it."""
    _need_pypdf()


def _need_pypdf() -> Any:
    try:
        import pypdf
    except ImportError:
        raise ConfigError(
            "--pdf joins its pages with pypdf, which is not installed. "
            "Install it with: pip install pypdf (the 'pdf' extra of tokencensus)."
        ) from None
    return pypdf


class _Text:
    """Lines of styled text laid out top to bottom (a Vega-Lite text block)."""

    def __init__(self, width: int = PAGE_WIDTH) -> None:
        self.width = width
        self.rows: list[dict[str, Any]] = []
        self.y = 0

    def add(self, text: str, style: str = "body", *, x: int = 0, value: str = "",
            indent: str = "", wrap: bool = True) -> None:  # fmt: skip
        st = _STYLES[style]
        chars = max(20, int((self.width - x) / (st["fontSize"] * 0.55)))
        lines = textwrap.wrap(text, chars, subsequent_indent=indent) if wrap and text else [text]
        for i, line in enumerate(lines or [""]):
            self.rows.append(
                {"x": x, "y": self.y + st["fontSize"], "text": line,
                 "value": value if i == 0 else "", "style": style}
            )  # fmt: skip
            self.y += st["lh"]

    def gap(self, px: int = 8) -> None:
        self.y += px

    def spec(self) -> dict[str, Any]:
        layers: list[dict[str, Any]] = []
        for name, st in _STYLES.items():
            if not any(r["style"] == name for r in self.rows):
                continue
            enc: dict[str, Any] = {
                "x": {"field": "x", "type": "quantitative", "scale": None},
                "y": {"field": "y", "type": "quantitative", "scale": None},
            }
            mark: dict[str, Any] = {"type": "text", "align": "left", "baseline": "alphabetic",
                    "fontSize": st["fontSize"], "fontWeight": st["fontWeight"], "color": st["color"]}  # fmt: skip
            layers.append(
                {"transform": [{"filter": f"datum.style == '{name}'"}], "mark": mark,
                 "encoding": {**enc, "text": {"field": "text"}}}
            )  # fmt: skip
            layers.append(
                {"transform": [{"filter": f"datum.style == '{name}' && datum.value != ''"}],
                 "mark": {**mark, "fontWeight": "bold"},
                 "encoding": {**enc, "x": {"value": 260}, "text": {"field": "value"}}}
            )  # fmt: skip
        return {
            "data": {"values": self.rows},
            "width": self.width,
            "height": max(self.y, 10),
            "view": {"stroke": None},
            "layer": layers,
        }


def _page(*parts: dict[str, Any]) -> dict[str, Any]:
    """One PDF page: blocks stacked vertically; chart datasets move to the top level."""
    datasets: dict[str, Any] = {}
    blocks = []
    for part in parts:
        part = dict(part)
        part.pop("$schema", None)
        part.pop("config", None)
        part.pop("usermeta", None)
        for name, values in part.pop("datasets", {}).items():
            datasets[name] = values
        blocks.append(part)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "vconcat": blocks,
        "spacing": 14,
        "datasets": datasets,
        "config": static_config(),
    }


def _cover(result: StudyResult) -> dict[str, Any]:
    m = result.manifest
    w = m.get("window") or {}
    rows = m["rows"]
    t = _Text()
    t.add("State of AI on your traffic", "title")
    t.add(
        "The token study of “State of AI: An Empirical 100 Trillion Token Study with OpenRouter” "
        f"(Dec 2025), reproduced on {rows['events']:,} events, weeks {w.get('first_week')} to "
        f"{w.get('last_week')}. tokencensus {m.get('tokencensus_version')} · engine {m.get('engine')} "
        f"· {m.get('created_at')}",
        "muted",
    )
    t.gap(10)
    t.add("Headline numbers", "heading")
    for _key, label, value, note in headline_cards(m.get("headline") or {}):
        t.add(label, "body", value=value)
        t.add(note, "muted", x=260 + 110, wrap=False)
        t.y -= _STYLES["muted"]["lh"]
        t.gap(2)
    t.gap(10)
    t.add("Input", "heading")
    unknown = m["unknown_models"]
    for label, value in (
        ("records read", f"{rows['read']:,}"),
        ("loaded", f"{rows.get('loaded', rows['events']):,}"),
        ("quarantined", f"{rows['quarantined']:,}"),
        ("duplicate ids", f"{rows['duplicates']:,}"),
        ("outside the window", f"{rows['outside_window']:,}"),
        ("unknown models", f"{unknown['models']:,} ({unknown['events']:,} events)"),
    ):
        t.add(label, "body", value=value)
    card = m.get("scorecard")
    if card:
        s = card["summary"]
        t.gap(10)
        t.add("Reproduction scorecard", "heading")
        t.add(
            f"{s['passed']} of {s['measurable']} measurable published numbers reproduced; "
            f"{s['failed']} missed, {s['not_measurable']} not measurable (listed on the last pages).",
            "body",
        )
    t.gap(10)
    t.add(
        "Every chart of the HTML report follows, one per page, with its caption and method. "
        "Data tables are in data/<ID>.csv next to this file, the SQL in sql/<ID>.sql.",
        "muted",
    )
    return _page(t.spec())


def _artifact_page(result: StudyResult, aid: str, palette: Any, reference: bool) -> dict[str, Any]:
    res = result.results[aid]
    a = res.artifact
    sec = SECTIONS[a.section]
    head = _Text()
    head.add(f"{sec.number} {sec.title}", "muted")
    parts: list[dict[str, Any]] = [head.spec()]
    chart = figure_spec(res, result, palette=palette, reference=reference)
    if chart is not None:
        parts.append(chart)
    text = _Text()
    if chart is None:
        text.add(f"{a.id} · {a.title}", "heading")
    text.add(res.caption, "body")
    refs = artifact_references(res) if reference else None
    for fact in method_facts(res, result.manifest, refs):
        text.add("• " + fact, "muted", indent="  ")
    if chart is None:
        text.gap(6)
        head_cols = list(res.data.columns)[:8]
        text.add("   ".join(head_cols), "muted", wrap=False)
        for row in res.data.head(25).itertuples(index=False):
            cells = [str(v) if not isinstance(v, float) else f"{v:,.4g}" for v in list(row)[:8]]
            text.add("   ".join(cells), "body", wrap=False)
    card = result.manifest.get("scorecard")
    if card:
        mine = [r for r in card["rows"] if r.get("artifact") == aid]
        if mine:
            text.gap(6)
            text.add("Paper vs. this run", "heading")
            for r in mine:
                text.add(
                    f"{r['status']}: {r['statement']} — published {r['published']}, "
                    f"measured {r['measured'] or '–'}",
                    r["status"] if r["status"] in ("pass", "fail") else "muted",
                )
                if r["status"] == "fail" and isinstance(r.get("note"), str) and r["note"]:
                    text.add(r["note"], "muted", indent="  ")
    parts.append(text.spec())
    return _page(*parts)


def _scorecard_pages(result: StudyResult, per_page: int = 48) -> list[dict[str, Any]]:
    card = result.manifest.get("scorecard")
    if not card:
        return []
    pages = []
    rows = card["rows"]
    for start in range(0, len(rows), per_page):
        t = _Text()
        t.add("Reproduction scorecard" + (" (continued)" if start else ""), "heading")
        for r in rows[start : start + per_page]:
            t.add(
                f"{r['id']} [{r['status']}] {r['statement']}: published {r['published']}, "
                f"measured {r['measured'] or '–'}",
                r["status"] if r["status"] in ("pass", "fail") else "muted",
                wrap=False,
            )
        pages.append(_page(t.spec()))
    return pages


def write_pdf(result: StudyResult, path: str | Path, *, reference: bool = True) -> Path:
    """Write the report as one PDF at ``path`` (cover, one page per artifact, scorecard)."""
    pypdf = _need_pypdf()
    import vl_convert

    register_fonts()
    palette = run_palette(result.results)
    specs = [_cover(result)]
    specs += [_artifact_page(result, aid, palette, reference) for aid in result.results]
    specs += _scorecard_pages(result)
    writer = pypdf.PdfWriter()
    for spec in specs:
        reader = pypdf.PdfReader(io.BytesIO(vl_convert.vegalite_to_pdf(spec)))
        for page in reader.pages:
            writer.add_page(page)
    writer.add_metadata({"/Title": "State of AI on your traffic (tokencensus)"})
    out = Path(path)
    with out.open("wb") as fh:
        writer.write(fh)
    return out
