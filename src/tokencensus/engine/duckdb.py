"""DuckDB, the embedded default engine."""

from __future__ import annotations

from typing import Any

import ibis

from tokencensus.engine.base import Engine

__all__ = ["ENGINE", "DuckDBEngine"]


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"

    def connect(
        self, *, database: str = ":memory:", threads: int | None = None, **options: Any
    ) -> ibis.BaseBackend:
        if threads is not None:
            options["threads"] = threads
        backend = ibis.duckdb.connect(database=database, **options)
        backend.raw_sql("SET TimeZone='UTC'")
        return backend

    def read_parquet(self, backend: ibis.BaseBackend, path: str, name: str) -> ibis.Table:
        return backend.read_parquet(path, table_name=name)


ENGINE = DuckDBEngine()
