"""The engine registry and adapters: names, missing extras, capability flags."""

from __future__ import annotations

import sys

import pytest

from tokencensus.engine import ENGINES, get_engine
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
