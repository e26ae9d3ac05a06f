"""Engine tests: a simulated 100K-event store shared by the parity and loading tests."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

#: Warnings Spark's Python side emits that are not ours to fix, filtered by exact message.
SPARK_WARNINGS = (
    # py4j leaves callback sockets for the garbage collector when a session is reused
    "ignore:unclosed <socket.socket:ResourceWarning",
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning",
)

STORE_EVENTS = 100_000


def spark_available() -> str | None:
    """None when Spark can run here, else why not."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not _java_home():
        return "no Java runtime (Spark needs Java 17 or 21)"
    return None


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and (Path(home) / "bin" / "java").exists()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100K-event simulated store (the calibrated simulator, seed 1)."""
    from tokencensus.simulate.run import simulate

    root = tmp_path_factory.mktemp("store") / "demo"
    simulate(events=STORE_EVENTS, out_dir=root, seed=1)
    return root
