"""Reading raw log files record by record, so that one bad record never costs a good one.

- JSON: JSONL (one object per line), a JSON array, or one object (an API
  response: ``{"data": [...]}`` or ``{"data": {...}}`` is unwrapped).  A line
  that is not JSON, not an object, or not UTF-8 is rejected alone.
- CSV: Arrow's fast reader when the file is valid UTF-8; otherwise a
  line-by-line reader that rejects only the records holding invalid bytes.
- Parquet: Arrow, in row batches.

Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from tokencensus.errors import InputError
from tokencensus.ingest.formats import POS, InputFile, RawBatch, open_input, read_raw
from tokencensus.ingest.quarantine import FieldError, Rejection

__all__ = [
    "BATCH",
    "csv_batches",
    "file_format",
    "json_records",
    "list_files",
    "open_bytes",
    "parquet_batches",
]

BATCH = 100_000
_SHOW = 2000
_SUFFIXES = {
    "json": (".jsonl", ".ndjson", ".json"),
    "csv": (".csv", ".tsv"),
    "parquet": (".parquet", ".pq"),
}


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for fmt, suffixes in _SUFFIXES.items():
        if name.endswith(suffixes):
            return fmt
    return None


def list_files(spec: str, formats: tuple[str, ...], what: str) -> list[Path]:
    """A file, a folder (searched recursively, sorted) or a glob -> files of the given formats."""
    import glob

    path = Path(spec)
    wanted = ", ".join(s for f in formats for s in _SUFFIXES[f])
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and file_format(p) in formats)
        if not files:
            raise InputError(
                f"Folder {spec} holds no {what} files (looked for {wanted}, optionally .gz)."
            )
        return files
    if path.is_file():
        if file_format(path) not in formats:
            raise InputError(f"{spec}: not a {what} file (expected {wanted}, optionally .gz).")
        return [path]
    if any(ch in spec for ch in "*?["):
        files = sorted(
            Path(p) for p in glob.glob(spec, recursive=True) if file_format(Path(p)) in formats
        )
        if not files:
            raise InputError(f"No {what} file matches {spec!r} (expected {wanted}).")
        return files
    raise InputError(f"Input {spec} does not exist.")


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it ends in .gz; a damaged gzip file raises InputError
    naming the file and the line where its data breaks."""
    return open_input(path)


def _reject(path: Path, pos: int, unit: str, field: str, reason: str, record: Any) -> Rejection:
    if isinstance(record, (bytes, bytearray)):
        record = record.decode("utf-8", errors="replace")
    if isinstance(record, str):
        record = record.rstrip("\r\n")[:_SHOW]
    return Rejection(str(path), pos, unit, (FieldError(field, reason),), record)


def _has_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return False


# ---------------------------------------------------------------------- JSON
Records = tuple[list[tuple[int, dict[str, Any]]], list[Rejection], str]


def json_records(path: Path, *, unwrap_data: bool = True, batch: int = BATCH) -> Iterator[Records]:
    """Batches of ``([(position, object)], rejections, unit)`` from a JSON or JSONL file."""
    with open_bytes(path) as fh:
        first = b""
        for line in fh:
            if line.strip():
                first = line
                break
    if not first:
        return
    mode = "lines"
    stripped = first.strip()
    if stripped.startswith(b"["):
        mode = "document"
    elif stripped.startswith(b"{"):
        try:
            json.loads(stripped)
        except (ValueError, UnicodeDecodeError):
            mode = "document"  # a pretty-printed object, or a first line that is broken
    if mode == "document":
        parsed = _json_document(path)
        if parsed is not None:
            yield from _document_records(path, parsed, unwrap_data, batch)
            return
        if stripped.startswith(b"["):  # a damaged array: recover every element that parses
            yield from _tolerant_array(path, unwrap_data, batch)
            return
    yield from _json_lines(path, unwrap_data, batch)


def _unwrap(obj: dict[str, Any], unwrap: bool) -> dict[str, Any]:
    if unwrap and isinstance(obj.get("data"), dict) and len(obj) <= 2:
        return obj["data"]
    return obj


