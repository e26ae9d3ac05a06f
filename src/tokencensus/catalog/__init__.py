"""The model catalog: who made each model, is it open, where from, how big, does it reason.

The shipped table lives in ``catalog/data/models.csv`` (one row per model or
variant; see ``catalog/data/README.md`` for columns and sources).  Users extend
or override it with their own CSV in the same columns: a row whose ``slug`` is
already known overrides only the cells it fills; a new slug adds a model and
must give at least ``author``, ``open_weights`` and ``origin``.

Event ``model`` values are resolved to catalog slugs by :meth:`Catalog.resolve`
(exact alias, case, routing suffixes like ``:free``, provider prefixes and date
stamps).  Anything unresolved stays in the data as an *unknown* model: kept,
counted and reported, never dropped.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path

import pandas as pd
import pyarrow as pa

from tokencensus.errors import CatalogError

__all__ = [
    "CATALOG_COLUMNS",
    "SIZE_CLASSES",
    "SOURCE_TYPES",
    "UNKNOWN",
    "Catalog",
    "load_catalog",
    "size_class",
    "source_type",
]

#: Columns of models.csv (and of user override files), in order.
CATALOG_COLUMNS: tuple[str, ...] = (
    "slug",
    "aliases",
    "name",
    "author",
    "open_weights",
    "origin",
    "params_b",
    "active_params_b",
    "reasoning",
    "release_date",
    "prompt_usd_per_m",
    "completion_usd_per_m",
    "variant_of",
    "open_weights_source",
    "origin_source",
    "params_source",
    "reasoning_source",
    "release_source",
    "price_source",
)
#: Schema of the catalog as the engine sees it (``Catalog.to_arrow``).
MODEL_TABLE_SCHEMA = pa.schema(
    [
        ("slug", pa.string()),
        ("name", pa.string()),
        ("author", pa.string()),
        ("open_weights", pa.bool_()),
        ("origin", pa.string()),
        ("source_type", pa.string()),
        ("params_b", pa.float64()),
        ("size_class", pa.string()),
        ("reasoning", pa.bool_()),
        ("release_date", pa.date32()),
        ("prompt_usd_per_m", pa.float64()),
        ("completion_usd_per_m", pa.float64()),
        ("variant_of", pa.string()),
    ]
)
_NEW_ROW_REQUIRED = ("author", "open_weights", "origin")
SOURCE_TYPES: tuple[str, ...] = ("Closed", "Chinese OSS", "RoW OSS")
UNKNOWN = "Unknown"
SIZE_CLASSES: tuple[str, ...] = ("small", "medium", "large")
_ORIGINS = ("china", "row")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
#: OpenRouter routing / pricing variants that do not change the model.
_ROUTING_SUFFIX = re.compile(r":(free|beta|extended|nitro|floor|online|exacto)$")
_DATE_SUFFIX = re.compile(r"[-@]20\d\d-?[01]\d-?[0-3]\d$")


def size_class(params_b: float | None) -> str:
    """small < 15B <= medium < 70B <= large; 'unknown' when the size is not public."""
    if params_b is None or (isinstance(params_b, float) and math.isnan(params_b)):
        return "unknown"
    if params_b < 15:
        return "small"
    if params_b < 70:
        return "medium"
    return "large"


def source_type(open_weights: bool, origin: str) -> str:
    """Closed, Chinese OSS or RoW OSS."""
    if not open_weights:
        return "Closed"
    return "Chinese OSS" if origin == "china" else "RoW OSS"


@dataclass(frozen=True)
class Catalog:
    """A validated model table plus an alias index."""

    models: pd.DataFrame
    sources: tuple[str, ...] = field(default=())

    # ----------------------------------------------------------------- lookup
    @cached_property
    def _alias_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for slug, aliases in zip(self.models["slug"], self.models["aliases"], strict=True):
            index.setdefault(slug.lower(), slug)
            for alias in _split_aliases(aliases):
                index.setdefault(alias.lower(), slug)
        return index

    @cached_property
    def _bare_index(self) -> dict[str, str | None]:
        """Names without the author prefix; None marks an ambiguous bare name."""
        bare: dict[str, str | None] = {}
        for key, slug in self._alias_index.items():
            name = key.split("/", 1)[-1]
            if name in bare and bare[name] != slug:
                bare[name] = None
            else:
                bare[name] = slug
        return bare

    def resolve(self, model: str | None) -> str | None:
        """The catalog slug for a model id as logs write it, or None if unknown."""
        if not model:
            return None
        key = model.strip().lower()
        for candidate in _candidates(key):
            slug = self._alias_index.get(candidate)
            if slug is not None:
                return slug
        for candidate in _candidates(key):
            slug = self._bare_index.get(candidate.split("/", 1)[-1])
            if slug is not None:
                return slug
        return None

    def resolve_many(self, models: Iterable[str]) -> dict[str, str | None]:
        return {m: self.resolve(m) for m in models}

    def get(self, slug: str) -> dict[str, object]:
        row = self.models.loc[self.models["slug"] == slug]
        if row.empty:
            raise KeyError(slug)
        return row.iloc[0].to_dict()

    def release_date(self, model: str) -> date | None:
        slug = self.resolve(model)
        if slug is None:
            return None
        value = self.get(slug)["release_date"]
        return value if isinstance(value, date) else None

    # --------------------------------------------------------------- export
    def to_arrow(self) -> pa.Table:
        """The table the engine joins: one row per slug with derived columns."""
        df = self.models[list(MODEL_TABLE_SCHEMA.names)].copy()
        df["release_date"] = pd.to_datetime(df["release_date"]).dt.date
        df = df.astype(object).where(df.notna(), None)
        return pa.Table.from_pandas(df, schema=MODEL_TABLE_SCHEMA, preserve_index=False)

    def __len__(self) -> int:
        return len(self.models)


# --------------------------------------------------------------------- loading
def _split_aliases(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [a.strip() for a in value.split("|") if a.strip()]


def _candidates(key: str) -> list[str]:
    out = [key]
    stripped = _ROUTING_SUFFIX.sub("", key)
    if stripped != key:
        out.append(stripped)
    for k in list(out):
        undated = _DATE_SUFFIX.sub("", k)
        if undated != k:
            out.append(undated)
    return out


def _parse_bool(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise CatalogError(f"{where}: expected true or false, got {value!r}.")


def _parse_float(value: str, where: str) -> float | None:
    if not value.strip():
        return None
    try:
        x = float(value)
    except ValueError:
        raise CatalogError(f"{where}: expected a number, got {value!r}.") from None
    if math.isnan(x) or x < 0:
        raise CatalogError(f"{where}: expected a number >= 0, got {value!r}.")
    return x


def _parse_date(value: str, where: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CatalogError(f"{where}: expected a date YYYY-MM-DD, got {value!r}.") from None


_PARSERS = {
    "open_weights": _parse_bool,
    "reasoning": _parse_bool,
    "params_b": _parse_float,
    "active_params_b": _parse_float,
    "prompt_usd_per_m": _parse_float,
    "completion_usd_per_m": _parse_float,
    "release_date": _parse_date,
}


def _read_rows(path: Path | str, *, text: str | None = None) -> list[dict[str, object]]:
    """Parse a catalog CSV into typed dicts holding only the cells it fills."""
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CatalogError(f"Catalog file {name} does not exist.") from None
        except UnicodeDecodeError as exc:
            raise CatalogError(f"Catalog file {name} is not UTF-8 text ({exc.reason}).") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in CATALOG_COLUMNS]
    if "slug" not in header:
        raise CatalogError(f"Catalog file {name} has no 'slug' column (columns: {header}).")
    if unknown:
        raise CatalogError(
            f"Catalog file {name} has unknown columns {unknown}; "
            f"allowed columns are {list(CATALOG_COLUMNS)}."
        )
    rows: list[dict[str, object]] = []
    for i, raw in enumerate(reader, start=2):
        row: dict[str, object] = {}
        for col, value in raw.items():
            if value is None or value == "":
                continue
            where = f"{name} line {i}, field '{col}'"
            parser = _PARSERS.get(col)
            row[col] = parser(value, where) if parser else value.strip()
        if not row.get("slug"):
            raise CatalogError(f"{name} line {i}: empty 'slug'.")
        origin = row.get("origin")
        if origin is not None and origin not in _ORIGINS:
            raise CatalogError(
                f"{name} line {i}, field 'origin': expected one of {_ORIGINS}, got {origin!r}."
            )
        row["_where"] = f"{name} line {i}"
        rows.append(row)
    return rows


def _merge(base: dict[str, dict[str, object]], rows: list[dict[str, object]]) -> None:
    for row in rows:
        slug = str(row["slug"])
        if slug in base:
            base[slug].update(row)
            continue
        missing = [c for c in _NEW_ROW_REQUIRED if c not in row]
        if missing:
            raise CatalogError(
                f"{row['_where']}: new model {slug!r} needs {missing} "
                "(a row for a slug already in the catalog may fill only the cells it overrides)."
            )
        base[slug] = dict(row)


def load_catalog(*extra: Path | str, shipped: bool = True) -> Catalog:
    """The shipped catalog, extended/overridden by each of ``extra`` (CSV paths) in order.

    ``shipped=False`` starts from an empty catalog (tests, fully custom catalogs).
    """
    merged: dict[str, dict[str, object]] = {}
    if shipped:
        text = resources.files("tokencensus.catalog").joinpath("data/models.csv").read_text("utf-8")
        _merge(merged, _read_rows("tokencensus/catalog/data/models.csv", text=text))
    elif not extra:
        raise CatalogError("An empty catalog: give at least one catalog file.")
    for path in extra:
        _merge(merged, _read_rows(path))
    df = pd.DataFrame(list(merged.values()))
    for col in CATALOG_COLUMNS:
        if col not in df.columns:
            df[col] = None
    df = df[list(CATALOG_COLUMNS)].copy()
    df["name"] = df["name"].fillna(df["slug"])
    df["reasoning"] = df["reasoning"].fillna(False).astype(bool)
    df["open_weights"] = df["open_weights"].astype(bool)
    for col in ("params_b", "active_params_b", "prompt_usd_per_m", "completion_usd_per_m"):
        df[col] = pd.to_numeric(df[col], errors="raise").astype("float64")
    df["size_class"] = [size_class(p) for p in df["params_b"]]
    df["source_type"] = [
        source_type(o, g) for o, g in zip(df["open_weights"], df["origin"], strict=True)
    ]
    _check_aliases(df)
    return Catalog(models=df.reset_index(drop=True), sources=tuple(str(p) for p in extra))


def _check_aliases(df: pd.DataFrame) -> None:
    seen: dict[str, str] = {}
    for slug in df["slug"]:
        seen[slug.lower()] = slug
    for slug, aliases in zip(df["slug"], df["aliases"], strict=True):
        for alias in _split_aliases(aliases):
            other = seen.get(alias.lower())
            if other is not None and other != slug:
                raise CatalogError(
                    f"Catalog alias {alias!r} of {slug!r} already names {other!r}; "
                    "an alias must point to exactly one model."
                )
            seen[alias.lower()] = slug
