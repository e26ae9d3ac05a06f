"""The shared building blocks of the analyses, on tables worked out by hand."""

from __future__ import annotations

import math

import ibis
import pandas as pd
import pytest

from tokencensus.analyses.common import sample_shares

Z = 1.959963984540054


def _expected(events: list[tuple[float, float]]) -> tuple[float, float | None, float | None]:
    """Ratio estimator and its clipped delta-method interval from (x_i, y_i) pairs."""
    n = len(events)
    sx = sum(x for x, _ in events)
    r = sum(y for _, y in events) / sx
    if n < 2:
        return r, None, None
    xbar = sx / n
    var = sum((y - r * x) ** 2 for x, y in events) / (n * (n - 1) * xbar * xbar)
    half = Z * math.sqrt(var)
    return r, min(1.0, max(0.0, r - half)), min(1.0, max(0.0, r + half))


def test_sample_shares_ratio_interval_and_clipping() -> None:
    # one row per (event, level): week 1 has three events, week 2 one
    rows = [
        # week, id, user, dim, tokens
        (1, "a", "u1", "P", 100.0),
        (1, "b", "u2", "Q", 100.0),
        (1, "c", "u3", "Q", 90.0),
        (1, "c", "u3", "P", 10.0),
        (2, "d", "u4", "P", 40.0),
    ]
    parts = ibis.memtable(pd.DataFrame(rows, columns=["week", "id", "user_id", "dim", "tokens"]))
    got = sample_shares(parts, ["week"], "dim").to_pandas().set_index(["week", "dim"])
    events = {  # (x, y) per event of each week, for each level
        (1, "P"): [(100.0, 100.0), (100.0, 0.0), (100.0, 10.0)],
        (1, "Q"): [(100.0, 0.0), (100.0, 100.0), (100.0, 90.0)],
        (2, "P"): [(40.0, 40.0)],
    }
    for key, pairs in events.items():
        share, low, high = _expected(pairs)
        row = got.loc[key]
        assert row["share"] == pytest.approx(share, rel=1e-12)
        assert row["sample_events"] == len(pairs)
        for col, value in (("share_low", low), ("share_high", high)):
            if value is None:
                assert pd.isna(row[col]), (key, col)
            else:
                assert row[col] == pytest.approx(value, rel=1e-12, abs=1e-15), (key, col)
    # the fixture reaches both clips: P's interval is cut at 0, Q's at 1
    assert got.loc[(1, "P"), "share_low"] == 0.0
    assert got.loc[(1, "Q"), "share_high"] == 1.0
    assert got.loc[(1, "P"), "users"] == 2  # u1 and u3 hold P tokens; u2 none
    assert got.loc[(1, "P"), "tokens"] == 110.0


def test_sample_shares_sql_stays_small() -> None:
    """Each quantity is a column of its own: the interval does not inline the ratio
    estimator into its SQL again and again (55 KB an artifact before, planned slower
    than it ran)."""
    parts = ibis.table(
        {"week": "date", "id": "string", "user_id": "string", "dim": "string", "tokens": "float64"},
        name="parts",
    )
    sql = ibis.to_sql(sample_shares(parts, ["week"], "dim"), dialect="duckdb")
    assert len(sql) < 6000
