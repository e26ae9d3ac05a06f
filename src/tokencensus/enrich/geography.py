"""Billing country -> continent (the study's regions), from the bundled ISO 3166 table."""

from __future__ import annotations

from tokencensus.enrich.reference import country_continents

__all__ = ["CONTINENTS", "continent_of"]

#: The regions the study reports (Antarctic territories exist in the table, not in reports).
CONTINENTS: tuple[str, ...] = (
    "North America",
    "Europe",
    "Asia",
    "South America",
    "Oceania",
    "Africa",
)


def continent_of(country: str | None) -> str | None:
    if not country:
        return None
    return country_continents().get(country.strip().upper())
