"""The canonical event store: Parquet partitioned by week, append-only, idempotent by id.

Layout (the simulator writes the same)::

    STORE/tokencensus-store.json             format, version, salt check, ingested sources
    STORE/events/week=YYYY-MM-DD/part-*.parquet      EVENT_SCHEMA columns, zstd
    STORE/aggregates/week=YYYY-MM-DD/part-*.parquet  AGGREGATE_SCHEMA (not events)
    STORE/quarantine/<ingest>.jsonl           rejected records of each ingest
    STORE/.lock, STORE/.commit.lock           lock files (flock)
    STORE/_staging/, STORE/_txn/              write-aside area and commit journals

``week`` is the Monday (UTC) of the ISO week of ``created_at`` (events) or of
``period_start`` (aggregates).  Readers glob ``events/week=*/part-*.parquet``; nothing
else under ``events/`` is ever visible.

Writing (:meth:`Store.transaction`) is safe against crashes and concurrency:

1. An exclusive ``flock`` on ``.lock`` for the whole ingest: a second ingest into the
   same store is refused with a clear error (or waits, with ``wait=``).
2. New rows are written aside under ``_staging/<tx>/``; at commit, each week's rows
   are deduplicated by id (first occurrence wins) and anti-joined with the ids already
   in that week's files.  Only new rows are written, as one new part file per week.
3. The commit point is the atomic rename of a journal ``_txn/<tx>.commit.json``
   listing the part files to move and the new ``tokencensus-store.json``.  Before it,
   a crash leaves the store exactly as it was (the staging area is invisible and
   removed by the next writer); after it, the next reader or writer finishes the
   journal (each step is an ``os.replace``, safe to repeat).

Idempotence is per week: the same id is expected in the same week (an event's
``created_at`` never changes).  Files ingested before are recognized by their SHA-256
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
from tokencensus.schema import EVENT_SCHEMA

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
        for week_days in pc.unique(monday).to_pylist():
            part = staged.filter(pc.equal(monday, week_days))
            week = (date(1970, 1, 1) + timedelta(days=week_days)).isoformat()
            key = (table_name, week)
            writer = self._writers.get(key)
            if writer is None:
                path = self.staging / "staged" / table_name / f"week={week}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, part.schema, compression="zstd")
                self._writers[key] = writer
            writer.write_table(part)

    def record_source(self, entry: dict[str, Any]) -> None:
        """A manifest entry (an input file or database table) committed with the rows."""
        self._sources.append(entry)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

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
            for table_name, spec in TABLES.items():
                result.added[table_name] = 0
                result.already_present[table_name] = 0
                result.duplicates_in_input[table_name] = 0
                result.weeks[table_name] = []
                staged_dir = self.staging / "staged" / table_name
                for staged in (
                    sorted(staged_dir.glob("week=*.parquet")) if staged_dir.exists() else []
                ):
                    week = staged.stem[5:]
                    staged_n, unique_n, out = self._new_rows(con, spec, staged, week)
                    new_n = unique_n if out is None else out.num_rows
                    result.duplicates_in_input[table_name] += staged_n - unique_n
                    result.already_present[table_name] += unique_n - new_n
                    if new_n == 0:
                        continue
                    name = f"part-{self.tx}.parquet"
                    part = self.staging / "parts" / table_name / f"week={week}" / name
                    part.parent.mkdir(parents=True, exist_ok=True)
                    if out is None:  # every staged row is new: the staged file is the part
                        os.replace(staged, part)
                    else:
                        pq.write_table(out, part, compression="zstd")
                    with part.open("rb") as fh:
                        os.fsync(fh.fileno())
                    moves.append((str(part.relative_to(root)), f"{table_name}/week={week}/{name}"))
                    result.added[table_name] += new_n
                    result.weeks[table_name].append(week)
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

    def _new_rows(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, staged: Path, week: str
    ) -> tuple[int, int, pa.Table | None]:
        """(staged rows, distinct ids, the new rows -- or None when all staged rows are new)."""
        existing = sorted((self.store.path / spec.name / f"week={week}").glob("part-*.parquet"))
        keys = pq.read_table(staged, columns=[spec.key]).column(spec.key)
        staged_n, unique_n = len(keys), pc.count_distinct(keys).as_py()
        if not existing and unique_n == staged_n:
            return staged_n, unique_n, None
        key = f'"{spec.key}"'
        src = f"read_parquet({_sql_str(str(staged))}, file_row_number = true)"
        dedup = (
            f"SELECT * FROM {src} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY file_row_number) = 1"
        )
        new = f"SELECT * FROM ({dedup}) s"
        if existing:
            files = "[" + ", ".join(_sql_str(str(p)) for p in existing) + "]"
            new += (
                f" WHERE NOT EXISTS (SELECT 1 FROM read_parquet({files}) e WHERE e.{key} = s.{key})"
            )
        out = con.sql(f"SELECT * EXCLUDE (file_row_number) FROM ({new}) ORDER BY file_row_number")
        return staged_n, unique_n, out.to_arrow_table().cast(spec.schema)


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
