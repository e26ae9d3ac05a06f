"""Kinds of published statements and their fixed tolerances.

A statement's kind says how a measured value is held against the published one.  The
tolerances are properties of the kind, the same for every run; nothing here looks at a run.

==============  ======================================================================
kind            passes when
==============  ======================================================================
share_pp        |measured - published| <= 2 percentage points (numbers given exactly:
                "13.0%", "15.6%", "82.87")
approx_pp       |measured - published| <= 5 pp (numbers given as "≈", "about", "roughly")
range_pp        published range [lo, hi] widened by 2 pp on each side ("15-20%")
above / below   measured > / < the published bound, no tolerance ("> 50%", "< 15%")
mean_rel        |measured / published - 1| <= 15% (means, prices, counts: "≈ 1.5K")
ratio_rel       |measured / published - 1| <= 25% (growth factors: "≈ 4x")
range_rel       published range [lo, hi] widened by 15% on each side ("3-4x")
range_abs       published range [lo, hi] widened by 0.05 on each side (slopes)
log_abs         |measured - published| <= 0.5 in log10 units (usage on a log scale)
count_range     lo <= measured <= hi, integers, no tolerance ("5-7 models")
rank_order      the measured top-N list starts with the published list, in order
rank_set        the measured top-N holds exactly the published N items, any order
rank_in         every published item is within the measured top-N
direction       "up": late >= 1.1 x early; "down": late <= 0.9 x early
pattern         a stated, tested rule (e.g. a foundational cohort) holds
==============  ======================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["KINDS", "Kind", "judge"]

SHARE_PP = 0.02
APPROX_PP = 0.05
MEAN_REL = 0.15
RATIO_REL = 0.25
RANGE_ABS = 0.05
LOG_ABS = 0.5
DIRECTION = 0.10


@dataclass(frozen=True)
class Kind:
    name: str
    tolerance: str
    passes: Callable[[Any, Any], bool]
    fmt: Callable[[Any], str]


def _pct(x: Any) -> str:
    return f"{100 * float(x):.2f}%"


def _num(x: Any) -> str:
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"
    return f"{x:.3g}"


def _range(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    def show(x: Any) -> str:
        if isinstance(x, (tuple, list)) and len(x) == 2 and not isinstance(x[0], str):
            return f"{fmt(x[0])} – {fmt(x[1])}"
        return fmt(x)

    return show


def _list(x: Any) -> str:
    if isinstance(x, (list, tuple)):
        return ", ".join(str(i) for i in x)
    return str(x)


def _bool(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "holds" if x else "does not hold"
    return str(x)


def _direction(x: Any) -> str:
    if isinstance(x, (tuple, list)):
        return f"{_num(x[0])} → {_num(x[1])}"
    return str(x)


def _within(lo: float, hi: float) -> Callable[[float], bool]:
    return lambda m: lo <= m <= hi


def _rel(p: float, m: float, tol: float) -> bool:
    return p != 0 and abs(m / p - 1.0) <= tol + 1e-12


def _dir(p: str, m: Sequence[float]) -> bool:
    early, late = float(m[0]), float(m[1])
    if p == "up":
        return late >= early * (1 + DIRECTION) and late > early
    return late <= early * (1 - DIRECTION) and late < early


def _finite(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(float(v)) for v in values)


KINDS: dict[str, Kind] = {
    "share_pp": Kind(
        "share_pp", "±2 pp", lambda p, m: abs(float(m) - float(p)) <= SHARE_PP + 1e-12, _pct
    ),
    "approx_pp": Kind(
        "approx_pp", "±5 pp", lambda p, m: abs(float(m) - float(p)) <= APPROX_PP + 1e-12, _pct
    ),
    "range_pp": Kind(
        "range_pp",
        "range ±2 pp",
        lambda p, m: _within(p[0] - SHARE_PP - 1e-12, p[1] + SHARE_PP + 1e-12)(float(m)),
        _range(_pct),
    ),
    "above": Kind("above", "strictly above", lambda p, m: float(m) > float(p), _num),
    "below": Kind("below", "strictly below", lambda p, m: float(m) < float(p), _num),
    "above_share": Kind("above_share", "strictly above", lambda p, m: float(m) > float(p), _pct),
    "below_share": Kind("below_share", "strictly below", lambda p, m: float(m) < float(p), _pct),
    "mean_rel": Kind("mean_rel", "±15%", lambda p, m: _rel(float(p), float(m), MEAN_REL), _num),
    "ratio_rel": Kind("ratio_rel", "±25%", lambda p, m: _rel(float(p), float(m), RATIO_REL), _num),
    "range_rel": Kind(
        "range_rel",
        "range ±15%",
        lambda p, m: _within(p[0] * (1 - MEAN_REL), p[1] * (1 + MEAN_REL))(float(m)),
        _range(_num),
    ),
    "range_abs": Kind(
        "range_abs",
        "range ±0.05",
        lambda p, m: _within(p[0] - RANGE_ABS - 1e-12, p[1] + RANGE_ABS + 1e-12)(float(m)),
        _range(lambda x: f"{float(x):.3f}"),
    ),
    "log_abs": Kind(
        "log_abs",
        "±0.5 (log10)",
        lambda p, m: abs(float(m) - float(p)) <= LOG_ABS + 1e-12,
        lambda x: f"{float(x):.2f}",
    ),
    "count_range": Kind(
        "count_range", "exact range", lambda p, m: p[0] <= float(m) <= p[1], _range(_num)
    ),
    "rank_order": Kind(
        "rank_order",
        "same order",
        lambda p, m: list(m[: len(p)]) == list(p),
        _list,
    ),
    "rank_set": Kind("rank_set", "same top-N set", lambda p, m: set(m[: len(p)]) == set(p), _list),
    "rank_in": Kind("rank_in", "all within measured top-N", lambda p, m: set(p) <= set(m), _list),
    "direction": Kind("direction", "≥ 10% change", _dir, _direction),
    "pattern": Kind("pattern", "rule holds", lambda p, m: bool(m) is bool(p), _bool),
}


def judge(kind: str, published: Any, measured: Any) -> bool:
    """Whether ``measured`` meets ``published`` under the kind's fixed tolerance."""
    k = KINDS[kind]
    if kind in {"rank_order", "rank_set", "rank_in", "pattern"}:
        return k.passes(published, measured)
    if kind == "direction":
        return _finite(*measured) and k.passes(published, measured)
    if not _finite(measured):
        return False
    return k.passes(published, measured)
