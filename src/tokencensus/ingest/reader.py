"""Read canonical-schema files (Parquet, CSV, JSONL) with validation, into a staging store.

Good rows are written to ``staging_dir`` as Parquet (canonical columns plus
``_file`` and ``_pos``, which let the engine keep the first copy of a duplicated
id deterministically).  Every bad record goes to the quarantine file with its
reasons: files are read as the ingest reads them (:mod:`tokencensus.ingest.sources.files`),
so that a broken record -- invalid UTF-8, an unbalanced quote, a damaged JSON array
element -- is rejected alone and never costs the records around it.  A file that cannot
be used at all (unreadable, a damaged ``.gz``, a header that is not UTF-8, missing a
required column) stops the run with an :class:`InputError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokencensus.errors import InputError
from tokencensus.ingest.formats import (
    FILE_COL,
    POS,
    InputFile,
    RawBatch,
    discover_inputs,
    open_input,
    read_raw,
    records_batch,
)
from tokencensus.ingest.quarantine import QuarantineWriter
from tokencensus.ingest.sources.files import csv_batches, json_records
from tokencensus.ingest.validate import missing_required_columns, validate_batch
from tokencensus.schema import EVENT_SCHEMA, REQUIRED_FIELDS

__all__ = ["FILE_COL", "STAGED_SCHEMA", "FileSummary", "ReadSummary", "read_events"]

#: Rows validated per query (small files are pooled up to this size).
POOL_ROWS = 256_000
STAGED_SCHEMA = pa.schema(
    [*EVENT_SCHEMA, pa.field(FILE_COL, pa.int32()), pa.field(POS, pa.int64())]
)


@dataclass
class FileSummary:
    path: str
    format: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class ReadSummary:
    files: list[FileSummary]
    staging_dir: Path
    quarantine_path: Path
    quarantined: int
    quarantine_reasons: dict[str, int]
    quarantine_examples: list[str]

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)


def _raw_batches(f: InputFile) -> Iterator[RawBatch]:
    """Raw batches of a canonical file, a record that cannot be parsed rejected alone."""
    try:
        if f.format == "csv":
            yield from csv_batches(f.path)
        elif f.format == "jsonl" and _is_json_array(f.path):
            for records, rejections, unit in json_records(f.path, unwrap_data=False):
                yield RawBatch(records_batch(records), rejections, unit=unit)
        else:
            yield from read_raw(f)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{f.path}: cannot read it ({exc}).") from None


def _is_json_array(path: Path) -> bool:
    with open_input(path) as fh:
        return fh.read(4096).lstrip().startswith(b"[")


def _check_columns(f: InputFile, columns: Sequence[str]) -> list[str]:
    names = [c for c in columns if c != POS]
    missing = missing_required_columns(names)
    if missing:
        raise InputError(
            f"{f.path}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)}. Found: {', '.join(names) or 'none'}. "
            f"Canonical events need {', '.join(REQUIRED_FIELDS)}; to map another log format "
            "use 'tokencensus ingest --format ...'."
        )
    return sorted(set(names) - set(EVENT_SCHEMA.names))


class _Pool:
    """Raw batches of one schema pooled across files, validated together in large chunks:
    a validation query has a fixed cost, which many small files (a weekly store) would
    pay once each."""

    def __init__(
        self,
        names: list[str],
        summaries: list[FileSummary],
        quarantine: QuarantineWriter,
        staging_dir: Path,
        con: duckdb.DuckDBPyConnection,
    ) -> None:
        self.names, self.summaries, self.quarantine = names, summaries, quarantine
        self.staging_dir, self.con = staging_dir, con
        self.tables: list[pa.Table] = []
        self.unit = "line"
        self.rows = 0
        self.parts = 0

    def add(self, table: pa.Table, unit: str) -> None:
        if self.tables and (table.schema != self.tables[0].schema or unit != self.unit):
            self.flush()
        self.tables.append(table)
        self.unit = unit
        self.rows += table.num_rows
        if self.rows >= POOL_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.tables:
            return
        table = pa.concat_tables(self.tables)
        self.tables, self.rows = [], 0
        good, bad = validate_batch(table, self.names, self.unit, self.con)
        for rejection in bad:
            self.quarantine.write(rejection)
        counts = pc.value_counts(good.column(FILE_COL)).to_pylist() if good.num_rows else []
        for item in counts:
            self.summaries[item["values"]].loaded += item["counts"]
        for rejection in bad:
            self.summaries[self.names.index(rejection.file)].quarantined += 1
        if good.num_rows:
            pq.write_table(
                good.select(STAGED_SCHEMA.names).cast(STAGED_SCHEMA),
                self.staging_dir / f"part-{self.parts:05d}.parquet",
                compression="zstd",
            )
            self.parts += 1


def read_events(
    specs: Sequence[str | Path],
    staging_dir: Path,
    quarantine_path: Path,
    on_rows: Callable[[str, int], None] | None = None,
) -> ReadSummary:
    """Validate every input into ``staging_dir``; rejected records go to ``quarantine_path``."""
    from tokencensus.store import expand_store_specs  # a store folder reads as its event files

    inputs = discover_inputs(expand_store_specs(list(specs)))
    staging_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    summaries = [FileSummary(path=str(f.path), format=f.format) for f in inputs]
    names = [str(f.path) for f in inputs]
    with QuarantineWriter(quarantine_path) as quarantine:
        pool = _Pool(names, summaries, quarantine, staging_dir, con)
        for index, f in enumerate(inputs):
            summary = summaries[index]
            checked = False
            for batch in _raw_batches(f):
                for rejection in batch.rejections:
                    quarantine.write(rejection)
                summary.read += len(batch.rejections)
                summary.quarantined += len(batch.rejections)
                if batch.table.num_columns <= 1 and batch.table.num_rows == 0:
                    continue
                if not checked:
                    summary.ignored_columns = _check_columns(f, batch.table.column_names)
                    checked = True
                summary.read += batch.table.num_rows
                pool.add(
                    batch.table.append_column(
                        FILE_COL, pa.array([index] * batch.table.num_rows, pa.int32())
                    ),
                    batch.unit,
                )
                if on_rows is not None:
                    on_rows(str(f.path), batch.table.num_rows + len(batch.rejections))
        pool.flush()
    con.close()
    return ReadSummary(
        files=summaries,
        staging_dir=staging_dir,
        quarantine_path=quarantine_path,
        quarantined=quarantine.count,
        quarantine_reasons=dict(quarantine.by_reason),
        quarantine_examples=list(quarantine.examples),
    )
