"""What every source adapter shares: its inputs, the batches it yields, and field helpers.

An adapter module (``openrouter.py``, ``litellm.py``, ...) has the same names as
every other one:

- ``NAME`` and ``SHAPES`` (the record shapes it understands, for ``--help``);
- ``inputs(spec, options) -> list[SourceInput]``: the files (or the database
  table) behind what the user typed;
- ``read(source, options) -> Iterator[SourceBatch]``: raw records mapped to
  *canonical column names*, values still as the source wrote them.

Everything after that is common to all formats and lives in the pipeline
(``tokencensus.ingest.pipeline``): user ids are pseudonymized, finish reasons
normalized, country hints turned into ``billing_country``, prompt text used for
language detection and sampled classification and then dropped, and every value
checked by :func:`tokencensus.ingest.validate.validate_batch`.  Adapters never
see the salt and never write anything.

Special columns an adapter may add beside the canonical ones (the pipeline
consumes and drops them): ``_pos`` (line / row / item of the record, required),
``_prompt_text`` (text for language detection and classification),
``_language_hint`` (a language the source itself recorded).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tokencensus.ingest.formats import POS
from tokencensus.ingest.quarantine import Rejection

__all__ = [
    "LANGUAGE_HINT",
    "PROMPT_TEXT",
    "UNKNOWN_USER",
    "Cols",
    "SourceBatch",
    "SourceInput",
    "SourceOptions",
    "column",
    "country_hint",
    "dig",
    "first_user_text",
    "iso_from_nanos",
    "json_paths",
    "map_with_sql",
    "records_table",
]

PROMPT_TEXT = "_prompt_text"
LANGUAGE_HINT = "_language_hint"
#: The user an event is attributed to when its source records no user at all.
UNKNOWN_USER = "(unknown)"
#: Text kept for language detection / classification (the paper classifies the first 1,000 chars).
TEXT_CHARS = 1000


@dataclass(frozen=True)
class SourceOptions:
    """Adapter options (all optional; each adapter reads the ones it knows)."""

    #: ``table``: the column-mapping file.
    mapping: Path | None = None
    #: ``litellm`` over PostgreSQL: table name (default ``LiteLLM_SpendLogs``).
    table: str | None = None
    #: ``litellm`` over PostgreSQL: re-read every row instead of the rows since the last ingest.
    full: bool = False
    #: The manifest entry of the same source from an earlier ingest (incremental reads).
    previous: Mapping[str, Any] | None = None
    #: Estimate ``cost_usd`` from catalog list prices where the source records no cost.
    estimate_cost: bool = True
    #: ``langfuse``: a file of traces (their ``userId`` and metadata) for the observations.
    traces: Path | None = None


@dataclass(frozen=True)
class SourceInput:
    """One thing to read: a file, or a database table behind a URL."""

    name: str
    kind: str = "file"  # "file" | "postgres"
    path: Path | None = None
    url: str | None = None

    @property
    def identity(self) -> str:
        """Stable key of a non-file source in the store's manifest (files are keyed by content)."""
        return self.name


@dataclass
class SourceBatch:
    """Canonical-named columns (raw values) plus ``_pos``; or aggregate rows."""

    table: pa.Table
    rejections: list[Rejection] = field(default_factory=list)
    unit: str = "line"
    kind: str = "events"  # "events" | "aggregates"
    #: canonical field -> the source's own name for it (used in quarantine messages)
    native: Mapping[str, str] = field(default_factory=dict)
    #: records deliberately not loaded (not generations), by reason
    skipped: dict[str, int] = field(default_factory=dict)
    #: the record shape read (e.g. 'generation', 'activity-csv')
    shape: str = ""
    #: the source records no cost (or not always): estimate a missing cost from list prices
    cost_from_prices: bool = False
    #: the largest created_at seen (incremental database reads keep it as a watermark)
    watermark: str | None = None


