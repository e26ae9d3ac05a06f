"""The report in a real browser: opened from disk, every artifact drawn, nothing fetched.

Headless Chromium (installed with apt-get when missing, see conftest.py) opens
``index.html`` through ``file://`` and the test checks, for every registered artifact,
that its chart is an SVG with data marks (or, for table-only artifacts, that its table
has rows), that the console logged no error and that no request left ``file://``.
Screenshots of the front page and two charts, and the page's size and load time, are
left in the test-artifacts folder (``$TOKENCENSUS_TEST_ARTIFACTS`` or
``tests/report/artifacts/``).
"""

from __future__ import annotations

import json
import time

import pytest

from tokencensus.analyses import ARTIFACTS
from tokencensus.chartspec import TableOnly

#: Per artifact: chart state, data marks drawn by the main layer, data-table rows.
_INSPECT = r"""
(() => {
  const out = {};
  for (const sec of document.querySelectorAll('section.artifact')) {
    const chart = sec.querySelector('.chart');
    const svg = chart ? chart.querySelector('svg') : null;
    let marks = 0;
    if (svg) {
      for (const g of svg.querySelectorAll('g.role-mark')) {
        if (!/(^| )(child_)?layer_0_(layer_\d+_)?marks( |$)/.test(g.getAttribute('class'))) continue;
        for (const e of g.children) {
          if ((e.getAttribute('d') || '').length > 8 || (e.tagName === 'text' && e.textContent.trim())) marks++;
        }
      }
    }
    out[sec.id] = {
      chart: !!chart,
      rendered: chart ? chart.dataset.rendered || null : null,
      marks: marks,
      width: svg ? svg.getBoundingClientRect().width : 0,
      tableRows: Math.max(0, sec.querySelectorAll('table.data tr').length - 1),
      note: (sec.querySelector('.note.empty') || {}).textContent || null,
    };
  }
  return out;
})()
"""


@pytest.fixture(scope="module")
def loaded(browser, report_dir, artifacts_dir):
    """The report opened from disk, every chart drawn; with its load timings."""
    index = report_dir / "index.html"
    page = browser.new_page(width=1200, height=900)
    t0 = time.perf_counter()
    load_s = page.navigate(index.as_uri())
    page.evaluate("window.tcReport.ready", await_promise=True, timeout=120)
    drawn_s = time.perf_counter() - t0
    timing = {
        "bytes": index.stat().st_size,
        "load_event_s": round(load_s, 3),
        "charts_drawn_s": round(drawn_s, 3),
        "in_page_charts_drawn_ms": round(
            page.evaluate("performance.getEntriesByName('tc-charts-drawn')[0].startTime")
        ),
    }
    (artifacts_dir / "report_load.json").write_text(json.dumps(timing, indent=2) + "\n")
    return page, timing


def test_every_registered_artifact_rendered(loaded):
    page, _ = loaded
    info = page.evaluate(_INSPECT)
    problems = []
    for aid, art in ARTIFACTS.items():
        got = info.get(aid)
        if got is None:
            problems.append(f"{aid}: no section on the page")
        elif isinstance(art.chart, TableOnly):
            if got["tableRows"] == 0:
                problems.append(f"{aid}: table-only artifact with an empty table")
        elif got["rendered"] != "ok" or got["marks"] == 0 or got["width"] < 100:
            problems.append(f"{aid}: chart {got}")
    assert not problems, "\n".join(problems)


def test_no_console_errors_and_no_network(loaded):
    page, _ = loaded
    errors = [c for c in page.console if c["type"] in ("error", "assert")]
    log_errors = [e for e in page.log if e.get("level") == "error"]
    assert not errors, errors
    assert not page.exceptions, page.exceptions
    assert not log_errors, log_errors
    assert page.evaluate("window.tcReport.errors") == []
    # the page itself is the only request, from disk; blob:/data: never leave the machine
    remote = [u for u in page.requests if not u.startswith(("file://", "data:", "blob:"))]
    assert page.requests and page.requests[0].startswith("file://")
    assert not remote, remote
    assert not page.failed, page.failed


def test_screenshots(loaded, artifacts_dir):
    page, _ = loaded
    shots = {
        "front_page.png": "header",
        "chart_F1.png": "section#F1",
        "chart_F19.png": "section#F19",
    }
    for name, selector in shots.items():
        path = page.screenshot(artifacts_dir / name, selector)
        assert path.stat().st_size > 10_000, name


