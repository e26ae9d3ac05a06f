"""The expression digest that keys the SQL a kept run reuses."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import ibis
import pytest

from tokencensus.engine.digest import expr_digest

_BUILD = """
import ibis
from datetime import date
from tokencensus.study import _named_memtables

def build(top=3, levels=("a", "b"), start=date(2025, 1, 6)):
    t = ibis.table({"week": "date", "model": "string", "tokens": "int64"}, name="weekly")
    t = t.filter(t.week >= start)
    top_models = t.group_by("model").agg(total=t.tokens.sum()).order_by(
        ibis.desc("total")).limit(top)
    grid = ibis.memtable({"model": list(levels)})
    j = grid.left_join(top_models, "model")
    share = (j.total / j.total.sum().over()).cast("float64")
    return _named_memtables(j.mutate(share=share), {})
"""


def _build(**kw: object) -> ibis.Table:
    scope: dict[str, object] = {}
    exec(_BUILD, scope)
    return scope["build"](**kw)  # type: ignore[operator,no-any-return]


def test_the_same_expression_has_the_same_digest_in_another_process() -> None:
    here = expr_digest(_build())
    code = (
        _BUILD + "\nfrom tokencensus.engine.digest import expr_digest\nprint(expr_digest(build()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    assert here is not None and len(here) == 32
    assert there == here


def test_every_difference_changes_the_digest() -> None:
    base = expr_digest(_build())
    assert expr_digest(_build()) == base
    for changed in (
        _build(top=4),
        _build(levels=("a", "c")),  # an in-memory table's content
        _build(start=date(2025, 1, 13)),
    ):
        assert expr_digest(changed) != base
    other = ibis.table({"week": "date", "model": "string", "tokens": "int32"}, name="weekly")
    same_shape = ibis.table({"week": "date", "model": "string", "tokens": "int64"}, name="weekly")
    assert expr_digest(other) != expr_digest(same_shape)


def test_values_without_a_stable_text_are_refused() -> None:
    """An object shown by its address would give another digest in every process."""
    from tokencensus.engine import digest

    class Opaque:
        pass

    with pytest.raises(digest._Unstable):
        digest._value(Opaque(), {})
    assert digest._value((1, "a", date(2025, 1, 6)), {}) == digest._value(
        (1, "a", date(2025, 1, 6)), {}
    )
