"""A stable digest of an Ibis expression: the same in every process for the same query.

Compiling an artifact's expression to SQL costs more than running it on small rollups
(20-100 ms each); a run that keeps its rollups also keeps the SQL it compiled, keyed by
this digest, and runs the kept SQL when the expression it would compile is the same.

The digest walks the operation graph: every node's class and arguments (names, literal
values, data types, schemas), tables by name and schema.  Two expressions with the same
digest compile to the same SQL.  In-memory tables are taken by name, so they must be
named after their content first (``study._named_memtables`` does); a backend object is
left out (tables are named in the SQL, not bound to a connection).  A value whose text
would differ between processes (an object shown by its address) makes the expression
undigestible: None, and the caller compiles.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import ibis
import ibis.expr.operations as ops

__all__ = ["MEMTABLE_PREFIX", "expr_digest"]

#: How in-memory tables named after their content are named (``study._named_memtables``).
MEMTABLE_PREFIX = "tokencensus_memtable_"

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _Unstable(Exception):
    pass


def expr_digest(expr: ibis.Expr) -> str | None:
    """sha256 (32 hex digits) of ``expr``'s operation graph, or None if it has a value
    whose text is not stable across processes."""
    memo: dict[int, str] = {}
    try:
        text = _node(expr.op(), memo)
    except _Unstable:
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _node(node: ops.Node, memo: dict[int, str]) -> str:
    key = id(node)
    if key in memo:
        return memo[key]
    kind = f"{type(node).__module__}.{type(node).__qualname__}"
    parts = []
    for name, arg in zip(node.__argnames__, node.__args__, strict=True):
        if isinstance(node, ops.InMemoryTable) and name == "data":
            continue  # named after its content
        if isinstance(arg, ibis.BaseBackend):
            continue
        parts.append(f"{name}={_value(arg, memo)}")
    # children are hashed into their parent: a short digest stands for each node
    text = hashlib.sha256(f"{kind}({','.join(parts)})".encode()).hexdigest()[:32]
    memo[key] = text
    return text


def _value(arg: Any, memo: dict[int, str]) -> str:
    if isinstance(arg, ops.Node):
        return _node(arg, memo)
    if isinstance(arg, tuple | list):
        return "(" + ",".join(_value(a, memo) for a in arg) + ")"
    if isinstance(arg, frozenset | set):
        return "{" + ",".join(sorted(_value(a, memo) for a in arg)) + "}"
    if isinstance(arg, dict) or (hasattr(arg, "items") and not isinstance(arg, str | bytes)):
        return "{" + ",".join(f"{k!r}:{_value(v, memo)}" for k, v in arg.items()) + "}"
    text = f"{type(arg).__qualname__}:{arg!r}"
    if _ADDRESS.search(text):
        raise _Unstable(text)
    return text
