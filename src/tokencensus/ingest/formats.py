"""Finding input files and reading them into raw Arrow batches, record positions attached.

A raw batch is an Arrow table with the file's own columns (strings for CSV, whatever
types JSON or Parquet carry) plus ``_pos``: the 1-based line number (CSV, JSONL;
the CSV header is line 1) or row number (Parquet) of each record.  Records that
cannot even be parsed (a CSV line with the wrong number of fields, a JSONL line
that is not a JSON object, bytes that are not UTF-8) come back as rejections
beside the batch.  Nothing here checks values: that is ``validate``'s job.
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from tokencensus.errors import InputError
from tokencensus.ingest.quarantine import FieldError, Rejection

__all__ = [
    "FORMATS",
    "InputFile",
    "RawBatch",
    "discover_inputs",
    "open_input",
    "read_raw",
    "records_batch",
]

POS = "_pos"
#: Index of the input file a row came from, when rows of several files travel together.
FILE_COL = "_file"
BATCH_ROWS = 256_000
FORMATS: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet", ".pq"),
    "csv": (".csv", ".csv.gz"),
    "jsonl": (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz"),
}


@dataclass(frozen=True)
class InputFile:
    path: Path
    format: str

    @property
    def unit(self) -> str:
        return "row" if self.format == "parquet" else "line"


@dataclass
class RawBatch:
    table: pa.Table
    rejections: list[Rejection]
    unit: str = "line"


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for fmt, suffixes in FORMATS.items():
        if name.endswith(suffixes):
            return fmt
    return None


def discover_inputs(specs: list[str | Path]) -> list[InputFile]:
    """Files, folders (searched recursively) and globs -> readable input files, each once."""
    found: dict[Path, InputFile] = {}
    for spec in specs:
        text = str(spec)
        path = Path(text)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and _format_of(p))
            if not candidates:
                raise InputError(
                    f"Folder {text} holds no Parquet, CSV or JSONL files "
                    f"(looked for {', '.join(s for v in FORMATS.values() for s in v)})."
                )
        elif path.is_file():
            if _format_of(path) is None:
                raise InputError(
                    f"{text}: unknown file type. tokencensus reads .parquet, .csv and .jsonl "
                    "(optionally .gz) in the canonical schema; for other formats use "
                    "'tokencensus ingest --format ...'."
                )
            candidates = [path]
        elif any(ch in text for ch in "*?["):
            candidates = sorted(
                Path(p) for p in glob.glob(text, recursive=True) if _format_of(Path(p))
            )
            if not candidates:
                raise InputError(f"No Parquet, CSV or JSONL file matches {text!r}.")
        else:
            raise InputError(f"Input {text} does not exist.")
        for p in candidates:
            key = p.resolve()
            found.setdefault(key, InputFile(path=p, format=_format_of(p) or ""))
    if not found:
        raise InputError("No input files given.")
    return list(found.values())


def read_raw(f: InputFile) -> Iterator[RawBatch]:
    """Raw batches of one input file; raises InputError when the file is unreadable."""
    reader = {"parquet": _read_parquet, "csv": _read_csv, "jsonl": _read_jsonl}[f.format]
    try:
        yield from reader(f)
    except InputError:
        raise
    except GZIP_ERRORS as exc:  # raised outside a read (e.g. while a reader closes the file)
        raise damaged_gzip(f.path, exc) from None
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise InputError(f"{f.path}: cannot read it as {f.format.upper()} ({exc}).") from None


# ------------------------------------------------------------------- parquet
def _read_parquet(f: InputFile) -> Iterator[RawBatch]:
    pf = pq.ParquetFile(f.path)
    start = 1
    for batch in pf.iter_batches(batch_size=BATCH_ROWS):
        table = pa.Table.from_batches([batch])
        yield RawBatch(_with_pos(table, start), [], unit="row")
        start += table.num_rows


def _with_pos(table: pa.Table, start: int, positions: Any = None) -> pa.Table:
    if positions is None:
        positions = pa.array(range(start, start + table.num_rows), pa.int64())
    return table.append_column(POS, pa.array(positions, pa.int64()))


# ---------------------------------------------------------------------- gzip
_T = TypeVar("_T")
#: What a damaged gzip stream raises while it is read (BadGzipFile is an OSError).
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class _GzipInput(gzip.GzipFile):
    """A gzip file whose damage (truncated, corrupt, not gzip at all) is an InputError naming
    the file and the line where its data breaks, instead of EOFError, zlib.error or
    BadGzipFile surfacing wherever the bytes happen to be consumed (Arrow, json, csv)."""

    def __init__(self, path: Path) -> None:
        super().__init__(filename=path, mode="rb")
        self._path = path

    def _guard(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except GZIP_ERRORS as exc:
            raise damaged_gzip(self._path, exc) from None

    def read(self, size: int | None = -1) -> bytes:
        return self._guard(lambda: super(_GzipInput, self).read(size))

    def read1(self, size: int = -1) -> bytes:
        return self._guard(lambda: super(_GzipInput, self).read1(size))

    def peek(self, n: int) -> bytes:
        return self._guard(lambda: super(_GzipInput, self).peek(n))

    def readline(self, size: int | None = -1) -> bytes:
        return self._guard(lambda: super(_GzipInput, self).readline(size))


def _line_of_break(path: Path) -> int:
    """The line (1-based) at which decompressing ``path`` fails: the lines before it are the
    ones it yields in full.  Run only once the file is known to be damaged."""
    newlines = 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read1(1 << 16):
                newlines += chunk.count(b"\n")
    except GZIP_ERRORS:
        pass
    return newlines + 1


def damaged_gzip(path: Path, exc: BaseException) -> InputError:
    """The InputError for a ``.gz`` file that cannot be decompressed."""
    if isinstance(exc, EOFError):
        what = (
            f"its compressed data ends early, in line {_line_of_break(path)} "
            "(the file is truncated)"
        )
    elif isinstance(exc, zlib.error):
        what = f"corrupt compressed data near line {_line_of_break(path)} ({exc})"
    elif str(exc).startswith("Not a gzipped file"):
        what = f"it is not gzip-compressed although its name ends in .gz ({exc})"
    else:  # a failed CRC or length check: the damage is somewhere in the file
        what = str(exc) or type(exc).__name__
    return InputError(
        f"{path}: damaged gzip file: {what}. Nothing was loaded; re-create or re-download "
        "the file and run again."
    )


def open_input(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it ends in .gz (damage raises InputError)."""
    if path.name.lower().endswith(".gz"):
        return _GzipInput(path)  # type: ignore[return-value]
    return path.open("rb")


