"""One colour per source type, size class, author, category and region, the same in every chart.

Well-known labels have fixed colours (:data:`FIXED`).  Every other label gets its colour
from :class:`Palette`, which a report builds once from all the labels of the run (largest
first), so a model, author or tag keeps one colour across every chart of the report and
its figures; labels the palette has never seen fall back to a stable hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

__all__ = ["FIXED", "Palette", "color_for", "colors_for"]

FIXED: dict[str, str] = {
    # source types
    "Closed": "#1f3b73",
    "Chinese OSS": "#e4572e",
    "RoW OSS": "#17a398",
    "Unknown": "#9e9e9e",
    # size classes
    "small": "#8ecae6",
    "medium": "#219ebc",
    "large": "#023047",
    "unknown": "#bdbdbd",
    # reasoning vs. not (F10), completion parts (F15), populations (F18)
    "Reasoning": "#7b3fe4",
    "Non-reasoning": "#b8c2d6",
    "completion": "#1f3b73",
    "of which reasoning": "#7b3fe4",
    "All": "#5b6475",
    # authors
    "Anthropic": "#c96f4a",
    "OpenAI": "#10a37f",
    "Google": "#4285f4",
    "xAI": "#222222",
    "DeepSeek": "#4d6bfe",
    "Qwen": "#7b3fe4",
    "Meta LLaMA": "#0866ff",
    "Mistral AI": "#fa520f",
    "Minimax": "#e83e8c",
    "Z-AI": "#2e7d32",
    "MoonshotAI": "#6d4c41",
    "TNGTech": "#00838f",
    # categories (the taxonomy's report order)
    "Programming": "#1565c0",
    "Roleplay": "#d81b60",
    "Translation": "#00897b",
    "Creative Writing": "#8e24aa",
    "Education": "#f9a825",
    "General Q&A": "#6d8b74",
    "Productivity": "#5c6bc0",
    "Science": "#43a047",
    "Health": "#e53935",
    "Finance": "#fb8c00",
    "Legal": "#795548",
    "Technology": "#26a69a",
    "Academia": "#9e9d24",
    "Marketing": "#ec407a",
    "Trivia": "#8d6e63",
    "Adult": "#616161",
    "How-To & DIY": "#a1887f",
    "Others": "#cfcfcf",
    # billing regions
    "North America": "#1f3b73",
    "Europe": "#3f8efc",
    "Asia": "#e4572e",
    "South America": "#59a14f",
    "Oceania": "#17a398",
    "Africa": "#f2a541",
    # grouped remainders
    "Other OSS": "#cfcfcf",
    "Other": "#cfcfcf",
}

#: Palette for other labels (Tableau 20 without greys).
_CYCLE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#9d7660", "#499894",
    "#d37295", "#b6992d", "#86bcb6", "#a0cbe8", "#ffbe7d", "#8cd17d", "#f1ce63",
    "#ff9d9a", "#fabfd2", "#d4a6c8", "#d7b5a6",
)  # fmt: skip


def _hashed(label: str) -> str:
    digest = hashlib.sha1(label.encode("utf-8")).digest()
    return _CYCLE[int.from_bytes(digest[:4], "big") % len(_CYCLE)]


def color_for(label: str) -> str:
    """The fixed colour of a well-known label, else a stable hashed one."""
    return FIXED.get(label) or _hashed(label)


class Palette:
    """Colours assigned once per report: fixed labels first, then each dimension's labels.

    ``Palette.assign(labels)`` walks ``labels`` (largest first) and gives each unseen label
    the next colour of the cycle; :meth:`for_dimensions` does so per dimension (authors,
    models, tags ...), so the most visible labels of each get distinct colours.  A label
    keeps its colour in every chart; only when two labels of one chart would share a
    colour does the smaller one borrow a free colour in that chart.
    """

    def __init__(self, assigned: Mapping[str, str] | None = None) -> None:
        self._colors: dict[str, str] = dict(assigned or {})

    @classmethod
    def assign(cls, labels: Iterable[str]) -> Palette:
        return cls.for_dimensions([labels])

    @classmethod
    def for_dimensions(cls, dimensions: Iterable[Iterable[str]]) -> Palette:
        colors: dict[str, str] = {}
        for labels in dimensions:
            i = 0
            for label in labels:
                if label in FIXED or label in colors:
                    continue
                colors[label] = _CYCLE[i % len(_CYCLE)]
                i += 1
        return cls(colors)

    def __getitem__(self, label: str) -> str:
        return FIXED.get(label) or self._colors.get(label) or _hashed(label)

    def __contains__(self, label: object) -> bool:
        return label in FIXED or label in self._colors

    def colors(self, labels: list[str]) -> list[str]:
        """Colours for one chart's legend (in legend order: largest first)."""
        out: list[str] = []
        used: set[str] = set()
        for label in labels:
            color = self[label]
            if label not in FIXED and color in used:
                start = _CYCLE.index(color) if color in _CYCLE else 0
                for k in range(1, len(_CYCLE)):
                    candidate = _CYCLE[(start + k) % len(_CYCLE)]
                    if candidate not in used:
                        color = candidate
                        break
            used.add(color)
            out.append(color)
        return out


def colors_for(labels: list[str], palette: Palette | None = None) -> list[str]:
    """Colours for a list of labels (a chart's legend domain)."""
    return (palette or Palette()).colors(labels)
