"""The engine adapter interface: every engine difference lives behind these methods."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import ibis
import pyarrow as pa

__all__ = ["Engine"]


class Engine(ABC):
    #: Engine name as users type it.
    name: str
    #: sqlglot dialect used to show the SQL behind each artifact.
    dialect: str

    @abstractmethod
    def connect(self, **options: Any) -> ibis.BaseBackend: ...

    @abstractmethod
    def read_parquet(self, backend: ibis.BaseBackend, path: str, name: str) -> ibis.Table:
        """A table over Parquet files (a file, a folder or a glob)."""

    def load_arrow(self, backend: ibis.BaseBackend, name: str, table: pa.Table) -> ibis.Table:
        """A (small) in-memory Arrow table as a named engine table."""
        return backend.create_table(name, table, temp=True, overwrite=True)

    def materialize(self, backend: ibis.BaseBackend, name: str, expr: ibis.Table) -> ibis.Table:
        """Compute ``expr`` once and keep it as a named table for later reads."""
        return backend.create_table(name, expr, temp=True, overwrite=True)

    def to_sql(self, expr: ibis.Expr) -> str:
        return str(ibis.to_sql(expr, dialect=self.dialect))

    def close(self, backend: ibis.BaseBackend) -> None:
        backend.disconnect()
