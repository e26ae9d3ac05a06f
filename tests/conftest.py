"""Shared fixtures: the engine matrix, a small test catalog, an event-table builder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from tokencensus.catalog import Catalog, load_catalog
from tokencensus.schema import EVENT_SCHEMA, OPTIONAL_DEFAULTS

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engines",
        default="duckdb",
        help="Comma-separated engines for engine-parametrized tests (duckdb, spark).",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine_name" in metafunc.fixturenames:
        names = [e.strip() for e in metafunc.config.getoption("--engines").split(",") if e.strip()]
        params = [
            pytest.param(name, marks=_spark_marks()) if name == "spark" else name for name in names
        ]
        metafunc.parametrize("engine_name", params, scope="module")


def _spark_marks() -> list[pytest.MarkDecorator]:
    from tests.engine.conftest import SPARK_WARNINGS

    return [pytest.mark.spark, *(pytest.mark.filterwarnings(w) for w in SPARK_WARNINGS)]


@pytest.fixture(scope="session")
def small_catalog() -> Catalog:
    """Eight models with known facts, independent of the shipped catalog."""
    return load_catalog(FIXTURES / "catalog_small.csv", shipped=False)


def make_events(rows: Iterable[dict[str, object]]) -> pa.Table:
    """Canonical events from partial dicts (optional fields take their defaults)."""
    full = []
    for row in rows:
        event = {name: OPTIONAL_DEFAULTS.get(name) for name in EVENT_SCHEMA.names}
        event.update(row)
        full.append(event)
    return pa.Table.from_pylist(full, schema=EVENT_SCHEMA)


def repeat(
    n: int,
    *,
    model: str,
    week: str,
    prompt: int,
    completion: int,
    prefix: str,
    **extra: object,
) -> list[dict[str, object]]:
    """``n`` events of one model in the ISO week starting ``week`` (spread over its days)."""
    monday = datetime.fromisoformat(week)
    return [
        {
            "id": f"{prefix}-{i}",
            "created_at": monday + timedelta(days=i % 7, hours=i % 24, minutes=i % 60),
            "user_id": f"user-{i % 13}",
            "model": model,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost_usd": 0.001,
            **extra,
        }
        for i in range(n)
    ]


def compute(
    events: pa.Table,
    catalog: Catalog,
    *,
    engine_name: str = "duckdb",
    config: object = None,
    ids: Iterable[str] | None = None,
) -> dict[str, object]:
    """Run artifacts on an in-memory event table; {id: DataFrame}."""
    from tokencensus.analyses import ARTIFACTS, StudyConfig
    from tokencensus.engine import connect, get_engine
    from tokencensus.study import Study

    engine = get_engine(engine_name)
    backend = connect(engine_name)
    study = Study(backend, engine, catalog, config or StudyConfig())
    study.load_events_table(events)
    chosen = list(ids) if ids is not None else list(ARTIFACTS)
    return {aid: study.compute(ARTIFACTS[aid], with_sql=False).data for aid in chosen}
