"""The statement registry: every published number the scorecard holds a run against.

A statement is plain data (id, artifact, wording, kind, published value) plus a measure
function that reads the run's artifact tables.  Statements register themselves in
``STATEMENTS`` when their section module (``scorecard/statements/*.py``) is imported; a
known miss of the demo platform also carries why (``statements/misses.py``), shown when it
fails and never read by the judging.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tokencensus.scorecard.kinds import KINDS
from tokencensus.scorecard.measure import Frames

__all__ = ["STATEMENTS", "Statement", "attach_reasons", "statement"]


@dataclass(frozen=True)
class Statement:
    id: str
    artifact: str
    text: str
    kind: str
    published: Any
    published_text: str
    measure: Callable[[Frames], Any]
    #: Why the demo platform misses it (empty: not a known miss).  An explanation only.
    miss_reason: str = ""


STATEMENTS: dict[str, Statement] = {}


def _text(published: Any) -> str:
    if isinstance(published, (list, tuple)):
        return ", ".join(str(x) for x in published)
    return str(published)


def statement(
    id: str,
    artifact: str,
    text: str,
    kind: str,
    published: Any,
    published_text: str | None = None,
) -> Callable[[Callable[[Frames], Any]], Callable[[Frames], Any]]:
    """Register ``measure`` as the statement ``id`` about ``artifact``."""
    if kind not in KINDS:
        raise ValueError(f"statement {id}: unknown kind {kind!r}")

    def register(measure: Callable[[Frames], Any]) -> Callable[[Frames], Any]:
        if id in STATEMENTS:
            raise ValueError(f"statement {id} registered twice")
        STATEMENTS[id] = Statement(
            id=id,
            artifact=artifact,
            text=text,
            kind=kind,
            published=published,
            published_text=published_text if published_text is not None else _text(published),
            measure=measure,
        )
        return measure

    return register


def attach_reasons(reasons: Mapping[str, str]) -> None:
    """Give each statement named in ``reasons`` its miss reason (ids must be registered)."""
    unknown = sorted(set(reasons) - set(STATEMENTS))
    if unknown:
        raise ValueError(f"miss reasons for unregistered statements: {', '.join(unknown)}")
    for sid, why in reasons.items():
        STATEMENTS[sid] = replace(STATEMENTS[sid], miss_reason=why)
