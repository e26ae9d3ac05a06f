"""The engine adapter interface: every engine difference lives behind these methods.

Capability flags (class attributes) describe the real differences the study plans
around; code outside ``engine/`` reads the flags, never the engine's name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

__all__ = ["Engine"]


class Engine(ABC):
    #: Engine name as users type it (``--engine``) and as the manifest records it.
    name: str
    #: The engine as readers know it, shown in the report ("the DuckDB SQL ...").
    display_name: str
    #: ``backend.name`` of the Ibis backends :meth:`connect` returns.
    backend_name: str
    #: sqlglot dialect used to show the SQL behind each artifact.
    dialect: str
    #: The pip extra that installs the engine's library (None: always installed).
    extra: str | None = None
    #: Most raw events one rollup pass reads: a store's weeks are grouped into passes of
    #: at most this many events, so memory stays bounded however large the store is.
    #: None: all weeks in one pass (the engine partitions and spills by itself).
    batch_events: int | None = None
    #: Whether :meth:`append` adds rows to a materialized table in place: a rollup pass
    #: then keeps its outputs in the engine as it computes them (and writes the rollup
    #: cache from there) instead of reading them back from the cache's files.
    appends: bool = False
    #: Whether the engine keeps rollups between runs in a database of its own
    #: (``connect(database=...)``): an incremental run then adds the new weeks to the
    #: kept rollups (:meth:`replace_partitions`) instead of rebuilding them from the
    #: whole grain.
    keeps_rollups: bool = False

    @abstractmethod
    def connect(self, **options: Any) -> ibis.BaseBackend: ...

    @abstractmethod
    def read_parquet(
        self,
        backend: ibis.BaseBackend,
        paths: Sequence[str | Path],
        name: str,
        columns: Sequence[str] | None = None,
    ) -> ibis.Table:
        """A table over Parquet files (explicit file paths; folder names never add columns).

        With ``columns`` only those columns, in that order.
        """

    def connect_kept(self, folder: Path, **options: Any) -> ibis.BaseBackend:
        """A backend on the database of rollups kept in ``folder`` between runs (made
        when missing; one that cannot be opened is replaced by an empty one)."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def load_arrow(self, backend: ibis.BaseBackend, name: str, table: pa.Table) -> ibis.Table:
        """A (small) in-memory Arrow table as a named engine table."""
        return backend.create_table(name, table, temp=True, overwrite=True)

    def materialize(
        self,
        backend: ibis.BaseBackend,
        name: str,
        expr: ibis.Table,
        *,
        kept: bool = False,
        sql: str | None = None,
    ) -> ibis.Table:
        """Compute ``expr`` once and keep it as a named table for later reads (``kept``: in
        the database kept between runs, on engines with :attr:`keeps_rollups`; ``sql``:
        ``expr`` compiled before, run instead of compiling it again)."""
        if kept or sql is not None:
            raise NotImplementedError(f"{self.name} does not keep rollups between runs")
        return backend.create_table(name, expr, temp=True, overwrite=True)

    def replace_partitions(
        self,
        backend: ibis.BaseBackend,
        name: str,
        column: str,
        values: Sequence[Any],
        rows: ibis.Table | None,
        *,
        sql: str | None = None,
    ) -> ibis.Table:
        """In the kept table ``name``: delete the rows whose ``column`` is in ``values``
        and insert ``rows`` (computed first when they read ``name``: they may read the
        rows they replace).  With ``sql`` the rows are that query's (``rows`` only brings
        its in-memory tables; None: ``sql`` reads neither ``name`` nor in-memory tables
        other than those :meth:`keep_memtables` kept)."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def add_sums(
        self,
        backend: ibis.BaseBackend,
        name: str,
        keys: Sequence[str],
        sums: Sequence[str],
        delta: ibis.Table,
    ) -> ibis.Table:
        """In the kept table ``name`` (one row per ``keys``): add ``delta``'s integer
        ``sums`` key by key, in place; keys new to it are inserted, keys whose sums all
        come to zero deleted (null keys match null keys)."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def week_tables(
        self,
        backend: ibis.BaseBackend,
        tables: dict[str, str],
        column: str,
        values: Sequence[Any],
        *,
        since: Any = None,
    ) -> None:
        """Temporary tables (``name -> kept table``) of the kept tables' rows whose
        ``column`` is in ``values`` (with ``since``: is ``since`` or later), for queries
        compiled once against them."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def replace_since(
        self, backend: ibis.BaseBackend, name: str, column: str, since: Any, sql: str
    ) -> ibis.Table:
        """In the kept table ``name``: delete the rows whose ``column`` is ``since`` or
        later, then insert the rows of the query ``sql`` (run after the delete: it may
        read what is left of ``name``)."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def read_kept(self, backend: ibis.BaseBackend) -> dict[str, Any] | None:
        """What the kept database says it holds (None: nothing kept)."""
        return None

    def begin(self, backend: ibis.BaseBackend) -> None:
        """Start the transaction that changes the kept rollups."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def commit_kept(self, backend: ibis.BaseBackend, state: dict[str, Any]) -> None:
        """Record ``state`` beside the kept rollups and commit, atomically."""
        raise NotImplementedError(f"{self.name} does not keep rollups between runs")

    def append(self, backend: ibis.BaseBackend, name: str, expr: ibis.Table) -> ibis.Table:
        """Compute ``expr`` once and add its rows (by column name) to the table ``name``
        made by :meth:`materialize` (engines with :attr:`appends`)."""
        raise NotImplementedError(f"{self.name} does not append to tables")

    def release(self, backend: ibis.BaseBackend, name: str) -> None:
        """Free a table made by :meth:`materialize` (a rollup pass's scratch table)."""
        backend.drop_table(name, force=True)

    def release_input(self, backend: ibis.BaseBackend, name: str) -> None:
        """Free a table that materialized tables were computed from and nothing reads
        any more (the pass outputs, once the rollups are built)."""
        self.release(backend, name)

    @abstractmethod
    def write_parquet(
        self,
        backend: ibis.BaseBackend,
        expr: ibis.Table,
        folder: Path,
        partition_by: str,
        values: Sequence[str] | None = None,
    ) -> None:
        """Write ``expr`` under ``folder/<partition_by>=<value>/*.parquet``.

        The partition column is not stored inside the files.  ``values``, when given, are
        the partition values ``expr`` holds (an engine may write a single one straight to
        its folder instead of partitioning).
        """

    def read_kept_result(
        self, backend: ibis.BaseBackend, name: str, expr: ibis.Table | None = None
    ) -> pa.Table:
        """The rows of the kept table ``name``, typed as ``expr`` (which it was made
        from; None: as the table's own schema)."""
        raise NotImplementedError(f"{self.name} does not keep results between runs")

    def keep_memtables(self, backend: ibis.BaseBackend, expr: ibis.Table) -> None:
        """Copy the in-memory tables ``expr`` reads (named after their content, and
        registered by running it) into the kept database, for kept SQL that reads them
        in a later run without building ``expr``."""
        raise NotImplementedError(f"{self.name} does not keep results between runs")

    def drop_kept_memtables(self, backend: ibis.BaseBackend, keep: set[str]) -> None:
        """Drop the in-memory tables' copies in the kept database not named in ``keep``."""
        raise NotImplementedError(f"{self.name} does not keep results between runs")

    def execute(
        self, backend: ibis.BaseBackend, expr: ibis.Table, *, sql: str | None = None
    ) -> tuple[pa.Table, str]:
        """Run ``expr``: its result and the SQL shown for it (compiled once where possible;
        ``sql``: ``expr`` compiled by an earlier run, on engines that keep rollups)."""
        return expr.to_pyarrow(), sql or self.compile(backend, expr)

    def compile(self, backend: ibis.BaseBackend, expr: ibis.Table) -> str:
        """The SQL shown for ``expr`` (what :meth:`execute` runs)."""
        return self.to_sql(expr)

    def to_sql(self, expr: ibis.Expr) -> str:
        return str(ibis.to_sql(expr, dialect=self.dialect))

    def close(self, backend: ibis.BaseBackend) -> None:
        backend.disconnect()
