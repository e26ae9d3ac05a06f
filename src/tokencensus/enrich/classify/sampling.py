"""Deterministic sampling of events for classification.

An event is in the sample when ``blake2b(salt + id)`` read as a 64-bit number, divided by
2**64, is below the rate.  The same id and salt always give the same decision, on any
machine and in any run, so re-ingesting a log never changes the sample, and two gateways that
share a salt sample the same requests.  The default rate is the paper's 0.25 %.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tokencensus.errors import ConfigError

__all__ = ["DEFAULT_RATE", "DEFAULT_SALT", "check_rate", "in_sample", "sample_mask"]

DEFAULT_RATE = 0.0025
DEFAULT_SALT = "tokencensus-classify-v1"
_SCALE = float(2**64)


def check_rate(rate: object) -> float:
    """The rate as a float in (0, 1], or ConfigError."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < float(rate) <= 1:
        raise ConfigError(
            f"Sample rate must be a number in (0, 1], e.g. 0.0025 for the paper's 0.25 % or 1 "
            f"for every prompt; saw {rate!r}."
        )
    return float(rate)


def in_sample(event_id: str, rate: float, salt: str = DEFAULT_SALT) -> bool:
    """Whether one event id falls in the sample."""
    if rate >= 1.0:
        return True
    digest = hashlib.blake2b((salt + event_id).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE < rate


def sample_mask(ids: Iterable[object], rate: float, salt: str = DEFAULT_SALT) -> list[bool]:
    """``in_sample`` for each id; a missing (None) id is never sampled."""
    rate = check_rate(rate)
    return [isinstance(i, str) and in_sample(i, rate, salt) for i in ids]