# ------------------------------------------------------------------ values
def dig(obj: Any, *path: str | int) -> Any:
    """``obj[p0][p1]...`` or None when any step is missing or of the wrong kind."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(obj, list) or not -len(obj) <= key < len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        else:
            if key not in obj:
                return None
        obj = obj[key]
    return obj


def parse_json(value: Any) -> Any:
    """A JSON text parsed, anything else as is; malformed JSON gives None."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        if not text or text[0] not in "[{":
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None
    return value


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI / Anthropic content parts
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, dict) and isinstance(part.get("content"), str):
                parts.append(part["content"])
        return "\n".join(parts) if parts else None
    if isinstance(content, dict) and isinstance(content.get("text"), str):
        return content["text"]
    return None


def first_user_text(messages: Any) -> str | None:
    """The first user message of a prompt (chat messages, a bare string, or {messages: [...]})."""
    if isinstance(messages, (str, bytes)):
        parsed = parse_json(messages)
        if parsed is None:  # a bare prompt string
            bare = messages.decode("utf-8", "replace") if isinstance(messages, bytes) else messages
            return bare[:TEXT_CHARS] if bare.strip() else None
        messages = parsed
    if isinstance(messages, dict):
        for key in ("messages", "input", "prompt", "contents"):
            if key in messages:
                return first_user_text(messages[key])
        return _content_text(messages.get("content"))
    if isinstance(messages, list):
        fallback: str | None = None
        for m in messages:
            if not isinstance(m, dict):
                text = _content_text(m)
                fallback = fallback or text
                continue
            text = _content_text(m.get("content", m.get("parts")))
            if m.get("role") in ("user", "human") and text:
                return text[:TEXT_CHARS]
            fallback = fallback or text
        return fallback[:TEXT_CHARS] if fallback else None
    return None


#: Keys (in metadata objects, headers, attributes) that carry a country code or name.
COUNTRY_KEYS = (
    "billing_country",
    "country",
    "country_code",
    "countryCode",
    "geo_country",
    "user_country",
    "cf-ipcountry",
    "x-vercel-ip-country",
    "cloudfront-viewer-country",
    "x-country-code",
    "x-appengine-country",
    "geo.country.iso_code",
    "client.geo.country.iso_code",
    "user.country",
)


_COUNTRY_KEYS_LOWER = frozenset(k.lower() for k in COUNTRY_KEYS)
_COUNTRY_RANK = {k.lower(): i for i, k in enumerate(COUNTRY_KEYS)}


def _country_in(scope: dict[str, Any]) -> str | None:
    best, best_rank = None, len(COUNTRY_KEYS)
    for key, value in scope.items():
        lowered = key.lower() if isinstance(key, str) else None
        if lowered in _COUNTRY_KEYS_LOWER and isinstance(value, str) and value.strip():
            rank = _COUNTRY_RANK[lowered]
            if rank < best_rank:
                best, best_rank = value.strip(), rank
    return best


def country_hint(*objects: Any) -> str | None:
    """The first country-like value in dicts (searched one level deep, then in ``headers``,
    ``requester_metadata`` and ``geo``), by the order of :data:`COUNTRY_KEYS`."""
    for obj in objects:
        if isinstance(obj, (str, bytes)):
            obj = parse_json(obj)
        if not isinstance(obj, dict) or not obj:
            continue
        found = _country_in(obj)
        if found:
            return found
        for nested in ("headers", "requester_metadata", "geo"):
            scope = obj.get(nested)
            if isinstance(scope, dict):
                found = _country_in(scope)
                if found:
                    return found
    return None


def iso_from_nanos(value: Any) -> str | None:
    """OTLP ``*UnixNano`` (a decimal string or int) -> ISO 8601 UTC; junk stays as text."""
    if value is None or value == "":
        return None
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        return str(value)
    if not 0 < nanos < 4_102_444_800 * 10**9:
        return str(value)
    seconds, rest = divmod(nanos, 10**9)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)
    return stamp.isoformat() + f".{rest // 1000:06d}"


