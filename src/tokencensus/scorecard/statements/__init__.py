"""Statement modules, one per study section; importing this package registers them all,
then attaches the demo platform's known-miss reasons (``misses.py``)."""

from __future__ import annotations

import importlib

from tokencensus.scorecard.registry import attach_reasons
from tokencensus.scorecard.statements.misses import KNOWN_MISSES, SEED_DEPENDENT

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

attach_reasons({**KNOWN_MISSES, **SEED_DEPENDENT})
