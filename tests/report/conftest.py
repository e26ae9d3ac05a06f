"""Fixtures for the report tests: a real (small) study folder, the page, a headless browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.cdp import Browser, ensure_chromium, ensure_packages

FIXTURE_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "report_run"
#: Fonts for CJK and Thai labels (figures and the browser), as Debian packages.
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-thai-tlwg")
#: Debian packages the browser tests need on a fresh machine.
BROWSER_PACKAGES = ("chromium", *FONT_PACKAGES)


def _skip_unless_ci(exc: BaseException) -> None:
    """Missing system packages skip a test on a workstation and fail it in CI (``CI`` set)."""
    if os.environ.get("CI"):
        raise exc
    pytest.skip(str(exc))


@pytest.fixture(scope="session")
def fixture_run():
    """The study result of ``tests/fixtures/report_run`` (see make_fixture.py)."""
    from tokencensus.report.runs import load_run

    return load_run(FIXTURE_RUN)


@pytest.fixture(scope="session")
def report_dir(fixture_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study folder with the report page drawn from the fixture run (references on)."""
    from tokencensus.report.html import render_report

    out = tmp_path_factory.mktemp("report")
    shutil.copytree(FIXTURE_RUN / "data", out / "data")
    render_report(fixture_run, out / "index.html")
    return out


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave screenshots and measurements (kept after the run, ignored by git)."""
    folder = Path(os.environ.get("TOKENCENSUS_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium; installed with apt-get (as root, or with password-less sudo) when
    missing.

    Without either, or without apt-get, the browser tests are skipped - except in CI (``CI`` set),
    where a missing browser is a failure.
    """
    try:
        exe = ensure_chromium(BROWSER_PACKAGES)
    except (RuntimeError, OSError) as exc:
        _skip_unless_ci(exc)
    with Browser.launch(exe) as b:
        yield b


@pytest.fixture(scope="session")
def cjk_thai_fonts() -> None:
    """Debian's Noto CJK and TLWG Thai fonts, installed with apt-get (as root, or with
    password-less sudo) when missing."""
    try:
        ensure_packages(FONT_PACKAGES)
    except (RuntimeError, OSError) as exc:
        _skip_unless_ci(exc)
