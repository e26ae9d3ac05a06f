"""What an artifact computes beside its table, stated in its block.

* **F25**: the foundational cohorts and boomerang rises the study detected
  (``data/F25_foundational.csv``, ``data/F25_boomerang.csv``), as two small tables under the
  rules that found them;
* **F27**: the fitted log-log slope (the price elasticity of usage), its 95% interval and R²
  (``data/F27_fit.csv``).

``FINDINGS`` maps an artifact id to the function that draws its part; artifacts without
one add nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from tokencensus.analyses import StudyConfig
from tokencensus.report.fmt import fmt_pct
from tokencensus.report.tags import el

if TYPE_CHECKING:
    from tokencensus.study import ArtifactResult

__all__ = ["FINDINGS", "cohort_patterns", "elasticity_fit", "findings", "pattern_rules"]


_FOUND_HEAD = ("model", "cohort", "month k", "retention at k", "later cohorts' median",
               "later cohorts", "margin")  # fmt: skip
_BOOM_HEAD = ("model", "cohort", "lowest since month 1", "rise at month", "retention", "rise")


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def _pp(x: Any) -> str:
    return f"{100 * float(x):+.1f} pp"


def _names(res: ArtifactResult) -> dict[str, str]:
    df = res.data
    if not {"model", "name"} <= set(df.columns):
        return {}
    return dict(zip(df["model"].astype(str), df["name"].astype(str), strict=True))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> object:
    return el(
        "div",
        {"class": "table-wrap"},
        el(
            "table",
            {"class": "data"},
            el("tr", None, [el("th", None, h) for h in head]),
            [el("tr", None, [el("td", None, c) for c in r]) for r in rows],
        ),
    )


def pattern_rules(config: StudyConfig | None = None) -> tuple[str, str]:
    """The foundational and boomerang rules, in words, with ``config``'s numbers."""
    c = config or StudyConfig()
    offsets = ", ".join(str(k) for k in c.foundational_offsets)
    size = f"Cohorts of at least {c.min_cohort_users} users are assessed."
    return (
        f"Foundational: the cohort's retention at month k beats the median retention at "
        f"month k of the model's later cohorts by at least {100 * c.foundational_margin:.0f} "
        f"points, k being the largest of {offsets} at which at least two later cohorts are "
        f"observed. {size}",
        f"Boomerang: the cohort's retention climbs at least {100 * c.boomerang_rise:.0f} points "
        f"above its lowest value since month 1 (users who left come back); the first such "
        f"month is listed. {size}",
    )


def cohort_patterns(res: ArtifactResult) -> object:
    """F25: the detected foundational cohorts and boomerang rises, with their rules."""
    found = res.extras.get("foundational")
    boom = res.extras.get("boomerang")
    if found is None and boom is None:
        return None
    names = _names(res)
    found_rule, boom_rule = pattern_rules()

    def name(model: Any) -> str:
        return names.get(str(model), str(model))

    parts: list[object] = [el("h4", None, "Detected cohort patterns")]
    if found is not None:
        rows: list[tuple[str, ...]] = [
            (name(r.model), _month(r.cohort_month), str(int(r.month_offset)),
             fmt_pct(r.retention), fmt_pct(r.later_median), str(int(r.later_cohorts)),
             _pp(r.margin))
            for r in found.itertuples(index=False)
        ]  # fmt: skip
        parts.append(el("p", {"class": "rule"}, el("strong", None, "Rule. "), found_rule))
        parts.append(
            _table(_FOUND_HEAD, rows)
            if rows
            else el("p", {"class": "caption"}, "No foundational cohort detected.")
        )
    if boom is not None:
        rows = [
            (name(r.model), _month(r.cohort_month), f"{fmt_pct(r.trough)} at month "
             f"{int(r.trough_offset)}", str(int(r.rise_offset)), fmt_pct(r.retention), _pp(r.rise))
            for r in boom.itertuples(index=False)
        ]  # fmt: skip
        parts.append(el("p", {"class": "rule"}, el("strong", None, "Rule. "), boom_rule))
        parts.append(
            _table(_BOOM_HEAD, rows)
            if rows
            else el("p", {"class": "caption"}, "No boomerang rise detected.")
        )
    return el("div", {"class": "findings", "id": f"{res.artifact.id}-patterns"}, parts)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _per_ten(slope: float) -> str:
    """The usage change along the fitted line for a 10% lower price (log-log: 0.9^slope)."""
    change = 0.9**slope - 1
    return f"{100 * abs(change):.2g}% {'more' if change >= 0 else 'less'}"


def elasticity_fit(res: ArtifactResult) -> object:
    """F27: the fitted slope of log usage on log cost, its 95% interval and R²."""
    fit = res.extras.get("fit")
    if fit is None or fit.empty:
        return None
    r = fit.iloc[0]
    n = _num(r.get("n"))
    slope, lo, hi, r2 = (_num(r.get(c)) for c in ("slope", "slope_low", "slope_high", "r2"))
    models = f" over {int(n):,} models" if n is not None else ""
    if slope is None:
        text = (
            f"No fitted line{models}: the fit needs at least three models with distinct "
            "effective costs."
        )
    else:
        ci = f", 95% interval {lo:.3f} to {hi:.3f}" if lo is not None and hi is not None else ""
        fit_r2 = f", R² = {r2:.3f}" if r2 is not None else ""
        text = (
            f"Fitted log-log line{models}: slope (price elasticity of usage) {slope:.3f}{ci}"
            f"{fit_r2}; a 10% lower price goes with {_per_ten(slope)} usage along the line."
        )
    return el("p", {"class": "caption fit", "id": f"{res.artifact.id}-fit"}, text)


FINDINGS: dict[str, Callable[[ArtifactResult], object]] = {
    "F25": cohort_patterns,
    "F27": elasticity_fit,
}


def findings(res: ArtifactResult) -> object:
    """The artifact's own findings for its block (None for most artifacts)."""
    draw = FINDINGS.get(res.artifact.id)
    return draw(res) if draw is not None else None
