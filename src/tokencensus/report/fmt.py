"""Number formats shared by the report's text, cards and tables."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["fmt_cell", "fmt_count", "fmt_pct", "fmt_usd"]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def fmt_count(n: float | None) -> str:
    """1234567 -> '1.23M' (tokens, events)."""
    if _missing(n):
        return "–"
    n = float(n)  # type: ignore[arg-type]
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:,.0f}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """0.1234 -> '12.3%'; missing -> '–'."""
    return "–" if _missing(x) else f"{100 * float(x):.{digits}f}%"  # type: ignore[arg-type]


def fmt_usd(x: float | None) -> str:
    """0.7312 -> '$0.731'; missing -> '–'."""
    if _missing(x):
        return "–"
    x = float(x)  # type: ignore[arg-type]
    return f"${x:,.2f}" if abs(x) >= 100 else f"${x:.3g}"


def fmt_cell(value: Any, col: str) -> str:
    """A data-table cell: shares as percentages, dates as days, counts with separators."""
    if _missing(value):
        return "–"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else ""
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        value = float(value)
        if col in ("share", "retention") or col.startswith("share_"):
            return f"{value:.2%}"
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:,.4g}"
    if isinstance(value, int) or type(value).__name__.startswith("int"):
        return f"{int(value):,}"
    return str(value)
