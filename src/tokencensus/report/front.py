"""The report's front page: the run's headline numbers, what was read, and the reproduction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tokencensus.report.fmt import fmt_count, fmt_pct, fmt_usd
from tokencensus.report.tags import el

if TYPE_CHECKING:
    from tokencensus.study import StudyResult

__all__ = ["HEADLINE_CARDS", "front_page", "headline_cards"]

#: (manifest headline key, label, format, explanation shown on hover)
HEADLINE_CARDS: tuple[tuple[str, str, str, str], ...] = (
    ("events", "events", "count", "requests studied in the window"),
    ("tokens", "tokens", "count", "prompt + completion tokens"),
    ("models", "models", "int", "catalogued models with usage"),
    ("authors", "authors", "int", "model authors with usage"),
    ("oss_share", "open-weights share", "pct", "tokens of open-weights models / known tokens"),
    ("chinese_oss_share", "Chinese OSS share", "pct", "tokens of Chinese open-weights models / known tokens"),
    ("programming_share", "programming share", "pct", "sample estimate over named categories, 95% interval"),
    ("reasoning_share", "reasoning share", "pct", "tokens of reasoning models / known tokens"),
    ("tool_call_share", "tool-call share", "pct", "tokens of requests that finished with a tool call"),
    ("median_cost_per_m", "median cost / 1M", "usd", "median across models of spend / tokens x 1M, BYOK left out"),
)  # fmt: skip


def _value(kind: str, value: Any) -> str:
    if value is None:
        return "–"
    if kind == "count":
        return fmt_count(value)
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return fmt_pct(value)
    return fmt_usd(value)


def headline_cards(headline: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(key, label, value, note) for each headline number; notes carry intervals."""
    out = []
    for key, label, kind, note in HEADLINE_CARDS:
        value = _value(kind, headline.get(key))
        sub = ""
        if key == "programming_share" and headline.get("programming_share_low") is not None:
            sub = (
                f"{fmt_pct(headline['programming_share_low'])}–"
                f"{fmt_pct(headline['programming_share_high'])}, "
                f"n = {headline.get('programming_sample_events', 0):,}"
            )
        out.append((key, label, value, sub or note))
    return out


def _cards(headline: dict[str, Any]) -> object:
    return el(
        "div",
        {"class": "cards", "id": "headline"},
        [
            el(
                "div",
                {"class": "card", "data-key": key, "title": note},
                el("div", {"class": "v"}, value),
                el("div", {"class": "k"}, label),
                el("div", {"class": "n"}, note),
            )
            for key, label, value, note in headline_cards(headline)
        ],
    )


def _inputs(m: dict[str, Any]) -> object:
    rows = m["rows"]
    unknown = m["unknown_models"]
    window = m["window"]
    cells = [
        ("records read", f"{rows['read']:,}"),
        ("loaded", f"{rows.get('loaded', rows['events']):,}"),
        ("quarantined", f"{rows['quarantined']:,}"),
        ("duplicate ids", f"{rows['duplicates']:,}"),
        ("outside the window", f"{rows['outside_window']:,}"),
        ("events studied", f"{rows['events']:,}"),
        ("unknown models", f"{unknown['models']:,} ({unknown['events']:,} events)"),
        (
            "window",
            f"{window.get('first_week') or '–'} to {window.get('last_week') or '–'} "
            f"({window.get('weeks', 0)} ISO weeks, UTC)",
        ),
    ]
    privacy = m.get("privacy") or {}
    if privacy:
        cells.append(
            (
                "privacy rule",
                f"cells with fewer than {privacy.get('min_users', 0)} users suppressed: "
                f"{privacy.get('suppressed_cells', 0):,}"
                if privacy.get("min_users")
                else "off (every cell shown)",
            )
        )
    return el(
        "table",
        {"class": "inputs", "id": "inputs"},
        [el("tr", None, el("th", None, k), el("td", None, v)) for k, v in cells],
    )


def _notes(m: dict[str, Any]) -> list[object]:
    rows = m["rows"]
    unknown = m["unknown_models"]
    notes: list[object] = []
    if unknown["models"]:
        listed = ", ".join(u["model"] for u in unknown["list"][:8])
        notes.append(
            el(
                "p",
                {"class": "note"},
                f"{unknown['models']} model(s) not in the catalog ({fmt_count(unknown['tokens'])} "
                f"tokens, {unknown['events']:,} events) are shown as Unknown and left out of "
                f"shares: {listed}" + (" …" if unknown["models"] > 8 else "") + ". Add them with "
                "--catalog my_models.csv.",
            )
        )
    if rows["quarantined"]:
        notes.append(
            el(
                "p",
                {"class": "note"},
                f"{rows['quarantined']:,} records were rejected; each is in quarantine.jsonl "
                "with its file, position, field and reason.",
            )
        )
    missing = m.get("not_computable") or {}
    if missing:
        notes.append(
            el(
                "p",
                {"class": "note"},
                f"This store holds aggregate rows only ({m['load'].get('aggregate_source')}): "
                f"{len(missing)} artifacts cannot be computed from them — "
                + "; ".join(f"{aid} {why}" for aid, why in missing.items())
                + ".",
            )
        )
    return notes


def _scorecard_summary(m: dict[str, Any]) -> object:
    card = m.get("scorecard")
    if not card:
        return None
    s = card["summary"]
    rate = f" ({s['pass_rate']:.0%})" if s.get("pass_rate") is not None else ""
    return el(
        "div",
        {"class": "scorecard-summary", "id": "scorecard-summary"},
        el("div", {"class": "v"}, f"{s['passed']} / {s['measurable']}"),
        el(
            "div",
            None,
            el("strong", None, "Reproduction scorecard: "),
            f"{s['passed']} of {s['measurable']} measurable published numbers reproduced{rate}; "
            f"{s['failed']} missed, {s['not_measurable']} not measurable on this data. ",
            el("a", {"href": "#section-scorecard"}, "Every statement"),
            " is listed at the end and next to its chart.",
        ),
    )


def front_page(result: StudyResult) -> object:
    """Headline cards, the input summary and (for the demo) the scorecard summary."""
    m = result.manifest
    return el(
        "section",
        {"id": "front", "class": "front"},
        _cards(m.get("headline") or {}),
        _scorecard_summary(m),
        el("h2", {"class": "small"}, "Input"),
        _inputs(m),
        _notes(m),
    )
