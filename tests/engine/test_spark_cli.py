"""``tokencensus study --engine spark`` end to end, through the command line.

A small simulated store (3,000 events over eight weeks, written by ``tokencensus simulate``)
is studied twice in fresh processes, on DuckDB and on a one-core local Spark, each from an
empty working directory: both exit 0, write the same data files and the same numbers, and
Spark leaves nothing behind in the working directory (no ``spark-warehouse/``,
``metastore_db/`` or ``derby.log``).  About 50 s, nearly all of it Spark's start and load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests.engine.conftest import SPARK_WARNINGS
from tests.engine.frames import ATOL, RTOL, assert_same_frame
from tokencensus.analyses import ARTIFACTS

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    *(pytest.mark.filterwarnings(w) for w in SPARK_WARNINGS),
]

#: F1 reads the weekly facts and user counts, T2 the user languages.
STUDIED = ("F1", "T2")


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tokencensus", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"tokencensus {' '.join(args)} exited {done.returncode}:\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def runs(spark_ready: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("spark-cli")
    store = root / "store"
    _cli(
        ["simulate", "--events", "3000", "--start", "2025-03-03", "--end", "2025-04-27",
         "--seed", "1", "--out", str(store), "-q"],
        cwd=root,
    )  # fmt: skip
    out: dict[str, Any] = {}
    for engine in ("duckdb", "spark"):
        cwd = root / f"cwd-{engine}"
        cwd.mkdir()
        args = ["study", str(store), "--engine", engine, "--out", str(root / engine),
                "--artifacts", ",".join(STUDIED), "--no-figures", "-q"]  # fmt: skip
        if engine == "spark":
            args += ["--spark-master", "local[1]"]
        _cli(args, cwd=cwd)
        out[engine] = {"dir": root / engine, "cwd": cwd}
    return out


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_study_writes_the_data_files(runs: dict[str, Any], engine: str) -> None:
    folder = runs[engine]["dir"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["engine"] == engine
    assert sorted(a["id"] for a in manifest["artifacts"]) == sorted(STUDIED)
    assert manifest["rows"]["events"] == 3000
    for aid in STUDIED:
        for path in (folder / "data" / f"{aid}.csv", folder / "data" / f"{aid}.parquet"):
            assert path.stat().st_size > 0, path
        assert (folder / "sql" / f"{aid}.sql").read_text().strip()
    shown = {"duckdb": "DuckDB", "spark": "Spark SQL"}[engine]
    assert f"the {shown} SQL Ibis compiled" in (folder / "index.html").read_text()


def test_spark_run_leaves_the_working_directory_clean(runs: dict[str, Any]) -> None:
    for engine in ("duckdb", "spark"):
        assert sorted(p.name for p in runs[engine]["cwd"].iterdir()) == [], engine


def test_spark_numbers_equal_duckdb(runs: dict[str, Any]) -> None:
    duck, spark = (json.loads((runs[e]["dir"] / "manifest.json").read_text()) for e in runs)
    assert duck["rows"] == spark["rows"]
    assert spark["headline"]["events"] == duck["headline"]["events"] == 3000
    assert spark["headline"]["tokens"] == duck["headline"]["tokens"] > 0
    assert spark["headline"]["oss_share"] == pytest.approx(
        duck["headline"]["oss_share"], rel=RTOL, abs=ATOL
    )
    for aid in STUDIED:
        a, b = (pd.read_parquet(runs[e]["dir"] / "data" / f"{aid}.parquet") for e in runs)
        assert len(a) > 0, aid
        assert_same_frame(a, b, tuple(ARTIFACTS[aid].keys), aid)


def test_session_warehouse_is_a_temporary_folder(spark_ready: None) -> None:
    """In process too: the session's warehouse lies in the scratch folder, not the cwd, and
    connecting again to the running session (static settings) works."""
    from tokencensus.engine import connect, get_engine
    from tokencensus.engine.spark import scratch_dir

    engine = get_engine("spark")
    for _ in range(2):
        backend = connect("spark", master="local[1]")
        try:
            session = backend._session
            warehouse = Path(urlparse(session.conf.get("spark.sql.warehouse.dir")).path)
            assert warehouse == scratch_dir() / "warehouse"
            assert not warehouse.is_relative_to(Path.cwd())
            assert session.conf.get("spark.sql.catalogImplementation") == "in-memory"
        finally:
            engine.close(backend)