def _plain(value: Any) -> Any:
    """A value Arrow can hold in a string column: nested values as JSON text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def column(values: Sequence[Any]) -> pa.Array:
    """A column from raw values: typed when they agree, else all as text."""
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        arr = None
    if arr is not None and (
        pa.types.is_null(arr.type)
        or pa.types.is_integer(arr.type)
        or pa.types.is_floating(arr.type)
        or pa.types.is_boolean(arr.type)
        or pa.types.is_string(arr.type)
        or pa.types.is_large_string(arr.type)
    ):
        # NaN / inf from JSON constants stay visible to validation as text
        if pa.types.is_floating(arr.type) and any(
            isinstance(v, float) and not math.isfinite(v) for v in values
        ):
            arr = None
        if arr is not None:
            return arr
    return pa.array(
        [
            None if v is None else str(v) if not isinstance(v, (dict, list)) else _plain(v)
            for v in values
        ],
        pa.string(),
    )


def records_table(rows: Sequence[Mapping[str, Any]], positions: Sequence[int]) -> pa.Table:
    """Rows of flat dicts (any keys) -> an Arrow table with ``_pos``."""
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            names.setdefault(key, None)
    data = {name: column([row.get(name) for row in rows]) for name in names}
    data[POS] = pa.array(positions, pa.int64())
    return pa.table(data)


# ------------------------------------------------------------- SQL mapping
class Cols:
    """SQL expressions over a raw table's columns; a column the file lacks reads as NULL."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = set(names)
        self.lower = {n.lower(): n for n in self.names}

    def has(self, name: str) -> bool:
        return name in self.names or name.lower() in self.lower

    def q(self, name: str) -> str:
        real = name if name in self.names else self.lower.get(name.lower(), name)
        return '"' + real.replace('"', '""') + '"'

    def v(self, name: str) -> str:
        """The column as trimmed text, empty strings as NULL."""
        if not self.has(name):
            return "CAST(NULL AS VARCHAR)"
        return f"nullif(trim(CAST({self.q(name)} AS VARCHAR)), '')"

    def first(self, *names: str) -> str:
        """The first non-null of several columns, as text."""
        present = [self.v(n) for n in names if self.has(n)]
        if not present:
            return "CAST(NULL AS VARCHAR)"
        return present[0] if len(present) == 1 else f"coalesce({', '.join(present)})"

    def num(self, name: str) -> str:
        return f"try_cast({self.v(name)} AS DOUBLE)"

    def ts(self, name: str) -> str:
        return f"CAST(try_cast({self.v(name)} AS TIMESTAMPTZ) AS TIMESTAMP)"

    def json(self, name: str, path: str) -> str:
        """A value inside a JSON text column (NULL when the text is not valid JSON)."""
        if not self.has(name):
            return "CAST(NULL AS VARCHAR)"
        col = self.v(name)
        return (
            f"CASE WHEN json_valid({col}) THEN "
            f"nullif(trim(json_extract_string({col}, {_lit(path)})), '') END"
        )


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def map_with_sql(
    con: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    exprs: Mapping[str, str],
    prelude: Mapping[str, str] | None = None,
) -> pa.Table:
    """``SELECT _pos, <expr> AS <name>, ... FROM raw`` -> Arrow.

    ``prelude`` columns are computed first (``SELECT *, <expr> AS <name> FROM raw``) and can
    be used by ``exprs``: parse a JSON column once, not once per field.
    """
    select = [f'"{POS}"'] + [f'{expr} AS "{name}"' for name, expr in exprs.items()]
    source = "_source_raw"
    if prelude:
        extra = ", ".join(f'{expr} AS "{name}"' for name, expr in prelude.items())
        source = f"(SELECT *, {extra} FROM _source_raw)"
    con.register("_source_raw", raw)
    try:
        return con.sql(f"SELECT {', '.join(select)} FROM {source}").to_arrow_table()
    finally:
        con.unregister("_source_raw")


def json_paths(column_sql: str, paths: Sequence[str]) -> str:
    """One parse of a JSON text column -> the list of the values at ``paths`` (NULL if invalid)."""
    listed = "[" + ", ".join(_lit(p) for p in paths) + "]"
    return (
        f"CASE WHEN json_valid({column_sql}) THEN json_extract_string({column_sql}, {listed}) END"
    )


_DATABASE: duckdb.DuckDBPyConnection | None = None


def connect() -> duckdb.DuckDBPyConnection:
    """A connection (UTC) to one in-memory DuckDB shared by the ingest steps of a process.

    Opening a fresh database costs ~30 ms; a cursor on a shared one costs nothing.  Close it
    when done; the shared database stays.
    """
    global _DATABASE
    if _DATABASE is None:
        _DATABASE = duckdb.connect()
    con = _DATABASE.cursor()
    con.execute("SET TimeZone='UTC'")
    return con


# ------------------------------------------------------------- data tables
def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("tokencensus.ingest.sources").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def finish_reason_map() -> dict[str, str]:
    """Native finish reason (lower case) -> normalized finish reason."""
    return {r["native"]: r["finish_reason"] for r in _data_rows("finish_reasons.csv")}


def _name_key(name: str) -> str:
    return "".join(ch for ch in name.lower().replace("&", "and") if ch.isalnum())


@cache
def country_name_map() -> dict[str, str]:
    """Normalized country name -> ISO 3166-1 alpha-2."""
    return {_name_key(r["name"]): r["country"] for r in _data_rows("country_names.csv")}


def country_code(hint: str | None) -> str | None:
    """An ISO alpha-2 code from a code or an English country name; None when unknown."""
    from tokencensus.enrich.reference import country_continents

    if hint is None:
        return None
    text = str(hint).strip()
    if not text:
        return None
    if len(text) == 2 and text.upper() in country_continents():
        return text.upper()
    return country_name_map().get(_name_key(text))


def language_code(hint: str | None) -> str | None:
    """An ISO 639-1 code (or zh-Hans / zh-Hant) from a code or an English language name."""
    from tokencensus.enrich.reference import language_names

    if hint is None:
        return None
    text = str(hint).strip()
    if not text:
        return None
    names = language_names()
    by_lower = {code.lower(): code for code in names}
    if text.lower() in by_lower:
        return by_lower[text.lower()]
    by_name = {name.lower(): code for code, name in names.items()}
    return by_name.get(text.lower())
