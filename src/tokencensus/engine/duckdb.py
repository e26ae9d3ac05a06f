"""DuckDB, the embedded default engine."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.operations as ops
import pyarrow as pa

from tokencensus.engine.base import Engine
from tokencensus.engine.digest import MEMTABLE_PREFIX
from tokencensus.errors import EngineError

__all__ = ["ENGINE", "DuckDBEngine"]


class DuckDBEngine(Engine):
    name = "duckdb"
    display_name = "DuckDB"
    backend_name = "duckdb"
    dialect = "duckdb"
    #: ~2M events per pass (about a week of a 100M-event year): the pass's hash tables
    #: stay cache-sized (measured 1.3x the scan floor per week against 1.6x for 8 weeks
    #: at once) and memory stays bounded however many events the store holds.
    batch_events = 2_000_000
    appends = True
    keeps_rollups = True
    #: The kept rollups' database file, in the rollup cache folder.
    kept_file = "rollups.duckdb"

    def connect(
        self,
        *,
        database: str = ":memory:",
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_directory: str | None = None,
        **options: Any,
    ) -> ibis.BaseBackend:
        if threads is not None:
            options["threads"] = threads
        if memory_limit is None:
            # DuckDB's default is 80% of RAM; leave room for Python, Arrow results and
            # the OS page cache that the Parquet scans live on.  Larger work spills.
            pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            memory_limit = f"{int(pages * 0.6) // 2**20}MB"
        options["memory_limit"] = memory_limit
        if temp_directory is None:
            # where a pass larger than memory spills (DuckDB's default is ./.tmp, or
            # DATABASE.tmp beside a database file, inside the rollup cache folder)
            temp_directory = os.path.join(
                tempfile.gettempdir(), f"tokencensus-duckdb-{os.getpid()}"
            )
        if temp_directory is not None:
            options["temp_directory"] = temp_directory
        backend = ibis.duckdb.connect(database=database, **options)
        backend.raw_sql("SET TimeZone='UTC'")
        return backend

    def read_parquet(
        self,
        backend: ibis.BaseBackend,
        paths: Sequence[str | Path],
        name: str,
        columns: Sequence[str] | None = None,
    ) -> ibis.Table:
        files = [str(p) for p in paths]
        table = backend.read_parquet(
            files if len(files) != 1 else files[0], table_name=name, hive_partitioning=False
        )
        return table.select(*columns) if columns is not None else table

    def connect_kept(self, folder: Path, **options: Any) -> ibis.BaseBackend:
        import duckdb

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.kept_file
        try:
            return self.connect(database=str(path), **options)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                raise EngineError(
                    f"The kept rollups {path} are open in another process ({exc}). "
                    "Run one incremental study per output folder at a time."
                ) from None
            # damaged, or not a database this DuckDB reads: rebuilt from the cached grain
            for stale in (path, path.with_name(path.name + ".wal")):
                stale.unlink(missing_ok=True)
            return self.connect(database=str(path), **options)

    def load_arrow(self, backend: ibis.BaseBackend, name: str, table: pa.Table) -> ibis.Table:
        backend.create_table(name, table, temp=True, overwrite=True)
        # referred to by name like the tables materialize makes (create_table's has the
        # temp namespace): an expression over an empty stand-in for a pass output is
        # then the one over the real output, with the same digest and kept SQL
        return backend.table(name)

    def materialize(
        self,
        backend: ibis.BaseBackend,
        name: str,
        expr: ibis.Table,
        *,
        kept: bool = False,
        sql: str | None = None,
    ) -> ibis.Table:
        # Ibis' create_table(overwrite=True) fills a scratch table, then copies it into
        # the named one (CREATE TABLE AS SELECT *): every rollup was written twice (the
        # copy of user_weekly alone: 1.2 s at 100M events).  Here: one typed table, one
        # INSERT, a rename.  Kept tables live in the connection's own database file.
        schema = expr.schema()
        backend._run_pre_execute_hooks(expr)
        columns = ", ".join(
            c.sql(self.dialect) for c in schema.to_sqlglot_column_defs(self.dialect)
        )
        catalog = "main" if kept else "temp.main"
        scratch = _quote(f"_tc_{uuid.uuid4().hex[:12]}")
        backend.raw_sql(f"CREATE {'' if kept else 'TEMP '}TABLE {catalog}.{scratch} ({columns})")
        query = sql if sql is not None else backend.compile(expr)
        backend.raw_sql(f"INSERT INTO {catalog}.{scratch} BY NAME {query}")
        backend.raw_sql(f"DROP TABLE IF EXISTS {catalog}.{_quote(name)}")
        backend.raw_sql(f"ALTER TABLE {catalog}.{scratch} RENAME TO {_quote(name)}")
        return backend.table(name)

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
        if rows is None:
            if sql is None:
                raise ValueError("replace_partitions needs rows or their sql")
            query = sql
        else:
            backend._run_pre_execute_hooks(rows)
            query = sql if sql is not None else backend.compile(rows)
        target = f"main.{_quote(name)}"
        delete = ""
        if values:
            listed = ", ".join(_date_literal(v) for v in values)
            delete = f"DELETE FROM {target} WHERE {_quote(column)} IN ({listed})"
        if (rows is None or not _reads(rows, name)) and _quote(name) not in query:  # straight in
            if delete:
                backend.raw_sql(delete)
            backend.raw_sql(f"INSERT INTO {target} BY NAME {query}")
            return backend.table(name)
        scratch = _quote(f"_tc_{uuid.uuid4().hex[:12]}")
        backend.raw_sql(f"CREATE TEMP TABLE {scratch} AS {query}")
        if delete:
            backend.raw_sql(delete)
        backend.raw_sql(f"INSERT INTO {target} BY NAME SELECT * FROM temp.main.{scratch}")
        backend.raw_sql(f"DROP TABLE temp.main.{scratch}")
        return backend.table(name)

    def add_sums(
        self,
        backend: ibis.BaseBackend,
        name: str,
        keys: Sequence[str],
        sums: Sequence[str],
        delta: ibis.Table,
    ) -> ibis.Table:
        # An UPDATE of the keys a week touches (a week adds ~60K of user_models' 1.3M rows
        # at 100M events), not a regroup and rewrite of the whole table.
        backend._run_pre_execute_hooks(delta)
        scratch = _quote(f"_tc_{uuid.uuid4().hex[:12]}")
        key_list = ", ".join(_quote(k) for k in keys)
        totals = ", ".join(f"CAST(SUM({_quote(c)}) AS BIGINT) AS {_quote(c)}" for c in sums)
        backend.raw_sql(
            f"CREATE TEMP TABLE {scratch} AS SELECT {key_list}, {totals} "
            f"FROM ({backend.compile(delta)}) GROUP BY {key_list}"
        )
        table = f"main.{_quote(name)}"
        on = " AND ".join(f"t.{_quote(k)} IS NOT DISTINCT FROM d.{_quote(k)}" for k in keys)
        added = ", ".join(f"{_quote(c)} = t.{_quote(c)} + d.{_quote(c)}" for c in sums)
        backend.raw_sql(f"UPDATE {table} AS t SET {added} FROM temp.main.{scratch} AS d WHERE {on}")
        backend.raw_sql(
            f"INSERT INTO {table} BY NAME SELECT d.* FROM temp.main.{scratch} AS d "
            f"ANTI JOIN {table} AS t ON {on}"
        )
        zero = " AND ".join(f"{_quote(c)} = 0" for c in sums)
        backend.raw_sql(f"DELETE FROM {table} WHERE {zero}")
        backend.raw_sql(f"DROP TABLE temp.main.{scratch}")
        return backend.table(name)

    def week_tables(
        self,
        backend: ibis.BaseBackend,
        tables: dict[str, str],
        column: str,
        values: Sequence[Any],
        *,
        since: Any = None,
    ) -> None:
        # copied once into small temp tables (one week of user_weekly: ~70K of its 5.2M
        # rows at 100M events): the 20 by-week queries then scan those, not the kept file
        if since is not None:
            where = f"{_quote(column)} >= {_date_literal(since)}"
        else:
            where = f"{_quote(column)} IN ({', '.join(_date_literal(v) for v in values) or 'NULL'})"
        for copy, table in tables.items():
            backend.raw_sql(
                f"CREATE OR REPLACE TEMP TABLE {_quote(copy)} AS SELECT * FROM "
                f"main.{_quote(table)} WHERE {where}"
            )

    def replace_since(
        self, backend: ibis.BaseBackend, name: str, column: str, since: Any, sql: str
    ) -> ibis.Table:
        target = f"main.{_quote(name)}"
        backend.raw_sql(f"DELETE FROM {target} WHERE {_quote(column)} >= {_date_literal(since)}")
        backend.raw_sql(f"INSERT INTO {target} BY NAME {sql}")
        return backend.table(name)

    def read_kept(self, backend: ibis.BaseBackend) -> dict[str, Any] | None:
        found = backend.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?",
            [_KEPT_STATE],
        ).fetchone()
        if not found or not found[0]:
            return None
        row = backend.con.execute(f"SELECT state FROM main.{_KEPT_STATE}").fetchone()
        try:
            state = json.loads(row[0]) if row else None
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

    def begin(self, backend: ibis.BaseBackend) -> None:
        backend.raw_sql("BEGIN TRANSACTION")

    def commit_kept(self, backend: ibis.BaseBackend, state: dict[str, Any]) -> None:
        backend.raw_sql(f"CREATE OR REPLACE TABLE main.{_KEPT_STATE} (state VARCHAR)")
        backend.con.execute(f"INSERT INTO main.{_KEPT_STATE} VALUES (?)", [json.dumps(state)])
        backend.raw_sql("COMMIT")

    def append(self, backend: ibis.BaseBackend, name: str, expr: ibis.Table) -> ibis.Table:
        backend._run_pre_execute_hooks(expr)
        backend.raw_sql(f"INSERT INTO {_quote(name)} BY NAME {backend.compile(expr)}")
        return backend.table(name)

    def write_parquet(
        self,
        backend: ibis.BaseBackend,
        expr: ibis.Table,
        folder: Path,
        partition_by: str,
        values: Sequence[str] | None = None,
    ) -> None:
        if values is not None and len(values) == 1:
            # One value (a pass of one week, the rule at scale): a plain COPY to its folder
            # writes with both threads, where a partitioned COPY of one partition writes
            # with one (measured 1.17 s against 2.17 s for 2.85M rollup rows).
            target = folder / f"{partition_by}={values[0]}"
            target.mkdir(parents=True, exist_ok=True)
            backend.to_parquet(
                expr.drop(partition_by), target / "data_0.parquet", compression="zstd"
            )
            return
        folder.parent.mkdir(parents=True, exist_ok=True)
        backend.to_parquet(expr, folder, partition_by=partition_by, compression="zstd")

    def execute(
        self, backend: ibis.BaseBackend, expr: ibis.Table, *, sql: str | None = None
    ) -> tuple[pa.Table, str]:
        # One compilation serves both the run and the SQL shown beside the artifact
        # (compiling an artifact costs about as much as running it on a rollup).
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        table_expr = expr.as_table()
        backend._run_pre_execute_hooks(table_expr)
        if sql is None:
            sql = self.compile(backend, table_expr)
        arrow = backend.con.sql(sql).to_arrow_table()
        return table_expr.__pyarrow_result__(arrow, data_mapper=DuckDBPyArrowData), sql

    def compile(self, backend: ibis.BaseBackend, expr: ibis.Table) -> str:
        return str(backend.compile(expr.as_table(), pretty=True))

    def read_kept_result(
        self, backend: ibis.BaseBackend, name: str, expr: ibis.Table | None = None
    ) -> pa.Table:
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        arrow = backend.con.sql(f"SELECT * FROM main.{_quote(name)}").to_arrow_table()
        typed = backend.table(name) if expr is None else expr.as_table()
        return typed.__pyarrow_result__(arrow, data_mapper=DuckDBPyArrowData)

    def keep_memtables(self, backend: ibis.BaseBackend, expr: ibis.Table) -> None:
        for mt in expr.op().find(ops.InMemoryTable):
            # the registered in-memory table (a temporary view) is read while its copy
            # does not exist yet; afterwards both hold the same rows (named by content)
            backend.raw_sql(
                f"CREATE TABLE IF NOT EXISTS main.{_quote(mt.name)} AS "
                f"SELECT * FROM {_quote(mt.name)}"
            )

    def drop_kept_memtables(self, backend: ibis.BaseBackend, keep: set[str]) -> None:
        rows = backend.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name LIKE ?",
            [f"{MEMTABLE_PREFIX}%"],
        ).fetchall()
        for (table,) in rows:
            if table not in keep:
                backend.raw_sql(f"DROP TABLE main.{_quote(table)}")


#: The kept database's record of what its rollups hold (one JSON row).
_KEPT_STATE = "tokencensus_kept_state"


def _reads(expr: ibis.Table, name: str) -> bool:
    """Whether ``expr`` reads the table ``name`` (then its rows are computed first)."""
    return any(t.name == name for t in expr.op().find(ops.DatabaseTable))


def _date_literal(value: Any) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"partition values are dates, not {type(value).__name__}: {value!r}")
    return f"DATE '{value.isoformat()}'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


ENGINE = DuckDBEngine()
