"""The content taxonomy, the path -> tag -> category mapping, and the multi-label roll-up.

A classifier emits hierarchical content paths (Google Cloud Natural Language's V2 content
categories, e.g. ``/Computers & Electronics/Programming``) with confidences.  The study maps
each path to a **tag** and each tag to exactly one **category** (section 2.2 of the paper).
Both live in editable data files next to this module:

* ``data/taxonomy.txt`` -- the known paths, one a line;
* ``data/mapping.csv`` -- ``path_prefix,tag,category`` rows.  The longest prefix (whole path
  segments) wins; a path that matches no row gets tag ``<first segment>/Other`` and category
  ``Others``.

Multi-label rule (:func:`rollup_labels`): labels below the threshold (0.5) are dropped; each
kept label becomes one row with weight ``confidence / sum(kept confidences)``, so an event's
weights sum to 1.  Rows whose category is ``Others`` are kept and flagged ``is_other`` (the
paper leaves Others out of most analyses: drop those rows and renormalise if you need shares
over the named categories).  An event with no label at or above the threshold yields one
``Others`` row of weight 1.  ``rule="split"`` (default) gives each row its own category (for
category shares); ``rule="primary"`` files every row under the category of the event's most
confident named label (``is_other`` still tells whether the label itself maps to Others) (for tag composition within a category, e.g. F21's Adult tag inside
Roleplay).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from tokencensus.errors import ConfigError, did_you_mean

__all__ = [
    "CATEGORIES",
    "OTHERS",
    "STUDY_CATEGORIES",
    "LabelRow",
    "Mapping",
    "load_mapping",
    "load_taxonomy",
    "rollup_labels",
    "validate_path",
]

OTHERS = "Others"

#: The twelve categories the accuracy target (and F21's two panels) covers.
STUDY_CATEGORIES: tuple[str, ...] = (
    "Programming",
    "Roleplay",
    "Translation",
    "Creative Writing",
    "Education",
    "General Q&A",
    "Productivity",
    "Science",
    "Health",
    "Finance",
    "Legal",
    "Technology",
)

#: Every category the shipped mapping can produce, in report order.
CATEGORIES: tuple[str, ...] = (
    *STUDY_CATEGORIES,
    "Academia",
    "Marketing",
    "Trivia",
    "Adult",
    OTHERS,
)

RULES = ("split", "primary")


class LabelRow(NamedTuple):
    """One classifier label after the roll-up."""

    path: str
    tag: str
    category: str
    weight: float
    is_other: bool


def validate_path(path: object) -> str:
    """Return ``path`` if it is a well-formed content path, else raise ConfigError."""
    if not isinstance(path, str) or not path.startswith("/") or "//" in path or path.endswith("/"):
        raise ConfigError(
            f"Bad content-category path {path!r}: a path starts with '/' and has non-empty "
            "segments, e.g. '/Computers & Electronics/Programming'. Fix the label source."
        )
    return path


def _data_text(name: str) -> str:
    return resources.files("tokencensus.enrich.classify").joinpath("data", name).read_text("utf-8")


@functools.lru_cache(maxsize=1)
def load_taxonomy() -> frozenset[str]:
    """The known content paths (``data/taxonomy.txt``)."""
    lines = _data_text("taxonomy.txt").splitlines()
    return frozenset(s for s in (ln.strip() for ln in lines) if s and not s.startswith("#"))


@dataclass(frozen=True)
class Mapping:
    """Path prefix -> (tag, category) rules; see the module docstring."""

    rules: dict[str, tuple[str, str]]

    def resolve(self, path: str) -> tuple[str, str]:
        """(tag, category) of a content path by the longest matching prefix."""
        probe = path.rstrip("/")
        while probe:
            hit = self.rules.get(probe)
            if hit is not None:
                return hit
            probe = probe.rsplit("/", 1)[0]
        first = path.strip("/").split("/", 1)[0] or "Unknown"
        return (f"{first}/Other", OTHERS)

    def category(self, path: str) -> str:
        return self.resolve(path)[1]

    def tag(self, path: str) -> str:
        return self.resolve(path)[0]

    @property
    def categories(self) -> tuple[str, ...]:
        seen = {c for _, c in self.rules.values()} | {OTHERS}
        known = [c for c in CATEGORIES if c in seen]
        return (*known, *sorted(seen - set(known)))


def _parse_mapping(text: str, source: str) -> Mapping:
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    reader = csv.DictReader(io.StringIO(body))
    need = {"path_prefix", "tag", "category"}
    if reader.fieldnames is None or not need <= set(reader.fieldnames):
        raise ConfigError(
            f"Mapping file {source} must have the columns path_prefix,tag,category; "
            f"saw {reader.fieldnames}. Start from the shipped data/mapping.csv."
        )
    rules: dict[str, tuple[str, str]] = {}
    tag_category: dict[str, str] = {}
    for line_no, row in enumerate(reader, start=2):
        prefix = (row["path_prefix"] or "").strip()
        tag = (row["tag"] or "").strip()
        category = (row["category"] or "").strip()
        if not tag or not category:
            raise ConfigError(
                f"Mapping file {source}, row {line_no}: tag and category must not be empty "
                f"(saw tag={tag!r}, category={category!r})."
            )
        try:
            validate_path(prefix)
        except ConfigError as exc:
            raise ConfigError(f"Mapping file {source}, row {line_no}: {exc}") from None
        if prefix in rules:
            raise ConfigError(
                f"Mapping file {source}, row {line_no}: prefix {prefix!r} appears twice. "
                "Keep one row per prefix."
            )
        if tag_category.setdefault(tag, category) != category:
            raise ConfigError(
                f"Mapping file {source}, row {line_no}: tag {tag!r} rolls up to "
                f"{tag_category[tag]!r} and {category!r}; a tag must roll up to exactly one "
                "category. Rename one of the tags."
            )
        rules[prefix] = (tag, category)
    return Mapping(rules)


@functools.lru_cache(maxsize=8)
def _load_mapping_cached(path: str | None) -> Mapping:
    source = "data/mapping.csv" if path is None else str(Path(path))
    return _parse_mapping(mapping_text(path), source)


def mapping_text(path: str | Path | None = None) -> str:
    """The text of the mapping :func:`load_mapping` reads (what a cache of mapped labels
    depends on)."""
    if path is None:
        return _data_text("mapping.csv")
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"Mapping file {path} does not exist. Pass an existing CSV file.")
    return p.read_text(encoding="utf-8")


def load_mapping(path: str | Path | None = None) -> Mapping:
    """The path -> tag -> category mapping: the shipped one, or a CSV file of yours."""
    return _load_mapping_cached(None if path is None else str(path))


def rollup_labels(
    paths: Sequence[str],
    confidences: Sequence[float],
    *,
    threshold: float = 0.5,
    rule: str = "split",
    mapping: Mapping | None = None,
) -> list[LabelRow]:
    """Turn one event's labels into weighted (path, tag, category) rows.

    See the module docstring for the rule.  ``paths`` and ``confidences`` are parallel.
    """
    if rule not in RULES:
        raise ConfigError(
            f"Unknown roll-up rule {rule!r}; use one of {', '.join(RULES)}.{did_you_mean(rule, RULES)}"
        )
    if len(paths) != len(confidences):
        raise ConfigError(
            f"rollup_labels got {len(paths)} paths but {len(confidences)} confidences; "
            "pass parallel sequences."
        )
    mapping = mapping or load_mapping()
    kept = [
        (p, float(c))
        for p, c in zip(paths, confidences, strict=False)
        if c is not None and c >= threshold
    ]
    if not kept:
        return [LabelRow("", OTHERS, OTHERS, 1.0, True)]
    total = sum(c for _, c in kept)
    resolved = [(p, c, *mapping.resolve(p)) for p, c in kept]
    primary = None
    if rule == "primary":
        named = [r for r in resolved if r[3] != OTHERS]
        primary = max(named, key=lambda r: r[1])[3] if named else OTHERS
    rows = []
    for p, c, tag, category in resolved:
        cat = primary or category
        rows.append(
            LabelRow(p, tag, cat, c / total if total > 0 else 1.0 / len(kept), cat == OTHERS)
        )
    return rows