def _center(page, selector: str, fy: float = 0.5, index: int = 0) -> tuple[float, float]:
    """Viewport point of the ``index``-th match (scrolled into view): its middle, ``fy`` down."""
    return tuple(
        page.evaluate(
            f"(() => {{ const e = document.querySelectorAll({json.dumps(selector)})[{index}];"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            f" return [r.left + r.width / 2, r.top + r.height * {fy}]; }})()"
        )
    )


def _mouse(page, kind: str, x: float, y: float, **extra) -> None:
    page.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})


def _settle(page, expression: str, want, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    value = page.evaluate(expression)
    while value != want and time.monotonic() < deadline:
        time.sleep(0.05)
        value = page.evaluate(expression)
    return value


_F1_AREAS = (
    "document.querySelectorAll('#chart-F1 g.role-mark[class*=\"layer_0_marks\"] > path').length"
)


def test_legend_click_shows_one_series_and_hover_shows_values(loaded):
    page, _ = loaded
    assert page.evaluate(_F1_AREAS) == 3
    # hover: the pivoted rule's tooltip lists every source type's share at that week
    # (at a share of about 45%, away from the paper's dashed references, which have their own)
    x, y = _center(page, "#chart-F1 .role-axis-grid", fy=0.55)
    _mouse(page, "mouseMoved", x, y)
    tip = _settle(
        page,
        "(document.getElementById('vg-tooltip-element') || {}).textContent || ''",
        None,
        timeout=1.0,
    )
    assert "Closed" in tip and "Chinese OSS" in tip and "%" in tip, tip
    # legend toggle: a click on "Chinese OSS" leaves that series alone, restacked from zero
    lx, ly = _center(page, "#chart-F1 .role-legend-symbol path", index=1)
    _mouse(page, "mousePressed", lx, ly, button="left", clickCount=1)
    _mouse(page, "mouseReleased", lx, ly, button="left", clickCount=1)
    assert _settle(page, _F1_AREAS, 1) == 1
    # legend entries toggle: a second click on it shows all three again
    _mouse(page, "mousePressed", lx, ly, button="left", clickCount=1)
    _mouse(page, "mouseReleased", lx, ly, button="left", clickCount=1)
    assert _settle(page, _F1_AREAS, 3) == 3


def test_time_axis_zooms(loaded):
    page, _ = loaded
    labels = (
        "[...document.querySelectorAll('#chart-F14 .role-axis-label text')]"
        ".map(t => t.textContent).join('|')"
    )
    before = page.evaluate(labels)
    x, y = _center(page, "#chart-F14 g.role-mark[class*='layer_0_']")
    _mouse(page, "mouseWheel", x, y, deltaX=0, deltaY=-600)
    deadline = time.monotonic() + 5
    after = page.evaluate(labels)
    while after == before and time.monotonic() < deadline:
        time.sleep(0.05)
        after = page.evaluate(labels)
    assert after != before


def test_compare_page_renders(browser, fixture_run, tmp_path, artifacts_dir):
    from tokencensus.report.compare import compare_runs

    compare_runs(fixture_run, fixture_run, tmp_path, labels=("this run", "the demo"))
    page = browser.new_page(width=1200, height=900)
    page.navigate((tmp_path / "index.html").as_uri())
    page.evaluate("window.tcReport.ready", await_promise=True, timeout=120)
    status = page.evaluate("window.tcReport.status")
    drawn = {a for a, art in ARTIFACTS.items() if not isinstance(art.chart, TableOnly)}
    assert set(status) == drawn and set(status.values()) == {"ok"}
    assert not [c for c in page.console if c["type"] == "error"] and not page.exceptions
    assert all(u.startswith(("file://", "data:", "blob:")) for u in page.requests)
    page.screenshot(artifacts_dir / "compare_F1.png", "section#F1")


def test_csv_download_matches_the_data_files(loaded, report_dir):
    """The page's CSV of an artifact has the data file's columns, rows and values."""
    import io

    import pandas as pd

    page, _ = loaded
    for aid in ("F1", "T3", "F25"):
        text = page.evaluate(f"window.tcReport.csv({json.dumps(aid)})")
        got = pd.read_csv(io.StringIO(text))
        want = pd.read_csv(report_dir / "data" / f"{aid}.csv")
        assert list(got.columns) == list(want.columns)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-6)
