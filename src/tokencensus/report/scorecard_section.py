"""The reproduction scorecard in the report (``manifest["scorecard"]``, written by the demo).

Moved here from ``html.py`` (written by the simulate/scorecard owner), behaviour kept: the
section lists every published number of FIGURES.md against the run.  Statement ids link to
their artifact's block, and each artifact block repeats its own statements
(:func:`artifact_statements`).  A row's ``note`` says why it was not measurable or, for a
known miss of the demo platform, why it missed (``scorecard/statements/misses.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokencensus.report.tags import el

if TYPE_CHECKING:
    from tokencensus.study import StudyResult

__all__ = ["artifact_statements", "scorecard_section"]

_COLS = ("id", "artifact", "statement", "published", "measured", "tolerance", "status", "note")


def _status(status: str) -> object:
    return el("td", {"class": "status " + status.replace(" ", "-")}, status)


def _row(r: dict[str, Any], cols: tuple[str, ...], present: set[str]) -> object:
    cells = []
    for c in cols:
        if c == "status":
            cells.append(_status(str(r.get(c, ""))))
        elif c == "artifact" and r.get(c) in present:
            cells.append(el("td", None, el("a", {"href": f"#{r[c]}"}, str(r[c]))))
        elif c == "note":
            cells.append(el("td", {"class": "why"}, _note(r)))
        else:
            cells.append(el("td", None, str(r.get(c, ""))))
    return el("tr", None, cells)


def _note(r: dict[str, Any]) -> str:
    note = r.get("note")
    return "" if note is None or (isinstance(note, float) and note != note) else str(note)


def _miss(r: dict[str, Any]) -> object:
    why = _note(r)
    return el(
        "li",
        None,
        el("strong", None, str(r["id"])),
        f" (published {r['published']}, measured {r['measured']})",
        f" — {why}" if why else "",
    )


def scorecard_section(result: StudyResult) -> object:
    """The demo's scorecard (``manifest["scorecard"]``): every published number vs the run."""
    card = result.manifest.get("scorecard")
    if not card:
        return None
    s = card["summary"]
    rate = f" ({s['pass_rate']:.0%})" if s.get("pass_rate") is not None else ""
    present = set(result.results)
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
            "div",
            {"class": "note misses"},
            el("p", None, f"Misses ({len(misses)}):"),
            el("ul", None, [_miss(r) for r in misses]),
        )
        if misses
        else None,
        el(
            "div",
            {"class": "table-wrap"},
            el(
                "table",
                {"class": "scorecard"},
                el("tr", None, [el("th", None, c) for c in _COLS]),
                [_row(r, _COLS, present) for r in card["rows"]],
            ),
        ),
    )


def artifact_statements(result: StudyResult, artifact_id: str) -> object:
    """The scorecard rows about one artifact, for its block (None without a scorecard)."""
    card = result.manifest.get("scorecard")
    if not card:
        return None
    rows = [r for r in card["rows"] if r.get("artifact") == artifact_id]
    if not rows:
        return None
    passed = sum(r["status"] == "pass" for r in rows)
    measurable = sum(r["status"] in ("pass", "fail") for r in rows)
    cols = ("statement", "published", "measured", "status", "note")
    return el(
        "details",
        {"class": "paper"},
        el("summary", None, f"Paper vs. this run: {passed} of {measurable} reproduced"),
        el(
            "table",
            {"class": "scorecard"},
            el("tr", None, [el("th", None, c) for c in cols]),
            [_row(r, cols, set()) for r in rows],
        ),
    )
