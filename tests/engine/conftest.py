"""Engine tests: a simulated 100K-event store shared by the parity and loading tests."""

from __future__ import annotations

import importlib.util
import os
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
    home = os.environ.get("JAVA_HOME")
    return bool(home) and (Path(home) / "bin" / "java").exists()


def require_spark(config: pytest.Config) -> None:
    """Return when Spark can run here; else skip the test on a workstation, but fail it in
    CI (``CI`` set, as ``.ci/run`` does) or when ``--engines`` names spark."""
    why = spark_available()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(
            f"CI is set, so the Spark tests must run, but Spark cannot run here: {why}. "
            "Install the test extra (pip install -e '.[test]') and Java 17 or 21.",
            pytrace=False,
        )
    if "spark" in config.getoption("--engines"):
        pytest.fail(f"--engines names spark but Spark cannot run here: {why}", pytrace=False)
    pytest.skip(f"needs Spark: {why}")


@pytest.fixture(scope="session")
def spark_ready(pytestconfig: pytest.Config) -> None:
    """Spark can run here (see :func:`require_spark`)."""
    require_spark(pytestconfig)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100K-event simulated store (the calibrated simulator, seed 1)."""
    from tokencensus.simulate.run import simulate

    root = tmp_path_factory.mktemp("store") / "demo"
    simulate(events=STORE_EVENTS, out_dir=root, seed=1)
    return root
