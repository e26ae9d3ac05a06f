"""Comparing result tables across engines and loading paths."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

#: Float columns agree to this relative tolerance ...
RTOL = 1e-9
#: ... or this absolute one (values that are zero up to rounding, e.g. log10(1.0)).
ATOL = 1e-12


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def assert_same_frame(a: pd.DataFrame, b: pd.DataFrame, keys: tuple[str, ...], what: str) -> None:
    assert list(a.columns) == list(b.columns), f"{what}: columns differ"
    assert len(a) == len(b), f"{what}: {len(a)} rows on DuckDB, {len(b)} on Spark"
    floats = [
        c
        for c in a.columns
        if pd.api.types.is_float_dtype(a[c]) or pd.api.types.is_float_dtype(b[c])
    ]
    order = [c for c in (*keys, *a.columns) if c in a.columns and c not in floats]
    order = list(dict.fromkeys(order))
    if order:
        a = a.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
        b = b.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
    for col in a.columns:
        if col in floats:
            x = pd.to_numeric(a[col], errors="coerce").to_numpy(dtype=float)
            y = pd.to_numeric(b[col], errors="coerce").to_numpy(dtype=float)
            np.testing.assert_allclose(
                x, y, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=f"{what}.{col}"
            )
        else:
            x = [_cell(v) for v in a[col]]
            y = [_cell(v) for v in b[col]]
            assert x == y, f"{what}.{col}: values differ"
