"""Privacy by aggregation: no published cell describes fewer than K distinct users.

The rule, applied by the study runner to every artifact whose result has a ``users``
column (the distinct users behind each row):

* **Primary suppression.** A row with ``0 < users < K`` is suppressed: every column
  except the artifact's ``keys`` is blanked and ``suppressed`` is set, so the row stays
  visible as suppressed instead of disappearing.  An empty row (no users at all)
  describes nobody and stays as zeros.
* **Complementary (secondary) suppression.** An artifact may declare ``complement``: the
  columns that identify a group of rows that are parts of one whole (a week's shares sum
  to 1; a week's tokens sum to the week's total, which other artifacts publish).  A group
  must never hold exactly one hidden row, or the row could be recovered by subtraction:
  from the other shares of the group (rows with a share, whose shares sum to 1) or from
  the group's total (all rows).  When either set holds exactly one hidden row, the
  smallest visible row of that set is suppressed too (rows with users first, then rows
  outside the share set, then by the artifact's value column), until neither does.
  Such rows are marked ``suppressed`` and ``suppressed_secondary``.
* **The single stated exception (F12).** Columns an artifact declares
  ``single_account`` describe one account by construction (F12's ``top_account_share``:
  the part of a week's tool-call tokens from its largest single account).  They are
  published only on rows whose ``users`` (for F12: the users with tool calls that week)
  reach K, and blanked elsewhere.

Complementary suppression works inside one artifact's groups.  Differencing across
artifacts with different populations (e.g. F27's per-model totals, BYOK and free models
excluded, against T1's author totals) is not covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["VALUE_COLUMNS", "Suppression", "apply_privacy", "count_suppressed"]

#: The column that ranks candidates for secondary suppression (the first one present).
VALUE_COLUMNS: tuple[str, ...] = ("tokens", "cost_usd", "requests", "models", "users")


@dataclass(frozen=True)
class Suppression:
    """Rows masked in one result: by the K-user floor, and to protect those (secondary)."""

    primary: int = 0
    secondary: int = 0

    @property
    def total(self) -> int:
        return self.primary + self.secondary


def apply_privacy(
    df: pd.DataFrame,
    keys: Sequence[str],
    min_users: int,
    *,
    complement: Sequence[str] | None = None,
    single_account: Sequence[str] = (),
) -> tuple[pd.DataFrame, Suppression]:
    """Mask ``df`` by the module's rules; return the frame and the counts.

    ``complement``: the columns of a complementary group (``()`` = the whole table is
    one group; None = no complementary suppression).  ``single_account``: columns
    published only where ``users >= min_users``.  ``min_users <= 0`` disables the rule.
    """
    if "users" not in df.columns:
        return df, Suppression()
    df = df.copy()
    users = pd.to_numeric(df["users"], errors="coerce").fillna(0)
    if min_users > 0:
        primary = ((users > 0) & (users < min_users)).to_numpy()
    else:
        primary = np.zeros(len(df), dtype=bool)
    secondary = np.zeros(len(df), dtype=bool)
    if complement is not None and primary.any():
        secondary = _complementary(df, users, primary, list(complement))
    hidden = primary | secondary
    df["suppressed"] = hidden
    if complement is not None:
        df["suppressed_secondary"] = secondary
    protected = {*keys, "suppressed", "suppressed_secondary"}
    if hidden.any():
        for col in [c for c in df.columns if c not in protected]:
            _blank(df, col, hidden)
    if min_users > 0:
        lone = (users < min_users).to_numpy() & ~hidden
        for col in single_account:
            if col in df.columns and lone.any():
                _blank(df, col, lone)
    return df, Suppression(primary=int(primary.sum()), secondary=int(secondary.sum()))


def count_suppressed(df: pd.DataFrame) -> Suppression:
    """Primary and secondary suppressions as marked in a result (or a data file)."""
    if "suppressed" not in df.columns:
        return Suppression()
    hidden = df["suppressed"].fillna(False).astype(bool)
    if "suppressed_secondary" in df.columns:
        secondary = df["suppressed_secondary"].fillna(False).astype(bool) & hidden
    else:
        secondary = pd.Series(False, index=df.index)
    return Suppression(primary=int((hidden & ~secondary).sum()), secondary=int(secondary.sum()))


def _blank(df: pd.DataFrame, col: str, mask: np.ndarray) -> None:
    if pd.api.types.is_bool_dtype(df[col]) or not pd.api.types.is_numeric_dtype(df[col]):
        df[col] = df[col].astype(object)
    else:
        df[col] = df[col].astype("float64")
    df.loc[mask, col] = None


def _complementary(
    df: pd.DataFrame, users: pd.Series, primary: np.ndarray, groups: list[str]
) -> np.ndarray:
    """Secondary suppressions so that no complementary set holds exactly one hidden row."""
    value_col = next((c for c in VALUE_COLUMNS if c in df.columns), None)
    value = (
        pd.to_numeric(df[value_col], errors="coerce").fillna(0).to_numpy(dtype="float64")
        if value_col is not None
        else np.zeros(len(df))
    )
    in_shares = df["share"].notna().to_numpy() if "share" in df.columns else None
    has_users = (users > 0).to_numpy()
    secondary = np.zeros(len(df), dtype=bool)
    if groups:
        members = df.groupby(groups, dropna=False, sort=False).indices.values()
    else:
        members = [np.arange(len(df))]
    for idx in members:
        idx = np.asarray(idx)
        if not primary[idx].any():
            continue
        sets = [idx] if in_shares is None else [idx[in_shares[idx]], idx]
        changed = True
        while changed:
            changed = False
            for rows in sets:
                hidden = primary[rows] | secondary[rows]
                if hidden.sum() != 1:
                    continue
                visible = rows[~hidden]
                if not len(visible):
                    continue
                shared = (
                    np.zeros(len(visible), dtype=bool)
                    if in_shares is None or rows is sets[0]
                    else in_shares[visible]
                )
                # smallest first: rows with users, then outside the share set, then by value
                order = np.lexsort((value[visible], shared, ~has_users[visible]))
                secondary[visible[order[0]]] = True
                changed = True
    return secondary