def _json_lines(path: Path, unwrap: bool, batch: int) -> Iterator[Records]:
    records: list[tuple[int, dict[str, Any]]] = []
    rejections: list[Rejection] = []
    with open_bytes(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                rejections.append(
                    _reject(
                        path, lineno, "line", "<record>", f"not valid UTF-8 (byte {exc.start})", raw
                    )
                )
                continue
            except (ValueError, RecursionError) as exc:
                reason = f"malformed JSON: {getattr(exc, 'msg', str(exc))}"
                if hasattr(exc, "colno"):
                    reason += f" (column {exc.colno})"
                rejections.append(_reject(path, lineno, "line", "<record>", reason, raw))
                continue
            if not isinstance(obj, dict):
                rejections.append(
                    _reject(
                        path,
                        lineno,
                        "line",
                        "<record>",
                        f"not a JSON object (found {type(obj).__name__})",
                        raw,
                    )
                )
                continue
            records.append((lineno, _unwrap(obj, unwrap)))
            if len(records) >= batch:
                yield records, rejections, "line"
                records, rejections = [], []
    if records or rejections:
        yield records, rejections, "line"


def _read_text(path: Path) -> str:
    with open_bytes(path) as fh:
        data = fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="surrogateescape")


def _json_document(path: Path) -> Any:
    """The whole file as one JSON value; None when it is not one (then it is read as JSONL)."""
    try:
        return json.loads(_read_text(path))
    except (ValueError, RecursionError):
        return None


#: Where the next array element may start after a damaged one.
_RESYNC = re.compile(r"(?:\n[ \t]*|,[ \t\r\n]*)(?=\{)")


def _tolerant_array(path: Path, unwrap: bool, batch: int) -> Iterator[Records]:
    """Elements of a damaged JSON array, one by one; a bad stretch up to the next object is rejected."""
    text = _read_text(path)
    decoder = json.JSONDecoder()
    i, n, k = text.index("[") + 1, len(text), 0
    records: list[tuple[int, dict[str, Any]]] = []
    rejections: list[Rejection] = []
    while True:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            break
        k += 1
        try:
            obj, end = decoder.raw_decode(text, i)
        except (ValueError, RecursionError) as exc:
            line = text.count("\n", 0, i) + 1
            reason = f"malformed JSON near line {line}: {getattr(exc, 'msg', exc)}"
            rejections.append(
                _reject(path, k, "item", "<record>", reason, _safe(text[i : i + 300]))
            )
            match = _RESYNC.search(text, i + 1)
            if match is None:
                break
            i = match.end()
            continue
        i = end
        if not isinstance(obj, dict):
            reason = f"not a JSON object (found {type(obj).__name__})"
            rejections.append(_reject(path, k, "item", "<record>", reason, _safe(obj)))
        elif _has_surrogates(obj):
            rejections.append(_reject(path, k, "item", "<record>", "not valid UTF-8", _safe(obj)))
        else:
            records.append((k, _unwrap(obj, unwrap)))
        if len(records) >= batch:
            yield records, rejections, "item"
            records, rejections = [], []
    if records or rejections:
        yield records, rejections, "item"


def _document_records(path: Path, doc: Any, unwrap: bool, batch: int) -> Iterator[Records]:
    if isinstance(doc, dict):
        if unwrap and isinstance(doc.get("data"), list):
            items = doc["data"]
        elif unwrap and isinstance(doc.get("data"), dict):
            items = [doc["data"]]
        else:
            items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        yield (
            [],
            [_reject(path, 1, "item", "<record>", "not a JSON object or array", str(doc))],
            "item",
        )
        return
    records: list[tuple[int, dict[str, Any]]] = []
    rejections: list[Rejection] = []
    for i, obj in enumerate(items, start=1):
        if not isinstance(obj, dict):
            rejections.append(
                _reject(
                    path,
                    i,
                    "item",
                    "<record>",
                    f"not a JSON object (found {type(obj).__name__})",
                    _safe(obj),
                )
            )
        elif _has_surrogates(obj):
            rejections.append(_reject(path, i, "item", "<record>", "not valid UTF-8", _safe(obj)))
        else:
            records.append((i, _unwrap(obj, unwrap)))
        if len(records) >= batch:
            yield records, rejections, "item"
            records, rejections = [], []
    if records or rejections:
        yield records, rejections, "item"


def _safe(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=True, default=str) if not isinstance(obj, str) else obj
    return text.encode("utf-8", errors="replace").decode("utf-8")[:_SHOW]


# ----------------------------------------------------------------------- CSV
def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_bytes(path) as fh:
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _single_line_records(path: Path) -> bool:
    """Every line closes the quotes it opens (no multi-line field, no truncated quote).

    Only then can a fast reader not let one broken line swallow the lines after it.
    """
    with open_bytes(path) as fh:
        return not any(line.count(b'"') & 1 for line in fh)


