"""Everything a study writes for people: the page, the figures and (on request) the PDF."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokencensus.study import StudyResult

__all__ = ["publish_report"]


def publish_report(
    result: StudyResult,
    out_dir: str | Path,
    *,
    reference: bool = True,
    figures: bool = True,
    pdf: bool = False,
    timings: dict[str, float] | None = None,
    reporter: Any = None,
) -> dict[str, Path]:
    """Write ``index.html``, ``figures/<ID>.png|svg`` and ``report.pdf`` under ``out_dir``.

    ``reference`` draws the paper's published values on the charts; ``timings`` (if
    given) receives the seconds each part took (``report``, ``figures``, ``pdf``);
    ``reporter`` (the study's progress callbacks) sees each part start and finish.
    """
    from tokencensus.report.html import render_report

    out = Path(out_dir)
    timings = timings if timings is not None else {}
    written: dict[str, Path] = {}
    rep = reporter or _Quiet()
    t0 = time.perf_counter()
    rep.start("Writing the report")
    render_report(result, out / "index.html", reference=reference)
    rep.finish()
    written["report"] = out / "index.html"
    timings["report"] = round(time.perf_counter() - t0, 3)
    if figures:
        from tokencensus.report.figures import write_figures

        t0 = time.perf_counter()
        rep.start("Drawing figures (PNG, SVG)", total=len(result.results))
        write_figures(
            result, out / "figures", reference=reference, on_figure=lambda _aid: rep.advance()
        )
        rep.finish()
        written["figures"] = out / "figures"
        timings["figures"] = round(time.perf_counter() - t0, 3)
    if pdf:
        from tokencensus.report.pdf import write_pdf

        t0 = time.perf_counter()
        rep.start("Writing report.pdf")
        written["pdf"] = write_pdf(result, out / "report.pdf", reference=reference)
        rep.finish()
        timings["pdf"] = round(time.perf_counter() - t0, 3)
    return written


class _Quiet:
    def start(self, stage: str, total: int | None = None) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None
