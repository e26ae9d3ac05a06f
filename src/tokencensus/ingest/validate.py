"""Validate raw batches against the canonical schema, vectorised in DuckDB.

``validate_batch`` turns a raw batch (any column types, ``_pos`` attached) into
the canonical columns for the good records and a :class:`Rejection` for every
bad one, naming each field that is wrong and why.  One SQL statement computes
every field's value and error at once, so a million rows take about a second.
Categories (nested JSON in CSV) are checked in Python first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.enrich.reference import country_continents, language_names
from tokencensus.ingest.formats import FILE_COL, POS
from tokencensus.ingest.quarantine import FieldError, Rejection
from tokencensus.schema import (
    CATEGORY_LABEL_TYPE,
    EVENT_SCHEMA,
    FINISH_REASONS,
    OPTIONAL_DEFAULTS,
    REQUIRED_FIELDS,
)

__all__ = ["missing_required_columns", "validate_batch"]

_STRING_FIELDS = ("id", "user_id", "model", "native_finish_reason", "provider", "app_id")
_INT_FIELDS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")
_FLOAT_FIELDS = ("cost_usd", "latency_ms", "generation_time_ms")
_BOOL_FIELDS = ("tools_provided", "streamed", "cancelled", "is_byok", "sampled")
_SHOW = 80
_MAX_YEAR = 2100
_MIN_YEAR = 2000


def missing_required_columns(columns: Sequence[str]) -> list[str]:
    return [f for f in REQUIRED_FIELDS if f not in columns]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _txt(col: str) -> str:
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def _show(col: str) -> str:
    return f"left(CAST({col} AS VARCHAR), {_SHOW})"


class _Query:
    """Builds the two-level SELECT: parsed values (inner), errors and final values (outer)."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.inner: list[str] = [_q(POS)]
        self.outer: list[str] = [_q(POS)]
        self.errors: list[tuple[str, str]] = []  # (field, SQL expression giving reason or NULL)

    def has(self, name: str) -> bool:
        return name in self.schema.names

    def type_of(self, name: str) -> pa.DataType:
        return self.schema.field(name).type

    def default(self, name: str) -> str:
        value = OPTIONAL_DEFAULTS[name]
        arrow_type = EVENT_SCHEMA.field(name).type
        sql_type = {
            pa.string(): "VARCHAR",
            pa.int64(): "BIGINT",
            pa.float64(): "DOUBLE",
            pa.bool_(): "BOOLEAN",
        }[arrow_type]
        if value is None:
            return f"CAST(NULL AS {sql_type})"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return f"CAST({value} AS {sql_type})"

    def missing(self, name: str, raw: str) -> None:
        if name in REQUIRED_FIELDS:
            self.errors.append((name, f"CASE WHEN {raw} IS NULL THEN 'missing required field' END"))

    # ----------------------------------------------------------- field kinds
    def string(self, name: str) -> None:
        if not self.has(name):
            self.outer.append(f"{self.default(name)} AS {_q(name)}")
            return
        self.inner.append(f"{_txt(_q(name))} AS {_q(name)}")
        self.outer.append(_q(name))
        self.missing(name, _q(name))

    def number(self, name: str, *, integer: bool) -> None:
        if not self.has(name):
            self.outer.append(f"{self.default(name)} AS {_q(name)}")
            return
        col, t = _q(name), self.type_of(name)
        raw, val = f"r_{name}", f"v_{name}"
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            self.inner.append(f"CAST({col} AS DOUBLE) AS {val}")
            self.inner.append(f"{col} AS {raw}")
        else:
            self.inner.append(f"try_cast({_txt(col)} AS DOUBLE) AS {val}")
            self.inner.append(f"{_txt(col)} AS {raw}")
        checks = [
            f"WHEN {val} IS NULL AND {raw} IS NOT NULL THEN 'not a number: ''' || {_show(raw)} || ''''",
            f"WHEN {val} IS NOT NULL AND (isnan({val}) OR isinf({val})) THEN 'not a finite number: ''' || {_show(raw)} || ''''",
        ]
        if integer:
            checks.append(
                f"WHEN {val} IS NOT NULL AND {val} <> floor({val}) THEN 'not an integer: ''' || {_show(raw)} || ''''"
            )
            checks.append(f"WHEN {val} >= 9.2e18 THEN 'too large: ''' || {_show(raw)} || ''''")
        checks.append(f"WHEN {val} < 0 THEN 'negative value: ''' || {_show(raw)} || ''''")
        self.errors.append((name, "CASE " + " ".join(checks) + " END"))
        self.missing(name, raw)
        ok = f"({val} IS NOT NULL AND NOT isnan({val}) AND NOT isinf({val}) AND {val} >= 0"
        ok += f" AND {val} = floor({val}) AND {val} < 9.2e18)" if integer else ")"
        target = "BIGINT" if integer else "DOUBLE"
        fallback = self.default(name) if name not in REQUIRED_FIELDS else f"CAST(NULL AS {target})"
        self.outer.append(
            f"CASE WHEN {raw} IS NULL THEN {fallback} "
            f"WHEN {ok} THEN CAST({val} AS {target}) END AS {_q(name)}"
        )

    def boolean(self, name: str, default: str | None = None) -> None:
        """``default`` (SQL) replaces the schema default when the value is absent."""
        default = default or self.default(name)
        if not self.has(name):
            self.outer.append(f"{default} AS {_q(name)}")
            return
        col, t = _q(name), self.type_of(name)
        raw, val = f"r_{name}", f"v_{name}"
        if pa.types.is_boolean(t):
            self.inner.append(f"{col} AS {val}")
            self.inner.append(f"CAST({col} AS VARCHAR) AS {raw}")
        else:
            self.inner.append(f"try_cast(lower({_txt(col)}) AS BOOLEAN) AS {val}")
            self.inner.append(f"{_txt(col)} AS {raw}")
        self.errors.append(
            (
                name,
                f"CASE WHEN {val} IS NULL AND {raw} IS NOT NULL THEN 'not a boolean: ''' || {_show(raw)} || '''' END",
            )
        )
        self.outer.append(f"coalesce({val}, {default}) AS {_q(name)}")

    def timestamp(self, name: str) -> None:
        col, t = _q(name), self.type_of(name)
        raw, val = f"r_{name}", f"v_{name}"

        def epoch(x: str) -> str:
            return (
                f"CASE WHEN abs({x}) < 1e14 THEN CAST(to_timestamp("
                f"CASE WHEN abs({x}) >= 1e11 THEN {x} / 1000.0 ELSE {x} END) AS TIMESTAMP) END"
            )

        if pa.types.is_timestamp(t) or pa.types.is_date(t):
            self.inner.append(f"CAST({col} AS TIMESTAMP) AS {val}")
            self.inner.append(f"{col} AS {raw}")
        elif pa.types.is_integer(t) or pa.types.is_floating(t):
            self.inner.append(f"{epoch(f'CAST({col} AS DOUBLE)')} AS {val}")
            self.inner.append(f"{col} AS {raw}")
        else:
            txt = _txt(col)
            self.inner.append(
                f"CASE WHEN regexp_full_match({txt}, '[0-9]+(\\.[0-9]+)?') "
                f"THEN {epoch(f'try_cast({txt} AS DOUBLE)')} "
                f"ELSE CAST(try_cast({txt} AS TIMESTAMPTZ) AS TIMESTAMP) END AS {val}"
            )
            self.inner.append(f"{txt} AS {raw}")
        self.missing(name, raw)
        self.errors.append(
            (
                name,
                f"CASE WHEN {val} IS NULL AND {raw} IS NOT NULL THEN 'not a valid timestamp: ''' || {_show(raw)} || '''' "
                f"WHEN year({val}) < {_MIN_YEAR} OR year({val}) > {_MAX_YEAR} THEN "
                f"'timestamp out of range ({_MIN_YEAR}-{_MAX_YEAR}): ''' || {_show(raw)} || '''' END",
            )
        )
        self.outer.append(
            f"CASE WHEN year({val}) BETWEEN {_MIN_YEAR} AND {_MAX_YEAR} THEN {val} END AS {_q(name)}"
        )

    def vocabulary(
        self, name: str, values: Sequence[str], normalize: str, label: str, expected: str
    ) -> None:
        """A code from a fixed vocabulary; ``normalize`` ('{x}' = the raw text) gives its
        canonical spelling (case), which must be one of ``values``."""
        if not self.has(name):
            self.outer.append(f"{self.default(name)} AS {_q(name)}")
            return
        raw, val = f"r_{name}", f"v_{name}"
        self.inner.append(f"{_txt(_q(name))} AS {raw}")
        self.inner.append(f"{normalize.format(x=_txt(_q(name)))} AS {val}")
        known = f"{val} IN ({', '.join(_lit(v) for v in values)})"
        message = (
            f"{_lit('unknown ' + label + ': ' + chr(39))} || {_show(raw)} || "
            f"{_lit(chr(39) + ' (expected ' + expected + ')')}"
        )
        self.errors.append(
            (name, f"CASE WHEN {raw} IS NOT NULL AND NOT {known} THEN {message} END")
        )
        self.outer.append(f"CASE WHEN {known} THEN {val} END AS {_q(name)}")

    def sql(self, source: str) -> str:
        merged: dict[str, list[str]] = {}
        for field, expr in self.errors:
            merged.setdefault(field, []).append(expr)
        err_cols = [
            f"coalesce({', '.join(exprs)}) AS {_q('err_' + field)}"
            for field, exprs in merged.items()
        ]
        return (
            f"SELECT {', '.join(self.outer + err_cols)} FROM "
            f"(SELECT {', '.join(self.inner)} FROM {source})"
        )