def csv_batches(path: Path) -> Iterator[RawBatch]:
    """Raw string batches of a CSV file (``_pos`` = line number; the header is line 1).

    Arrow reads a clean UTF-8 file whose records are one line each; a file with invalid
    bytes, a malformed record (a truncated line, an unbalanced quote) or multi-line quoted
    fields is read record by record instead, so that a bad record is rejected alone and
    never swallows the lines after it.
    """
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        yield from _csv_python(path, delimiter="\t")
    elif _is_utf8(path) and _single_line_records(path):  # a bad line cannot spill over
        yield from read_raw(InputFile(path=path, format="csv"))
    else:
        yield from _csv_python(path, delimiter=",")


#: A record with an open quote may span at most this many lines (a quoted multi-line field).
MAX_RECORD_LINES = 200


class _Lines:
    """Numbered physical lines of a file with a bounded look-ahead (never the whole file)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._it = enumerate(fh, start=1)
        self._buf: list[tuple[int, bytes]] = []

    def peek(self, n: int) -> list[tuple[int, bytes]]:
        while len(self._buf) < n:
            try:
                self._buf.append(next(self._it))
            except StopIteration:
                break
        return self._buf[:n]

    def drop(self, n: int) -> None:
        del self._buf[:n]


def _csv_python(path: Path, delimiter: str) -> Iterator[RawBatch]:
    """Record by record: a record is complete when its quotes balance (at most MAX_RECORD_LINES
    lines); a record that does not parse is rejected alone and reading resumes on its next line."""
    with open_bytes(path) as fh:
        lines = _Lines(fh)
        first = lines.peek(1)
        if not first:
            raise InputError(f"{path}: empty file (no CSV header).")
        lines.drop(1)
        try:
            header_text = first[0][1].decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
            header = next(csv.reader([header_text], delimiter=delimiter))
        except UnicodeDecodeError:
            raise InputError(
                f"{path}: the CSV header is not valid UTF-8. Re-encode the file as UTF-8."
            ) from None
        except (StopIteration, csv.Error) as exc:
            raise InputError(f"{path}: the first line is not a CSV header ({exc}).") from None
        width = len(header)
        columns: list[list[str | None]] = [[] for _ in header]
        positions: list[int] = []
        rejections: list[Rejection] = []
        while ahead := lines.peek(MAX_RECORD_LINES):
            start, raw = ahead[0]
            if not raw.strip():
                lines.drop(1)
                continue
            row, used, problem = _parse_record(ahead, delimiter, width)
            if problem is not None:
                field, reason = problem
                rejections.append(_reject(path, start, "line", field, reason, raw))
                lines.drop(1)  # only this line is lost: the next one is read again on its own
            else:
                assert row is not None
                for col, value in zip(columns, row, strict=True):
                    col.append(value if value != "" else None)
                positions.append(start)
                lines.drop(used)
            if len(positions) >= BATCH:
                yield _string_batch(header, columns, positions, rejections)
                columns = [[] for _ in header]
                positions, rejections = [], []
        if positions or rejections:
            yield _string_batch(header, columns, positions, rejections)


def _parse_record(
    ahead: list[tuple[int, bytes]], delimiter: str, width: int
) -> tuple[list[str] | None, int, tuple[str, str] | None]:
    """(fields, lines used, None), or (None, 1, (field, reason)) for the record at ahead[0]."""
    parts: list[bytes] = []
    quotes = 0
    for _, raw in ahead:
        parts.append(raw)
        quotes += raw.count(b'"')
        if quotes % 2 == 0:
            break
    blob = b"".join(parts)
    if quotes % 2:
        return None, 1, ("<record>", "malformed CSV: a quoted field is never closed")
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, 1, ("<record>", f"not valid UTF-8 (byte {exc.start})")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return None, 1, ("<record>", f"malformed CSV: {exc}")
    if len(rows) != 1:
        return None, 1, ("<record>", "malformed CSV: the quoted field spans records")
    if len(rows[0]) != width:
        return None, 1, ("<record>", f"expected {width} fields, found {len(rows[0])}")
    return rows[0], len(parts), None


def _string_batch(
    header: list[str],
    columns: list[list[str | None]],
    positions: list[int],
    rejections: list[Rejection],
) -> RawBatch:
    data = {name: pa.array(col, pa.string()) for name, col in zip(header, columns, strict=True)}
    data[POS] = pa.array(positions, pa.int64())
    return RawBatch(pa.table(data), list(rejections), unit="line")


# ------------------------------------------------------------------- Parquet
def parquet_batches(path: Path) -> Iterator[RawBatch]:
    yield from read_raw(InputFile(path=path, format="parquet"))
