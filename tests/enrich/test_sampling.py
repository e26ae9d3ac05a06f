from __future__ import annotations

import pytest

from tokencensus.enrich.classify.sampling import check_rate, in_sample, sample_mask
from tokencensus.errors import ConfigError


def test_sampling_is_deterministic_and_near_rate():
    ids = [f"gen-{i}" for i in range(40_000)]
    mask = sample_mask(ids, 0.0025)
    assert mask == sample_mask(ids, 0.0025)
    assert 60 <= sum(mask) <= 140  # 100 expected
    assert in_sample("gen-1", 0.5) == in_sample("gen-1", 0.5, "tokencensus-classify-v1")


def test_salt_changes_sample_and_rate_one_takes_all():
    ids = [f"x{i}" for i in range(2000)]
    assert sample_mask(ids, 0.1, "a") != sample_mask(ids, 0.1, "b")
    assert all(sample_mask(ids, 1.0))
    assert sample_mask([None], 1.0) == [False]


def test_sample_is_nested_across_rates():
    ids = [f"n{i}" for i in range(5000)]
    small, large = sample_mask(ids, 0.01), sample_mask(ids, 0.1)
    assert all(b for a, b in zip(small, large, strict=False) if a)


@pytest.mark.parametrize("rate", [0, -0.1, 1.5, "0.1", True, None])
def test_bad_rate(rate):
    with pytest.raises(ConfigError, match=r"Sample rate must be a number in \(0, 1\]"):
        check_rate(rate)