def _build_query(schema: pa.Schema) -> _Query:
    q = _Query(schema)
    fields = {f.name for f in EVENT_SCHEMA}
    for name in EVENT_SCHEMA.names:
        if name in _STRING_FIELDS:
            q.string(name)
        elif name in _INT_FIELDS:
            q.number(name, integer=True)
        elif name in _FLOAT_FIELDS:
            q.number(name, integer=False)
        elif name == "created_at":
            q.timestamp(name)
        elif name == "sampled":
            # an event that carries classifier labels was in the sample
            q.boolean(name, default=f"({_q('_categories')} IS NOT NULL)")
        elif name in _BOOL_FIELDS:
            q.boolean(name)
        elif name == "finish_reason":
            q.vocabulary(
                name,
                FINISH_REASONS,
                "lower({x})",
                "finish reason",
                "one of " + ", ".join(FINISH_REASONS),
            )
        elif name == "billing_country":
            q.vocabulary(
                name,
                list(country_continents()),
                "upper({x})",
                "country code",
                "an ISO 3166-1 alpha-2 code such as US",
            )
        elif name == "prompt_language":
            q.vocabulary(
                name,
                list(language_names()),
                "CASE lower({x}) WHEN 'zh-hans' THEN 'zh-Hans' WHEN 'zh-hant' THEN 'zh-Hant' "
                "ELSE lower({x}) END",
                "language code",
                "an ISO 639-1 code, zh-Hans or zh-Hant",
            )
        elif name == "categories":
            q.inner.append(f"{_q('_categories')}, {_q('_categories_error')}")
            q.outer.append(f"{_q('_categories')} AS {_q('categories')}")
            q.errors.append(("categories", _q("_categories_error")))
        else:  # pragma: no cover - guarded by the schema
            raise AssertionError(name)
    assert fields == set(EVENT_SCHEMA.names)
    # Cross-field consistency, only where both values parsed.
    for part, whole in (
        ("reasoning_tokens", "completion_tokens"),
        ("cached_tokens", "prompt_tokens"),
    ):
        if q.has(part):
            q.errors.append(
                (
                    part,
                    f"CASE WHEN v_{part} > v_{whole} THEN '{part} (' || {_show('r_' + part)} || ') exceeds "
                    f"{whole} (' || {_show('r_' + whole)} || ')' END",
                )
            )
    return q