# ----------------------------------------------------------------------- csv


def _read_csv(f: InputFile) -> Iterator[RawBatch]:
    with open_input(f.path) as fh:
        header_line = fh.readline()
    try:
        header = _csv_header(header_line)
    except (UnicodeDecodeError, StopIteration):
        raise InputError(f"{f.path}: the first line is not a UTF-8 CSV header.") from None
    if not header or header == [""]:
        raise InputError(f"{f.path}: empty file (no CSV header).")
    skipped: list[Rejection] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append(
            Rejection(
                file=str(f.path),
                position=int(row.number) if row.number is not None else -1,
                unit="line",
                errors=(
                    FieldError(
                        "<record>",
                        f"expected {row.expected_columns} fields, found {row.actual_columns}",
                    ),
                ),
                record=row.text,
            )
        )
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    read = pacsv.ReadOptions(block_size=1 << 24, use_threads=False)
    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True)
    try:
        with open_input(f.path) as fh:
            reader = pacsv.open_csv(
                fh, read_options=read, parse_options=parse, convert_options=convert
            )
            data_rows = 0
            for batch in reader:
                table = pa.Table.from_batches([batch])
                positions = _csv_lines(data_rows, table.num_rows, skipped)
                data_rows += table.num_rows
                new_rejections = list(skipped)
                skipped.clear()
                yield RawBatch(_with_pos(table, 0, positions), new_rejections)
            if skipped:
                yield RawBatch(_with_pos(_empty_strings(header), 1), list(skipped))
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message or "utf8" in message.lower():
            raise InputError(
                f"{f.path}: not valid UTF-8 text ({message.splitlines()[0]}). "
                "Re-encode the file as UTF-8."
            ) from None
        raise


