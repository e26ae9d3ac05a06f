"""The canonical event store: Parquet partitioned by week, append-only, idempotent by id.

Layout (the simulator writes the same)::

    STORE/tokencensus-store.json             format, version, salt check, ingested sources
    STORE/events/week=YYYY-MM-DD/part-*.parquet      EVENT_SCHEMA columns, zstd
    STORE/aggregates/week=YYYY-MM-DD/part-*.parquet  AGGREGATE_SCHEMA (not events)
    STORE/quarantine/<ingest>.jsonl           rejected records of each ingest
    STORE/ids/<table>/week=YYYY-MM-DD/part-*.parquet  id index: 64-bit hash of each id
    STORE/.lock, STORE/.commit.lock           lock files (flock)
    STORE/_staging/, STORE/_txn/              write-aside area and commit journals

``week`` is the Monday (UTC) of the ISO week of ``created_at`` (events) or of
``period_start`` (aggregates).  Readers glob ``events/week=*/part-*.parquet``; nothing
else under ``events/`` is ever visible.

Writing (:meth:`Store.transaction`) is safe against crashes and concurrency:

1. An exclusive ``flock`` on ``.lock`` for the whole ingest: a second ingest into the
   same store is refused with a clear error (or waits, with ``wait=``).
2. New rows are written aside under ``_staging/<tx>/``, with every staged id and its
   arrival order beside them; at commit, the staged rows are deduplicated by id across
   all their weeks (the first copy to arrive wins) and anti-joined with the ids of the
   whole store, in any week.  Only new rows are written, as one new part file per week,
   each with its id index (see below).
3. The commit point is the atomic rename of a journal ``_txn/<tx>.commit.json``
   listing the part files to move and the new ``tokencensus-store.json``.  Before it,
   a crash leaves the store exactly as it was (the staging area is invisible and
   removed by the next writer); after it, the next reader or writer finishes the
   journal (each step is an ``os.replace``, safe to repeat).

Ids are unique across the whole store, not per week: the same id with another
``created_at`` (Sunday 23:59:59 in one file, Monday 00:00:01 in another, or re-ingested
with a corrected timestamp) is already present, and the stored copy stays.  To keep that
cheap on a store of 100M+ events, each part file has an id index under ``ids/`` (the
lower 64 bits of each id's MD5, 8 bytes a row, read instead of the id strings): only
the parts whose index holds a staged hash have their id column read, to confirm.  A
part without an index (written by the simulator or an older version) has its id
column read.  Files ingested before are recognized by their SHA-256
and skipped without being read.  The salt that pseudonymizes user ids is never
stored; a keyed check value is, so that a changed salt (which would split every user
in two) is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokencensus.errors import ConfigError, InputError, TokencensusError
from tokencensus.schema import EVENT_SCHEMA, sample_row_groups

__all__ = [
    "AGGREGATE_SCHEMA",
    "STORE_FORMAT",
    "STORE_VERSION",
    "TABLES",
    "CommitResult",
    "Store",
    "StoreError",
    "StoreLockedError",
    "Transaction",
    "expand_store_specs",
    "is_store",
]

STORE_FORMAT = "tokencensus-events"
STORE_VERSION = 1
META = "tokencensus-store.json"
LOCK = ".lock"
COMMIT_LOCK = ".commit.lock"
STAGING = "_staging"
TXN = "_txn"
QUARANTINE = "quarantine"
#: Per-part id indexes: ``ids/<table>/week=W/<part name>`` (column ``id_hash``).
ID_INDEX = "ids"
#: The id index's hash of a key (stable across DuckDB versions: MD5's lower 64 bits).
_HASH_SQL = "md5_number_lower({})"

#: Aggregate rows (OpenRouter /activity days, rankings weeks): counts per period x model.
AGGREGATE_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),  # 'day' | 'week'
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("provider", pa.string()),
        pa.field("endpoint_id", pa.string()),
        pa.field("rank", pa.int32()),
        pa.field("requests", pa.int64()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("completion_tokens", pa.int64()),
        pa.field("reasoning_tokens", pa.int64()),
        pa.field("cached_tokens", pa.int64()),
        pa.field("total_tokens", pa.int64()),
        pa.field("usage_usd", pa.float64()),
        pa.field("byok_usage_usd", pa.float64()),
    ]
)


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema
    key: str
    time: str


TABLES: dict[str, TableSpec] = {
    "events": TableSpec("events", EVENT_SCHEMA, "id", "created_at"),
    "aggregates": TableSpec("aggregates", AGGREGATE_SCHEMA, "key", "period_start"),
}


class StoreError(TokencensusError):
    """A store that cannot be used as asked (not a store, newer version, damaged journal)."""


class StoreLockedError(StoreError):
    """Another ingest holds the store."""


def is_store(path: str | Path) -> bool:
    return (Path(path) / META).is_file()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def salt_check(salt: bytes) -> str:
    """A keyed check value of the salt (not the salt; 64 bits)."""
    return hmac.new(salt, b"tokencensus-salt-check-v1", hashlib.sha256).hexdigest()[:16]


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# ---------------------------------------------------------------------- locks
class _Lock:
    """An flock on a file; released when closed or when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: IO[str] | None = None

    def acquire(self, mode: int, wait: float | None) -> bool:
        self.fh = self.path.open("a+", encoding="utf-8")
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self.fh.fileno(), mode | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    self.fh.close()
                    self.fh = None
                    return False
                time.sleep(0.05)

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return "another process"
        if not info:
            return "another process"
        return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}"

    def note_holder(self) -> None:
        assert self.fh is not None
        self.fh.seek(0)
        self.fh.truncate()
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        self.fh.write(json.dumps(info))
        self.fh.flush()

    def release(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.seek(0)
                self.fh.truncate()
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


# ---------------------------------------------------------------------- store
class Store:
    """A store folder. ``Store.open(path)`` to read, ``Store.create(path)`` to make one."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self.meta = meta

    # ------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | Path) -> Store:
        """An existing store; finishes a journal left by a crashed commit."""
        root = Path(path)
        if not is_store(root):
            if root.exists():
                raise StoreError(
                    f"{root} is not a tokencensus store (no {META}). Ingest into it with "
                    "'tokencensus ingest SOURCE --format F --into STORE' to create one."
                )
            raise StoreError(f"Store {root} does not exist.")
        store = cls(root, _read_meta(root))
        if store._pending_journals():
            store._recover_as_reader()
        store.meta = _read_meta(root)
        return store

    @classmethod
    def create(cls, path: str | Path) -> Store:
        """Open the store at ``path``, creating it (and the folder) when absent."""
        root = Path(path)
        if is_store(root):
            return cls.open(root)
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root} exists and is not a folder: choose an empty or new folder.")
        root.mkdir(parents=True, exist_ok=True)
        lock = _Lock(root / LOCK)  # two ingests may create the same store at once
        lock.acquire(fcntl.LOCK_EX, wait=None)
        try:
            if is_store(root):
                return cls.open(root)
            ours = {LOCK, COMMIT_LOCK}
            if any(
                p.name not in ours and not p.name.startswith(f".{META}.") for p in root.iterdir()
            ):
                raise StoreError(
                    f"{root} exists and is not a tokencensus store: choose an empty or new folder."
                )
            return cls._initialize(root)
        finally:
            lock.release()

    @classmethod
    def _initialize(cls, root: Path) -> Store:
        meta = {
            "format": STORE_FORMAT,
            "version": STORE_VERSION,
            "created_at": _now(),
            "updated_at": _now(),
            "partitioning": "week (Monday of the ISO week, UTC)",
            "tables": {
                name: {"key": spec.key, "columns": spec.schema.names}
                for name, spec in TABLES.items()
            },
            "sources": [],
        }
        _write_atomic(root / META, json.dumps(meta, indent=2) + "\n")
        return cls(root, meta)

    # ------------------------------------------------------------- reading
    def files(self, table: str = "events") -> list[Path]:
        """Committed part files of a table, in week then name order."""
        lock = _Lock(self.path / COMMIT_LOCK)
        lock.acquire(fcntl.LOCK_SH, wait=None)
        try:
            return sorted((self.path / table).glob("week=*/part-*.parquet"))
        finally:
            lock.release()

    def weeks(self, table: str = "events") -> list[date]:
        return sorted({date.fromisoformat(p.parent.name[5:]) for p in self.files(table)})

    def read(self, table: str = "events", columns: Sequence[str] | None = None) -> pa.Table:
        """A whole table in memory (tests, small stores)."""
        files = self.files(table)
        schema = TABLES[table].schema
        if not files:
            return (
                schema.empty_table()
                if columns is None
                else schema.empty_table().select(list(columns))
            )
        parts = [
            pq.read_table(f, columns=list(columns) if columns else None, schema=schema)
            for f in files
        ]
        return pa.concat_tables(parts)

    def count(self, table: str = "events") -> int:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files(table))

    @property
    def sources(self) -> list[dict[str, Any]]:
        return list(self.meta.get("sources", []))

    def source(self, key: str, value: str) -> dict[str, Any] | None:
        """The latest manifest entry whose ``key`` equals ``value``."""
        for entry in reversed(self.sources):
            if entry.get(key) == value:
                return entry
        return None

    # ------------------------------------------------------------- writing
    @contextlib.contextmanager
    def transaction(self, *, wait: float | None = 0.0) -> Iterator[Transaction]:
        """Exclusive write access; ``wait`` seconds for another ingest to finish (None: forever).

        Leaving the block without :meth:`Transaction.commit` (or with an exception)
        discards everything staged.
        """
        lock = _Lock(self.path / LOCK)
        if not lock.acquire(fcntl.LOCK_EX, wait=wait):
            raise StoreLockedError(
                f"Store {self.path} is being written by another ingest ({lock.holder()}). "
                "Concurrent ingests into one store are refused so that their events never "
                "interleave: run again when it has finished, or pass --wait SECONDS to queue."
            )
        try:
            lock.note_holder()
            self._recover()
            self.meta = _read_meta(self.path)
            tx = Transaction(self)
            try:
                yield tx
            finally:
                tx.close()
                if not tx.committed:
                    shutil.rmtree(tx.staging, ignore_errors=True)
        finally:
            lock.release()

    # ------------------------------------------------------------- recovery
    def _pending_journals(self) -> list[Path]:
        return sorted((self.path / TXN).glob("*.commit.json"))

    def _recover(self) -> None:
        """Finish committed journals, drop uncommitted staging (caller holds the write lock)."""
        for journal in self._pending_journals():
            _apply_journal(self.path, journal)
        staging = self.path / STAGING
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        for tmp in (self.path / TXN).glob("*.tmp") if (self.path / TXN).exists() else []:
            tmp.unlink(missing_ok=True)

    def _recover_as_reader(self) -> None:
        lock = _Lock(self.path / LOCK)
        if lock.acquire(fcntl.LOCK_EX, wait=0.0):
            try:
                self._recover()
            finally:
                lock.release()
        # else: the writer is alive and finishing its own journal; files() waits for it.


def _read_meta(root: Path) -> dict[str, Any]:
    try:
        meta = json.loads((root / META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{root / META} cannot be read ({exc}).") from None
    if meta.get("format") != STORE_FORMAT:
        raise StoreError(f"{root / META}: format {meta.get('format')!r} is not {STORE_FORMAT!r}.")
    if int(meta.get("version", 0)) > STORE_VERSION:
        raise StoreError(
            f"Store {root} has version {meta.get('version')}, newer than this tokencensus "
            f"reads ({STORE_VERSION}). Upgrade tokencensus."
        )
    return meta


def _apply_journal(root: Path, journal: Path) -> None:
    """Carry out a committed journal; every step is safe to repeat."""
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"Commit journal {journal} cannot be read ({exc}); the store may hold a partial "
            "commit. Inspect it, then delete the journal to continue."
        ) from None
    lock = _Lock(root / COMMIT_LOCK)
    lock.acquire(fcntl.LOCK_EX, wait=None)
    try:
        for src_rel, dst_rel in plan["moves"]:
            src, dst = root / src_rel, root / dst_rel
            if src.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
                _fsync_dir(dst.parent)
            elif not dst.exists():
                raise StoreError(
                    f"Commit journal {journal} lists {src_rel}, which is gone and was never "
                    f"moved to {dst_rel}. The store is damaged; restore it from a backup."
                )
        _write_atomic(root / META, json.dumps(plan["meta"], indent=2) + "\n")
    finally:
        lock.release()
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)
    shutil.rmtree(root / STAGING / plan["tx"], ignore_errors=True)


# ------------------------------------------------------------------ writing
@dataclass
class CommitResult:
    """What a commit did, per table."""

    added: dict[str, int] = field(default_factory=dict)
    already_present: dict[str, int] = field(default_factory=dict)
    duplicates_in_input: dict[str, int] = field(default_factory=dict)
    weeks: dict[str, list[str]] = field(default_factory=dict)
    quarantine: str | None = None


class Transaction:
    """Rows staged aside, then committed all at once (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tx = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        self.staging = store.path / STAGING / self.tx
        self.staging.mkdir(parents=True)
        self.committed = False
        self._writers: dict[tuple[str, str], pq.ParquetWriter] = {}
        #: per table: staged ids with arrival order, week and row in the week's staged file
        self._key_writers: dict[str, pq.ParquetWriter] = {}
        self._arrived: dict[str, int] = {}
        self._week_rows: dict[tuple[str, str], int] = {}
        self._sources: list[dict[str, Any]] = []
        self._meta_updates: dict[str, Any] = {}

    @property
    def quarantine_path(self) -> Path:
        """Where to write this ingest's rejected records (moved into the store on commit)."""
        return self.staging / "quarantine.jsonl"

    def check_salt(self, salt: bytes) -> None:
        """Refuse a salt other than the one the store was built with."""
        check = salt_check(salt)
        known = self.store.meta.get("salt_check")
        if known is None:
            self._meta_updates["salt_check"] = check
        elif known != check:
            raise ConfigError(
                f"The salt differs from the one store {self.store.path} was built with: the "
                "same user would get a different pseudonymous id and retention would break. "
                "Use the original salt (TOKENCENSUS_SALT, --salt-file or the config file), or "
                "ingest into a new store."
            )

    def add(self, table_name: str, rows: pa.Table) -> None:
        """Stage validated rows (exactly the table's schema, extra columns ignored)."""
        spec = TABLES[table_name]
        if rows.num_rows == 0:
            return
        rows = rows.select(spec.schema.names).cast(spec.schema)
        day = rows.column(spec.time)
        if pa.types.is_timestamp(day.type):
            day = pc.cast(day, pa.date32())
        monday = pc.subtract(pc.cast(day, pa.int32()), pc.cast(pc.day_of_week(day), pa.int32()))
        staged = rows  # row order in the staged file is arrival order (first copy wins)
        first = self._arrived.get(table_name, 0)
        self._arrived[table_name] = first + rows.num_rows
        arrival = pa.array(range(first, first + rows.num_rows), pa.int64())
        for week_days in pc.unique(monday).to_pylist():
            in_week = pc.equal(monday, week_days)
            # the classified sample after the other rows, in row groups of its own
            # (schema.sample_row_groups); positions and arrivals follow the written order
            groups = sample_row_groups(
                staged.filter(in_week).append_column("__arrival", arrival.filter(in_week))
            )
            part = pa.concat_tables(groups)
            week_arrival = part.column("__arrival")
            part = part.drop_columns(["__arrival"])
            week = (date(1970, 1, 1) + timedelta(days=week_days)).isoformat()
            key = (table_name, week)
            writer = self._writers.get(key)
            if writer is None:
                path = self.staging / "staged" / table_name / f"week={week}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, part.schema, compression="zstd")
                self._writers[key] = writer
            for group in groups:
                writer.write_table(group.drop_columns(["__arrival"]))
            row = self._week_rows.get(key, 0)
            self._week_rows[key] = row + part.num_rows
            self._stage_keys(
                table_name,
                pa.table(
                    {
                        "key": part.column(spec.key),
                        "arrival": week_arrival,
                        "week": pa.array([week] * part.num_rows, pa.string()),
                        "row": pa.array(range(row, row + part.num_rows), pa.int64()),
                    }
                ),
            )

    def _stage_keys(self, table_name: str, keys: pa.Table) -> None:
        writer = self._key_writers.get(table_name)
        if writer is None:
            path = self._keys_path(table_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(path, keys.schema, compression="zstd")
            self._key_writers[table_name] = writer
        writer.write_table(keys)

    def _keys_path(self, table_name: str) -> Path:
        return self.staging / "staged" / f"{table_name}.keys.parquet"

    def record_source(self, entry: dict[str, Any]) -> None:
        """A manifest entry (an input file or database table) committed with the rows."""
        self._sources.append(entry)

    def close(self) -> None:
        for writer in [*self._writers.values(), *self._key_writers.values()]:
            writer.close()
        self._writers.clear()
        self._key_writers.clear()

    def commit(self, *, threads: int | None = None) -> CommitResult:
        """Deduplicate, anti-join, write the new part files and publish them atomically."""
        self.close()
        result = CommitResult()
        moves: list[tuple[str, str]] = []
        root = self.store.path
        from tokencensus.ingest.sources.base import connect

        con = connect()
        try:
            if threads:
                con.execute(f"SET threads={int(threads)}")
            index_moves: list[tuple[str, str]] = []
            for table_name, spec in TABLES.items():
                result.added[table_name] = 0
                result.already_present[table_name] = 0
                result.duplicates_in_input[table_name] = 0
                result.weeks[table_name] = []
                keys = self._keys_path(table_name)
                if not keys.exists():
                    continue
                staged_n, unique_n, present_n, dropped = self._dropped_rows(con, spec, keys)
                result.duplicates_in_input[table_name] = staged_n - unique_n
                result.already_present[table_name] = present_n
                staged_dir = self.staging / "staged" / table_name
                for staged in sorted(staged_dir.glob("week=*.parquet")):
                    week = staged.stem[5:]
                    drop = dropped.get(week, 0)
                    new_n = self._week_rows[(table_name, week)] - drop
                    if new_n == 0:
                        continue
                    name = f"part-{self.tx}.parquet"
                    rel = f"{table_name}/week={week}/{name}"
                    part = self.staging / "parts" / rel
                    part.parent.mkdir(parents=True, exist_ok=True)
                    if not drop:  # every staged row is new: the staged file is the part
                        os.replace(staged, part)
                    else:
                        _write_part(self._kept_rows(con, spec, staged, week), part)
                    index = self.staging / "parts" / ID_INDEX / rel
                    _write_id_index(con, spec, part, index)
                    for path in (part, index):
                        with path.open("rb") as fh:
                            os.fsync(fh.fileno())
                    moves.append((str(part.relative_to(root)), rel))
                    index_moves.append((str(index.relative_to(root)), f"{ID_INDEX}/{rel}"))
                    result.added[table_name] += new_n
                    result.weeks[table_name].append(week)
            moves += index_moves
        finally:
            con.close()
        if self.quarantine_path.exists():
            result.quarantine = f"{QUARANTINE}/ingest-{self.tx}.jsonl"
            moves.append((str(self.quarantine_path.relative_to(root)), result.quarantine))
        meta = dict(self.store.meta)
        meta.update(self._meta_updates)
        meta["updated_at"] = _now()
        meta["sources"] = [*meta.get("sources", []), *self._sources]
        plan = {"tx": self.tx, "created_at": _now(), "moves": moves, "meta": meta}
        txn = root / TXN
        txn.mkdir(exist_ok=True)
        tmp = txn / f"{self.tx}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(plan, indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        journal = txn / f"{self.tx}.commit.json"
        self._before_commit_point()
        os.replace(tmp, journal)  # <- the commit point
        _fsync_dir(txn)
        self.committed = True
        _apply_journal(root, journal)
        self.store.meta = meta
        return result

    def _before_commit_point(self) -> None:
        """Hook for crash tests: everything is written aside, nothing is published."""

    def _dropped_rows(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, keys: Path
    ) -> tuple[int, int, int, dict[str, int]]:
        """(staged rows, distinct ids, ids already stored, rows dropped per week).

        A staged row is dropped when an earlier staged row has its id (in any week: arrival
        order decides) or when the store holds its id already (in any week).  The dropped
        rows are listed in the temporary table :meth:`_drop_table` (week, row), which
        :meth:`_kept_rows` reads.
        """
        k = f"read_parquet({_sql_str(str(keys))})"
        ((staged_n, unique_n),) = con.sql(
            f"SELECT count(*), count(DISTINCT key) FROM {k}"
        ).fetchall()
        present = self._temp_name("present", spec)
        present_n = _stored_keys(con, self.store.path, spec, k, present)
        drop = self._temp_name("drop", spec)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {drop} (week VARCHAR, row BIGINT)")
        if staged_n == unique_n and not present_n:
            return staged_n, unique_n, 0, {}
        con.execute(
            f"INSERT INTO {drop} SELECT week, row FROM ("
            "SELECT week, row, key, row_number() OVER (PARTITION BY key ORDER BY arrival) AS n "
            f"FROM {k}) WHERE n > 1 OR key IN (SELECT key FROM {present})"
        )
        counts = con.sql(f"SELECT week, count(*) FROM {drop} GROUP BY week").fetchall()
        return staged_n, unique_n, present_n, {w: int(n) for w, n in counts}

    def _temp_name(self, what: str, spec: TableSpec) -> str:
        return f'"_{what}_{spec.name}_{self.tx.replace("-", "_")}"'

    def _kept_rows(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, staged: Path, week: str
    ) -> pa.Table:
        """The staged rows of ``week`` that are not dropped, in arrival order."""
        src = f"read_parquet({_sql_str(str(staged))}, file_row_number = true)"
        drop = self._temp_name("drop", spec)
        out = con.sql(
            f"SELECT * EXCLUDE (file_row_number) FROM {src} s WHERE NOT EXISTS (SELECT 1 "
            f"FROM {drop} d WHERE d.week = {_sql_str(week)} AND d.row = s.file_row_number) "
            "ORDER BY file_row_number"
        )
        return out.to_arrow_table().cast(spec.schema)


def _write_part(table: pa.Table, path: Path) -> None:
    """A committed part file: the classified sample in row groups of its own."""
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for group in sample_row_groups(table):
            writer.write_table(group)


def _stored_keys(
    con: duckdb.DuckDBPyConnection, root: Path, spec: TableSpec, staged_keys: str, into: str
) -> int:
    """Fill the temporary table ``into`` (``key``) with the distinct staged keys
    (``staged_keys``: a SQL relation with a ``key`` column) that a committed part of the
    table holds already, in any week; return how many there are.

    Only hashes are read to find the parts that may hold a staged key (their id indexes);
    those parts, and any part without an index, then have their key column read to
    confirm each match exactly.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} (key VARCHAR)")
    parts = sorted((root / spec.name).glob("week=*/part-*.parquet"))
    indexed: dict[str, Path] = {}
    candidates: list[Path] = []
    for part in parts:
        index = root / ID_INDEX / part.relative_to(root)
        if index.is_file():
            indexed[str(index)] = part
        else:
            candidates.append(part)
    if indexed:
        files = "[" + ", ".join(_sql_str(p) for p in indexed) + "]"
        hashed = _HASH_SQL.format('"key"')
        hits = con.sql(
            f"SELECT DISTINCT filename FROM read_parquet({files}, filename = true) "
            f"WHERE id_hash IN (SELECT {hashed} FROM {staged_keys})"
        ).fetchall()
        for (name,) in hits:
            if name not in indexed:  # a path spelled otherwise: confirm in every part
                candidates = parts
                break
            candidates.append(indexed[name])
    if not candidates:
        return 0
    key = f'"{spec.key}"'
    files = "[" + ", ".join(_sql_str(str(p)) for p in sorted(set(candidates))) + "]"
    con.execute(
        f"INSERT INTO {into} SELECT DISTINCT {key} FROM read_parquet({files}) "
        f"WHERE {key} IN (SELECT key FROM {staged_keys})"
    )
    ((n,),) = con.sql(f"SELECT count(*) FROM {into}").fetchall()
    return int(n)


def _write_id_index(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, part: Path, index: Path
) -> None:
    """The id index of a part file: one ``id_hash`` (UBIGINT) per row."""
    hashed = _HASH_SQL.format(f'"{spec.key}"')
    table = con.sql(
        f"SELECT {hashed} AS id_hash FROM read_parquet({_sql_str(str(part))})"
    ).to_arrow_table()
    index.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, index, compression="none")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ------------------------------------------------------------ study inputs
def expand_store_specs(specs: Sequence[str | Path]) -> list[str | Path]:
    """Replace each store folder among ``specs`` by its committed event files."""
    out: list[str | Path] = []
    for spec in specs:
        if not is_store(spec):
            out.append(spec)
            continue
        store = Store.open(spec)
        files = store.files("events")
        if not files:
            from tokencensus.ingest.aggregates import coverage_message

            aggregates = store.count("aggregates")
            if aggregates:
                raise InputError(
                    f"Store {spec} holds no per-request events, only {aggregates:,} aggregate "
                    f"rows. {coverage_message()}"
                )
            raise InputError(f"Store {spec} holds no events yet; ingest some logs into it first.")
        out.extend(files)
    return out
