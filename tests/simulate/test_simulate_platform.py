"""The platform file: it parses, its label paths roll up where they should, bad files fail clearly."""

from __future__ import annotations

from importlib import resources

import pytest
import tomllib

from tokencensus.catalog import load_catalog
from tokencensus.enrich.classify.taxonomy import OTHERS, load_mapping
from tokencensus.errors import ConfigError
from tokencensus.simulate.platform import MARKETS, load_platform, parse_platform


def _raw() -> dict:
    text = resources.files("tokencensus.simulate").joinpath("data/platform.toml").read_text()
    return tomllib.loads(text)


def test_shipped_platform_parses() -> None:
    p = load_platform()
    assert set(p.workloads) >= {"Programming", "Roleplay", "Technology", "Science"}
    assert {w.market for w in p.workloads.values()} <= set(MARKETS)
    assert p.special_accounts and p.special_accounts[0].model == "openai/gpt-4o-mini"


def test_every_headline_model_is_in_the_catalog() -> None:
    catalog = load_catalog()
    missing = [m.slug for m in load_platform().models if catalog.resolve(m.slug) is None]
    assert missing == []


def test_primary_labels_roll_up_to_their_own_category() -> None:
    mapping = load_mapping()
    p = load_platform()
    for name, spec in p.labels.items():
        for path, _weight in spec.primary:
            assert mapping.category(path) == name, (name, path, mapping.category(path))
    for path in p.noise_paths:
        assert mapping.category(path) == OTHERS


def test_unknown_market_is_refused() -> None:
    raw = _raw()
    raw["workloads"]["Programming"]["market"] = "coding"
    with pytest.raises(ConfigError, match=r"\[workloads.Programming\] market: expected one of"):
        parse_platform(raw)


def test_decreasing_curve_dates_are_refused() -> None:
    raw = _raw()
    raw["platform"]["arrivals"] = [["2025-01-01", 1.0], ["2024-01-01", 2.0]]
    with pytest.raises(ConfigError, match="curve dates must increase"):
        parse_platform(raw)


def test_model_not_in_catalog_is_refused(tmp_path) -> None:
    from tokencensus.simulate import simulate

    raw = _raw()
    raw["models"][0]["slug"] = "acme/no-such-model"
    with pytest.raises(ConfigError, match="'acme/no-such-model' is not in the catalog;"):
        simulate(10, tmp_path / "s", platform=parse_platform(raw))


def test_missing_platform_file_is_refused(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_platform(tmp_path / "nope.toml")
