"""Bundled reference tables (enrich/data): ISO 3166 countries and ISO 639-1 languages."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

__all__ = ["country_continents", "language_names"]


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("tokencensus.enrich").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def country_continents() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> continent."""
    return {r["country"]: r["continent"] for r in _read("countries.csv")}


@cache
def language_names() -> dict[str, str]:
    """ISO 639-1 code (plus zh-Hans, zh-Hant) -> English name."""
    return {r["language"]: r["name"] for r in _read("languages.csv")}
