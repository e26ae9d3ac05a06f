"""The engine registry and adapters: names, missing extras, capability flags."""

from __future__ import annotations

import sys

import pytest

from tokencensus.engine import ENGINES, connect, display_name, engine_of, get_engine
from tokencensus.errors import EngineError, MissingExtraError


def test_unknown_engine_suggests_a_name() -> None:
    with pytest.raises(EngineError, match=r"Unknown engine 'sprak'\. Did you mean spark\?"):
        get_engine("sprak")


def test_every_engine_declares_its_capabilities() -> None:
    for name in ENGINES:
        engine = get_engine(name)
        assert engine.name == name
        assert engine.batch_events is None or engine.batch_events > 0
    assert get_engine("duckdb").batch_events is not None  # one machine: bounded passes
    assert get_engine("spark").extra == "spark"


def test_display_names_live_on_the_engines() -> None:
    names = {name: get_engine(name).display_name for name in ENGINES}
    assert names == {"duckdb": "DuckDB", "spark": "Spark SQL"}
    for name, shown in names.items():
        assert display_name(name) == shown
        assert display_name(get_engine(name).backend_name) == shown  # "pyspark" too
    assert display_name("trino") == "trino"  # a manifest written by another tool: as is


def test_engine_of_a_backend() -> None:
    backend = connect("duckdb")
    try:
        assert engine_of(backend) is get_engine("duckdb")
    finally:
        backend.disconnect()


def test_report_names_the_engine_that_ran() -> None:
    """The SQL block of an artifact names the engine by its display name."""
    from tests.report.tiny import tiny_result
    from tokencensus.report.sections import artifact_block
    from tokencensus.report.tags import render

    result = tiny_result()
    res = next(iter(result.results.values()))
    for name, shown in (("duckdb", "DuckDB"), ("spark", "Spark SQL"), ("pyspark", "Spark SQL")):
        result.manifest["engine"] = name
        html = render(artifact_block(res, result, None, None))
        assert f"Query: the {shown} SQL Ibis compiled" in html


def test_spark_without_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'tokencensus\[spark\]'"):
        get_engine("spark").connect()


def test_importing_the_spark_adapter_does_not_import_pyspark() -> None:
    import importlib

    before = "pyspark" in sys.modules
    importlib.import_module("tokencensus.engine.spark")
    assert ("pyspark" in sys.modules) == before


def test_cli_rejects_engine_options_of_another_engine(tmp_path) -> None:
    from typer.testing import CliRunner

    from tokencensus.cli import app

    result = CliRunner().invoke(
        app, ["study", str(tmp_path), "-o", str(tmp_path / "out"), "--spark-master", "local[2]"]
    )
    assert result.exit_code == 1
    assert "--spark-master needs --engine spark" in result.output


class _Config:
    def __init__(self, engines: str) -> None:
        self.engines = engines

    def getoption(self, name: str) -> str:
        assert name == "--engines"
        return self.engines


@pytest.mark.parametrize(
    ("ci", "engines", "outcome"),
    [
        (None, "duckdb", "skip"),
        ("1", "duckdb", "fail"),
        (None, "duckdb,spark", "fail"),
    ],
)
def test_missing_spark_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, engines: str, outcome: str
) -> None:
    from tests.engine import conftest

    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(conftest, "spark_available", lambda: "no Java runtime (test)")
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match=r"no Java runtime \(test\)") as caught:
        conftest.require_spark(_Config(engines))  # type: ignore[arg-type]
    if ci:
        assert "CI is set, so the Spark tests must run" in str(caught.value)
    # Spark present: nothing to say, wherever it runs
    monkeypatch.setattr(conftest, "spark_available", lambda: None)
    conftest.require_spark(_Config(engines))  # type: ignore[arg-type]


def test_spark_available_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    import shutil

    from tests.engine import conftest

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyspark" else real_find_spec(name, *a),
    )
    assert "pyspark is not installed" in (conftest.spark_available() or "")
    monkeypatch.setattr(importlib.util, "find_spec", real_find_spec)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    if real_find_spec("pyspark") is not None:
        assert "no Java runtime" in (conftest.spark_available() or "")
