"""Apache Spark through Ibis' PySpark backend (extra: tokencensus[spark])."""

from __future__ import annotations

from typing import Any

import ibis

from tokencensus.engine.base import Engine
from tokencensus.errors import MissingExtraError

__all__ = ["ENGINE", "SparkEngine"]


class SparkEngine(Engine):
    name = "spark"
    dialect = "pyspark"

    def connect(self, *, master: str = "local[2]", **conf: Any) -> ibis.BaseBackend:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise MissingExtraError("The Spark engine", "spark", "pyspark") from None
        builder = (
            SparkSession.builder.master(master)
            .appName("tokencensus")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
        )
        for key, value in conf.items():
            builder = builder.config(key, value)
        return ibis.pyspark.connect(builder.getOrCreate())

    def read_parquet(self, backend: ibis.BaseBackend, path: str, name: str) -> ibis.Table:
        return backend.read_parquet(path, table_name=name)

    def materialize(self, backend: ibis.BaseBackend, name: str, expr: ibis.Table) -> ibis.Table:
        table = backend.create_view(name, expr, overwrite=True)
        backend._session.table(name).cache()
        return table

    def close(self, backend: ibis.BaseBackend) -> None:
        # Keep the JVM session alive for reuse within the process; just drop Ibis state.
        return None


ENGINE = SparkEngine()
