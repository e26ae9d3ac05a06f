"""Any CSV / JSONL / Parquet log with a column-mapping file (``--mapping mapping.toml``).

The mapping names, for each canonical field, the source column that holds it::

    [columns]                 # canonical field = "source column"
    id = "request_uuid"
    created_at = "ts"
    user_id = "customer"
    model = "model_name"
    prompt_tokens = "input_tokens"
    completion_tokens = "output_tokens"
    cost_usd = "cost"
    finish_reason = "stop_reason"     # native values are normalized
    billing_country = "geo"           # a code or an English name
    prompt_text = "prompt"            # used for language / classification, then dropped
    language = "lang"                 # a language the source recorded (fallback)

    [constants]               # canonical field = value, for every row
    provider = "helicone"

    [scale]                   # canonical field = factor applied to the value
    cost_usd = 1e-9           # e.g. Helicone stores cost x 1e9

Required: id, created_at, user_id, model, prompt_tokens, completion_tokens, cost_usd
(from a column or a constant).  Any other canonical field is optional.  A JSON file
with the same three objects works too.  Column names are matched exactly, then
case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from tokencensus.errors import ConfigError, InputError, did_you_mean
from tokencensus.ingest.formats import InputFile, read_raw
from tokencensus.ingest.sources.base import (
    LANGUAGE_HINT,
    PROMPT_TEXT,
    Cols,
    SourceBatch,
    SourceInput,
    SourceOptions,
    connect,
    map_with_sql,
)
from tokencensus.ingest.sources.files import csv_batches, file_format, list_files, parquet_batches
from tokencensus.schema import EVENT_SCHEMA, REQUIRED_FIELDS

__all__ = ["NAME", "SHAPES", "Mapping", "inputs", "load_mapping", "read"]

NAME = "table"
SHAPES = ("csv", "jsonl", "parquet")
_EXTRA = {"prompt_text": PROMPT_TEXT, "language": LANGUAGE_HINT}
_FIELDS = [*EVENT_SCHEMA.names, *_EXTRA]


class Mapping:
    def __init__(
        self, columns: dict[str, str], constants: dict[str, Any], scale: dict[str, float], path: str
    ):
        self.columns, self.constants, self.scale, self.path = columns, constants, scale, path


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError(
                f"{path}: reading TOML on Python 3.10 needs 'tomli' (pip install tomli), "
                "or write the mapping as JSON."
            ) from None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML mapping file ({exc}).") from None


@cache
def _load(path_text: str, mtime: float) -> Mapping:
    path = Path(path_text)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a valid JSON mapping file ({exc}).") from None
    else:
        data = _load_toml(path)
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
        raise ConfigError(
            f'{path}: the mapping needs a [columns] table: canonical field = "source column".'
        )
    unknown_sections = set(data) - {"columns", "constants", "scale"}
    if unknown_sections:
        raise ConfigError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown_sections))}; "
            "use [columns], [constants] and [scale]."
        )
    columns = {str(k): str(v) for k, v in data.get("columns", {}).items()}
    constants = dict(data.get("constants", {}))
    scale = {str(k): float(v) for k, v in data.get("scale", {}).items()}
    for name in [*columns, *constants, *scale]:
        if name not in _FIELDS:
            raise ConfigError(
                f"{path}: {name!r} is not a canonical field.{did_you_mean(name, _FIELDS)} "
                f"Fields: {', '.join(_FIELDS)}."
            )
    missing = [f for f in REQUIRED_FIELDS if f not in columns and f not in constants]
    if missing:
        raise ConfigError(
            f"{path}: no column or constant for required field(s) {', '.join(missing)}. "
            f"Every event needs {', '.join(REQUIRED_FIELDS)}."
        )
    return Mapping(columns, constants, scale, str(path))


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        raise ConfigError("Format 'table' needs a column-mapping file: --mapping mapping.toml.")
    if not path.is_file():
        raise ConfigError(f"Mapping file {path} does not exist.")
    return _load(str(path.resolve()), path.stat().st_mtime)


def inputs(spec: str, options: SourceOptions) -> list[SourceInput]:
    load_mapping(options.mapping)
    files = list_files(spec, ("csv", "json", "parquet"), "CSV, JSONL or Parquet")
    return [SourceInput(name=str(p), path=p) for p in files]


def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return "'" + str(value).replace("'", "''") + "'"


def _exprs(mapping: Mapping, c: Cols, path: Path, strict: bool) -> dict[str, str]:
    absent = [col for col in mapping.columns.values() if not c.has(col)]
    if absent and strict:  # JSON lines may simply lack a key: it reads as null
        found = sorted(c.names - {"_pos"})
        hint = did_you_mean(absent[0], found)
        raise InputError(
            f"{path}: column {absent[0]!r} named in the mapping {mapping.path} is not in the file.{hint} "
            f"Columns: {', '.join(found)}."
        )
    exprs: dict[str, str] = {}
    for name in _FIELDS:
        if name in mapping.columns:
            expr = c.v(mapping.columns[name])
        elif name in mapping.constants:
            expr = _lit(mapping.constants[name])
        else:
            continue
        if name in mapping.scale:
            expr = (
                f"CASE WHEN try_cast({expr} AS DOUBLE) IS NULL THEN {expr} "
                f"ELSE CAST(try_cast({expr} AS DOUBLE) * {mapping.scale[name]!r} AS VARCHAR) END"
            )
        exprs[_EXTRA.get(name, name)] = expr
    return exprs


def read(source: SourceInput, options: SourceOptions) -> Iterator[SourceBatch]:
    assert source.path is not None
    mapping = load_mapping(options.mapping)
    fmt = file_format(source.path)
    if fmt == "csv":
        batches = csv_batches(source.path)
    elif fmt == "parquet":
        batches = parquet_batches(source.path)
    else:
        batches = read_raw(InputFile(path=source.path, format="jsonl"))
    native = dict(mapping.columns.items())
    con = connect()
    try:
        for raw in batches:
            events = map_with_sql(
                con,
                raw.table,
                _exprs(mapping, Cols(raw.table.column_names), source.path, fmt != "json"),
            )
            yield SourceBatch(events, raw.rejections, raw.unit, native=native, shape=fmt or "")
    finally:
        con.close()
