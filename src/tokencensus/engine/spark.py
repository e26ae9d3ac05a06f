"""Apache Spark through Ibis' PySpark backend (extra: tokencensus[spark]).

Only this module imports pyspark.  ``connect(master=...)`` starts (or reuses) a
SparkSession on a local or remote master; tables are temporary views, materialized
tables are cached views, and Parquet is read and written by Spark itself, so the
same study runs unchanged on a cluster whose workers see the store's paths.

A session never writes to the working directory: its warehouse (``spark-warehouse/``
by default) is a temporary folder removed when the process exits, and its catalog is
Spark's in-memory one (no Hive metastore, so no ``metastore_db/`` or ``derby.log``).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from tokencensus.engine.base import Engine
from tokencensus.errors import EngineError, MissingExtraError

__all__ = ["ENGINE", "SparkEngine"]

#: Session settings tokencensus needs; ``connect(**conf)`` may add or override others.
DEFAULT_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    # Arrow transfers for results and in-memory tables.
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Temporary views are all the study keeps: no Hive metastore (metastore_db/, derby.log).
    "spark.sql.catalogImplementation": "in-memory",
}
#: On a local master the default 200 shuffle partitions only add task overhead.
LOCAL_CONF: dict[str, str] = {"spark.sql.shuffle.partitions": "8"}


def _spark() -> Any:
    try:
        import pyspark.sql
    except ImportError:
        raise MissingExtraError("The Spark engine", "spark", "pyspark") from None
    return pyspark.sql


@functools.cache
def scratch_dir() -> Path:
    """This process's folder for what a session would otherwise leave in the working
    directory (the SQL warehouse); removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="tokencensus-spark-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _settable_at_runtime(session: Any, key: str) -> bool:
    """Whether a reused session takes ``key`` (static settings only apply at its start)."""
    if key.startswith(("spark.ui.", "spark.driver.", "spark.executor.")):
        return False
    if key.startswith("spark.sql."):
        return bool(session.conf.isModifiable(key))
    return True


@functools.cache
def _backend_class() -> type:
    """Ibis' PySpark backend, fetching results as Arrow (``DataFrame.toArrow``).

    Ibis fetches through ``toPandas``, which on pandas 3 warns on every call (PySpark
    4.0 passes a deprecated ``copy=`` to ``astype``) and converts twice.
    """
    from ibis.backends.pyspark import Backend
    from ibis.formats.pyarrow import PyArrowData

    _ = ibis.pyspark  # registers the backend's options (ibis.to_sql needs them too)

    class ArrowBackend(Backend):  # type: ignore[misc]
        def to_pyarrow(
            self, expr: Any, /, *, params: Any = None, limit: Any = None, **_: Any
        ) -> Any:
            table_expr = expr.as_table()
            self._run_pre_execute_hooks(table_expr)
            sql = self.compile(table_expr, params=params, limit=limit)
            arrow = self._session.sql(sql).toArrow()
            arrow = PyArrowData.convert_table(arrow, table_expr.schema())
            return expr.__pyarrow_result__(arrow)

    return ArrowBackend


class SparkEngine(Engine):
    name = "spark"
    display_name = "Spark SQL"
    backend_name = "pyspark"
    dialect = "pyspark"
    extra = "spark"
    batch_events = None  # Spark partitions, spills and distributes a pass by itself

    def connect(
        self, *, master: str = "local[2]", log_level: str = "ERROR", **conf: Any
    ) -> ibis.BaseBackend:
        sql = _spark()
        builder = sql.SparkSession.builder.master(master).appName("tokencensus")
        settings = {**DEFAULT_CONF, **(LOCAL_CONF if master.startswith("local") else {})}
        settings.update({k: str(v) for k, v in conf.items()})
        if "spark.sql.warehouse.dir" not in settings:  # Spark's default: ./spark-warehouse
            settings["spark.sql.warehouse.dir"] = (scratch_dir() / "warehouse").as_uri()
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # Java missing or too old, master unreachable
            raise EngineError(
                f"Could not start Spark on master {master!r}: {exc}. Spark needs Java 17 or "
                "21 (set JAVA_HOME) and, for a cluster, a reachable --spark-master URL."
            ) from None
        session.sparkContext.setLogLevel(log_level)
        for key, value in settings.items():  # a reused session keeps its old runtime conf
            if _settable_at_runtime(session, key):
                session.conf.set(key, value)
        backend: ibis.BaseBackend = _backend_class()().connect(session)
        return backend

    def read_parquet(
        self,
        backend: ibis.BaseBackend,
        paths: Sequence[str | Path],
        name: str,
        columns: Sequence[str] | None = None,
    ) -> ibis.Table:
        session = backend._session
        df = session.read.parquet(*[str(p) for p in paths])
        if columns is not None:  # also drops partition columns Spark infers from folder names
            df = df.select(*columns)
        df.createOrReplaceTempView(name)
        return backend.table(name)

    def load_arrow(self, backend: ibis.BaseBackend, name: str, table: pa.Table) -> ibis.Table:
        from ibis.backends.pyspark.datatypes import PySparkSchema

        schema = PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(table.schema))
        df = backend._session.createDataFrame(table, schema=schema)
        df.createOrReplaceTempView(name)
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
        if kept or sql is not None:
            raise NotImplementedError("spark does not keep rollups between runs")
        table = backend.create_view(name, expr, overwrite=True)
        backend._session.table(name).cache().count()  # eager: later views may drop its inputs
        return table

    def release(self, backend: ibis.BaseBackend, name: str) -> None:
        self.release_input(backend, name)
        catalog = backend._session.catalog
        if catalog.tableExists(name):
            catalog.dropTempView(name)

    def release_input(self, backend: ibis.BaseBackend, name: str) -> None:
        # The rollups are views over it, cached: drop its cached data but keep the view,
        # so their plans still resolve (Spark re-reads it only if their cache is evicted).
        catalog = backend._session.catalog
        if catalog.tableExists(name):
            catalog.uncacheTable(name)

    def write_parquet(
        self,
        backend: ibis.BaseBackend,
        expr: ibis.Table,
        folder: Path,
        partition_by: str,
        values: Sequence[str] | None = None,
    ) -> None:
        backend._run_pre_execute_hooks(expr)
        df = backend._session.sql(backend.compile(expr)).repartition(partition_by)
        (  # one file per partition value, not one per task
            df.write.mode("overwrite")
            .option("compression", "zstd")
            .partitionBy(partition_by)
            .parquet(str(folder))
        )

    def execute(
        self, backend: ibis.BaseBackend, expr: ibis.Table, *, sql: str | None = None
    ) -> tuple[pa.Table, str]:
        from ibis.formats.pyarrow import PyArrowData

        table_expr = expr.as_table()
        backend._run_pre_execute_hooks(table_expr)
        if sql is None:
            sql = backend.compile(table_expr, pretty=True)  # compiled once: run and shown
        arrow = backend._session.sql(sql).toArrow()
        arrow = PyArrowData.convert_table(arrow, table_expr.schema())
        return table_expr.__pyarrow_result__(arrow), sql

    def close(self, backend: ibis.BaseBackend) -> None:
        # The JVM session is reused by later connects in the process; drop our views only.
        catalog = backend._session.catalog
        for table in catalog.listTables():
            if table.isTemporary:
                catalog.dropTempView(table.name)
        backend._session.catalog.clearCache()


ENGINE = SparkEngine()
