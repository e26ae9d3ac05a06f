"""The reproduction scorecard: every published number, held against a run's artifacts.

``score(frames)`` measures each registered statement (``scorecard/statements``) on the
study's result tables, keyed by artifact id, and judges it under its kind's fixed tolerance
(``scorecard/kinds.py``).  A statement whose artifact was not computed, or cannot answer it,
is *not measurable* and counts neither way.  ``note`` says why a statement was not
measurable, or, for a failed known miss of the demo platform, why it misses
(``scorecard/statements/misses.py``).

    from tokencensus.scorecard import load_frames, score
    card = score(load_frames("report/"))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tokencensus.scorecard.kinds import KINDS, judge
from tokencensus.scorecard.measure import NotMeasurable
from tokencensus.scorecard.registry import STATEMENTS, Statement, statement
from tokencensus.scorecard.statements import SECTION_MODULES

__all__ = [
    "COLUMNS",
    "KINDS",
    "STATEMENTS",
    "NotMeasurable",
    "Statement",
    "load_frames",
    "result_frames",
    "score",
    "statement",
    "summary",
]

PASS, FAIL, NOT_MEASURABLE = "pass", "fail", "not measurable"
COLUMNS = (
    "id",
    "artifact",
    "statement",
    "kind",
    "published",
    "measured",
    "tolerance",
    "status",
    "note",
)
_ = SECTION_MODULES  # registered on import


def _row(st: Statement, frames: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    kind = KINDS[st.kind]
    row = {
        "id": st.id,
        "artifact": st.artifact,
        "statement": st.text,
        "kind": st.kind,
        "published": st.published_text,
        "measured": "",
        "tolerance": kind.tolerance,
        "status": NOT_MEASURABLE,
        "note": "",
    }
    try:
        value = st.measure(frames)
    except NotMeasurable as exc:
        row["note"] = str(exc)
        return row
    except (KeyError, IndexError, ValueError, ZeroDivisionError) as exc:
        row["note"] = f"cannot measure: {type(exc).__name__}: {exc}"
        return row
    row["measured"] = kind.fmt(value)
    row["status"] = PASS if judge(st.kind, st.published, value) else FAIL
    if row["status"] == FAIL and st.miss_reason:  # explained after judging, never judged on
        row["note"] = f"known miss of the demo platform: {st.miss_reason}"
    return row


def score(
    frames: Mapping[str, pd.DataFrame], statements: Iterable[Statement] | None = None
) -> pd.DataFrame:
    """One row per statement: published, measured, tolerance, pass / fail / not measurable."""
    chosen = list(STATEMENTS.values()) if statements is None else list(statements)
    return pd.DataFrame([_row(st, frames) for st in chosen], columns=list(COLUMNS))


def summary(card: pd.DataFrame) -> dict[str, Any]:
    """Counts for a scorecard: passed, failed, measurable, not measurable, pass rate."""
    passed = int((card["status"] == PASS).sum())
    failed = int((card["status"] == FAIL).sum())
    measurable = passed + failed
    return {
        "statements": len(card),
        "measurable": measurable,
        "passed": passed,
        "failed": failed,
        "not_measurable": len(card) - measurable,
        "pass_rate": passed / measurable if measurable else None,
    }


def load_frames(report_dir: str | Path) -> dict[str, pd.DataFrame]:
    """A study output folder's tables (``data/<ID>.csv``, extras ``data/<ID>_<name>.csv``)."""
    return {p.stem: pd.read_csv(p) for p in sorted(Path(report_dir, "data").glob("*.csv"))}


def result_frames(results: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The tables of a run's ``ArtifactResult``s, extras keyed ``<ID>_<name>``."""
    frames: dict[str, pd.DataFrame] = {}
    for aid, res in results.items():
        frames[aid] = res.data
        for name, extra in getattr(res, "extras", {}).items():
            if isinstance(extra, pd.DataFrame):
                frames[f"{aid}_{name}"] = extra
    return frames
