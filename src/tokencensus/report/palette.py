"""One colour per source type, size class, author and category, the same in every chart."""

from __future__ import annotations

import hashlib

__all__ = ["color_for", "colors_for"]

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
    # grouped remainders
    "Other OSS": "#cfcfcf",
    "Other": "#cfcfcf",
}

#: Fallback palette (Tableau 20 without greys), chosen by a stable hash of the label.
_CYCLE = (
    "#4e79a7", "#a0cbe8", "#f28e2b", "#ffbe7d", "#59a14f", "#8cd17d", "#b6992d",
    "#f1ce63", "#499894", "#86bcb6", "#e15759", "#ff9d9a", "#d37295", "#fabfd2",
    "#b07aa1", "#d4a6c8", "#9d7660", "#d7b5a6",
)  # fmt: skip


def color_for(label: str) -> str:
    if label in FIXED:
        return FIXED[label]
    digest = hashlib.sha1(label.encode("utf-8")).digest()
    return _CYCLE[int.from_bytes(digest[:4], "big") % len(_CYCLE)]


def colors_for(labels: list[str]) -> list[str]:
    """Colours for a list of labels; repeats of the hashed palette are shifted apart."""
    used: set[str] = set()
    out = []
    for label in labels:
        color = color_for(label)
        if label not in FIXED and color in used:
            start = _CYCLE.index(color)
            for k in range(1, len(_CYCLE)):
                candidate = _CYCLE[(start + k) % len(_CYCLE)]
                if candidate not in used:
                    color = candidate
                    break
        used.add(color)
        out.append(color)
    return out
