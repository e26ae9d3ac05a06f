"""Statement modules, one per study section; importing this package registers them all."""

from __future__ import annotations

import importlib

#: Section modules in scorecard order.
SECTION_MODULES: tuple[str, ...] = (
    "open_closed",
    "categories",
    "agentic",
    "geography",
    "retention",
    "cost",
)

for _name in SECTION_MODULES:
    importlib.import_module(f"tokencensus.scorecard.statements.{_name}")
