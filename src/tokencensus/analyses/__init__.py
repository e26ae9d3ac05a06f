"""The study's analyses, one module per paper section.

Importing this package registers every artifact.  ``SECTION_MODULES`` is the
report's order.
"""

from __future__ import annotations

import importlib

from tokencensus.analyses.registry import (
    ARTIFACTS,
    PAPER_ORDER,
    SECTIONS,
    Artifact,
    Section,
    StudyConfig,
)

__all__ = ["ARTIFACTS", "SECTIONS", "SECTION_MODULES", "Artifact", "Section", "StudyConfig"]

#: Section modules in report order.
SECTION_MODULES: tuple[str, ...] = (
    "open_closed",
    "agentic",
    "categories",
    "geography",
    "retention",
    "cost",
)

for _name in SECTION_MODULES:
    importlib.import_module(f"tokencensus.analyses.{_name}")

# Registry order = the paper's order (modules may register a section's figures out of order).
for _id in sorted(ARTIFACTS, key=lambda a: (*PAPER_ORDER, a).index(a)):
    ARTIFACTS[_id] = ARTIFACTS.pop(_id)