# ------------------------------------------------------------------ categories
def _check_labels(value: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, f"not valid JSON: {exc.msg} in {text[:_SHOW]!r}"
    if not isinstance(value, list):
        return None, f"not a list of {{path, confidence}} labels: {str(value)[:_SHOW]!r}"
    labels = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or "path" not in item or "confidence" not in item:
            return None, f"label {i} is not a {{path, confidence}} object: {str(item)[:_SHOW]!r}"
        path, conf = item["path"], item["confidence"]
        if not isinstance(path, str) or not path.startswith("/"):
            return None, f"label {i} path must be a string starting with '/': {str(path)[:_SHOW]!r}"
        if isinstance(conf, bool) or not isinstance(conf, (int, float)):
            try:
                conf = float(conf)
            except (TypeError, ValueError):
                return None, f"label {i} confidence is not a number: {str(conf)[:_SHOW]!r}"
        if math.isnan(conf) or not 0.0 <= conf <= 1.0:
            return None, f"label {i} confidence {conf} outside [0, 1]"
        labels.append({"path": path, "confidence": float(conf)})
    return labels, None


def _categories_columns(table: pa.Table) -> pa.Table:
    n = table.num_rows
    if "categories" not in table.column_names:
        values: list[Any] = [None] * n
        errors: list[str | None] = [None] * n
    else:
        col = table.column("categories")
        values, errors = [None] * n, [None] * n
        valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
        for i in valid.nonzero()[0]:
            values[i], errors[i] = _check_labels(col[int(i)].as_py())
        table = table.drop(["categories"])
    return table.append_column(
        "_categories", pa.array(values, pa.list_(CATEGORY_LABEL_TYPE))
    ).append_column("_categories_error", pa.array(errors, pa.string()))


# ---------------------------------------------------------------------- public
def validate_batch(
    table: pa.Table, file: str | Sequence[str], unit: str, con: duckdb.DuckDBPyConnection
) -> tuple[pa.Table, list[Rejection]]:
    """Canonical rows (plus ``_pos``) for the good records; a Rejection per bad one.

    Rows of several files may travel together: then ``table`` has a ``_file`` column
    indexing ``file`` (a sequence of names), and the good rows keep that column.
    """
    file_idx = table.column(FILE_COL) if FILE_COL in table.column_names else None
    raw = table.drop([FILE_COL]) if file_idx is not None else table
    if raw.num_rows == 0:  # a batch of no generation at all (only spans, no replies, ...)
        return _empty_result(file_idx is not None), []
    prepared = _categories_columns(raw)
    for name in missing_required_columns(prepared.column_names):
        # no record of the batch has this field: each is rejected as missing it
        prepared = prepared.append_column(name, pa.nulls(prepared.num_rows, pa.string()))
    query = _build_query(prepared.schema)
    sql = query.sql("_raw")
    con.register("_raw", prepared)
    try:
        # a projection over one Arrow scan keeps the input's row order
        result = con.sql(sql).to_arrow_table()
    finally:
        con.unregister("_raw")
    err_names = list(dict.fromkeys(f"err_{f}" for f, _ in query.errors))
    bad_mask = _any_valid(result, err_names)
    good_mask = pc.invert(bad_mask)
    good = result.filter(good_mask).select([*EVENT_SCHEMA.names, POS])
    good = good.cast(pa.schema([*EVENT_SCHEMA, pa.field(POS, pa.int64())]))
    if file_idx is not None:
        good = good.append_column(FILE_COL, file_idx.filter(good_mask))
    rejections: list[Rejection] = []
    bad_idx = pc.indices_nonzero(bad_mask).to_pylist()
    if bad_idx:
        bad = result.take(bad_idx).select([POS, *err_names]).to_pylist()
        originals = raw.take(bad_idx).drop([POS]).to_pylist()
        owners = file_idx.take(bad_idx).to_pylist() if file_idx is not None else None
        for i, (row, original) in enumerate(zip(bad, originals, strict=True)):
            errs = tuple(FieldError(n[4:], row[n]) for n in err_names if row[n] is not None)
            name = file if isinstance(file, str) else file[owners[i] if owners else 0]
            rejections.append(Rejection(name, row[POS], unit, errs, original))
    return good, rejections


def _empty_result(with_file: bool) -> pa.Table:
    fields = [*EVENT_SCHEMA, pa.field(POS, pa.int64())]
    if with_file:
        fields.append(pa.field(FILE_COL, pa.int32()))
    return pa.schema(fields).empty_table()


def _any_valid(result: pa.Table, names: list[str]) -> pa.Array:
    mask = pa.array([False] * result.num_rows, pa.bool_())
    for n in names:
        mask = pc.or_(mask, pc.is_valid(result.column(n)))
    return mask