def _csv_header(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")]))


def _csv_lines(before: int, n: int, skipped: list[Rejection]) -> list[int]:
    """Line numbers of data rows before+1 .. before+n, skipping lines already rejected."""
    if not skipped:
        return list(range(before + 2, before + n + 2))
    bad = sorted(r.position for r in skipped if r.position > 0)
    lines: list[int] = []
    line = before + 2 + sum(1 for b in bad if b < before + 2)
    bi = 0
    while len(lines) < n:
        while bi < len(bad) and bad[bi] < line:
            bi += 1
        if bi < len(bad) and bad[bi] == line:
            line += 1
            continue
        lines.append(line)
        line += 1
    return lines


def _empty_strings(names: list[str]) -> pa.Table:
    return pa.table({n: pa.array([], pa.string()) for n in names})


# --------------------------------------------------------------------- jsonl
def _read_jsonl(f: InputFile) -> Iterator[RawBatch]:
    with open_input(f.path) as fh:
        head = fh.read(4096).lstrip()
    if head.startswith(b"["):
        yield from _read_json_array(f)
        return
    try:
        with open_input(f.path) as fh:
            table = pajson.read_json(fh, read_options=pajson.ReadOptions(block_size=1 << 24))
        # Arrow's JSON reader lets invalid UTF-8 through into string values (DuckDB would
        # then fail on them); such a file is read line by line, rejecting those lines.
        table.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        yield from _read_jsonl_slow(f)
        return
    # Blank lines would shift positions; the slow path numbers lines exactly.
    with open_input(f.path) as fh:
        if any(not line.strip() for line in fh):
            yield from _read_jsonl_slow(f)
            return
    for start in range(0, table.num_rows, BATCH_ROWS):
        part = table.slice(start, BATCH_ROWS)
        yield RawBatch(_with_pos(part, start + 1), [])


def _stringify(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def records_batch(records: list[tuple[int, dict[str, Any]]]) -> pa.Table:
    columns: dict[str, list[str | None]] = {}
    for i, (_, rec) in enumerate(records):
        for key in rec:
            if key not in columns:
                columns[key] = [None] * i
        for key, values in columns.items():
            values.append(_stringify(rec.get(key)))
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    if not columns:
        table = pa.table({"_empty": pa.nulls(len(records), pa.string())}).drop(["_empty"])
    return _with_pos(table, 0, [pos for pos, _ in records])


def _read_jsonl_slow(f: InputFile) -> Iterator[RawBatch]:
    """Line by line: every line that is not a JSON object becomes a rejection."""
    records: list[tuple[int, dict[str, Any]]] = []
    rejections: list[Rejection] = []
    with open_input(f.path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            problem: str | None = None
            try:
                text = raw.decode("utf-8")
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    problem = f"not a JSON object (found {type(obj).__name__})"
            except UnicodeDecodeError as exc:
                problem = f"not valid UTF-8 (byte {exc.start})"
                text = raw.decode("utf-8", errors="replace")
            except json.JSONDecodeError as exc:
                problem = f"malformed JSON: {exc.msg} at column {exc.colno}"
            if problem is not None:
                rejections.append(
                    Rejection(
                        str(f.path),
                        lineno,
                        "line",
                        (FieldError("<record>", problem),),
                        text.rstrip("\r\n")[:2000],
                    )
                )
                continue
            records.append((lineno, obj))
            if len(records) >= BATCH_ROWS:
                yield RawBatch(records_batch(records), rejections)
                records, rejections = [], []
    if records or rejections:
        yield RawBatch(records_batch(records), rejections)


def _read_json_array(f: InputFile) -> Iterator[RawBatch]:
    try:
        with open_input(f.path) as fh:
            data = json.load(fh)
    except UnicodeDecodeError as exc:
        raise InputError(f"{f.path}: not valid UTF-8 (byte {exc.start}).") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{f.path}: malformed JSON array at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    records: list[tuple[int, dict[str, Any]]] = []
    rejections: list[Rejection] = []
    for i, obj in enumerate(data, start=1):
        if isinstance(obj, dict):
            records.append((i, obj))
        else:
            rejections.append(
                Rejection(
                    str(f.path),
                    i,
                    "item",
                    (FieldError("<record>", f"not a JSON object (found {type(obj).__name__})"),),
                    obj,
                )
            )
    yield RawBatch(records_batch(records), rejections, unit="item")
