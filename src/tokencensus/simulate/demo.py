"""The demo: simulate a platform, run the whole study on it, and score the reproduction.

``run_demo(out)`` writes, under ``out``:

* ``store/``: the simulated event store (see ``writer.py``);
* ``index.html``, ``data/``, ``sql/``, ``manifest.json``: the study on the paper's window
  (model-level analyses 2024-11-03 .. 2025-11-30; retention follows users over all months);
* ``scorecard.csv``: every published number of FIGURES.md held against the run
  (``tokencensus.scorecard``), also shown as the report's last section.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from tokencensus.simulate.run import Reporter, SimulationResult, simulate

__all__ = ["DEMO_EVENTS", "DEMO_MIN_USERS", "PAPER_WINDOW", "DemoResult", "run_demo"]

#: Default demo size: finishes in under two minutes on two cores.
DEMO_EVENTS = 3_000_000
#: The demo's privacy floor: the study's default (docs/simulate.md measures its cost).
DEMO_MIN_USERS = 10
#: The paper's window for model-level and pricing analyses (section 2.5).
PAPER_WINDOW = (date(2024, 11, 3), date(2025, 11, 30))


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    simulation: SimulationResult
    scorecard: pd.DataFrame
    summary: dict[str, Any]
    seconds: float


def run_demo(
    out_dir: str | Path,
    *,
    events: int = DEMO_EVENTS,
    seed: int = 0,
    reporter: Reporter | None = None,
    artifacts: Sequence[str] | None = None,
    reference: bool = True,
    figures: bool = True,
    pdf: bool = False,
    min_users: int = DEMO_MIN_USERS,
    retention_models: Sequence[str] | None = None,
) -> DemoResult:
    """Simulate ``events`` events, run the study (or ``artifacts`` only) and the scorecard;
    write the report with paper references, ``figures/`` and optionally ``report.pdf``.

    ``min_users`` is the privacy floor K (0 disables it); ``retention_models`` the models
    F25 follows (catalog slugs or aliases; default the paper's eight)."""
    from tokencensus.analyses import StudyConfig
    from tokencensus.errors import ConfigError
    from tokencensus.report.publish import publish_report
    from tokencensus.scorecard import result_frames, score, summary
    from tokencensus.study import run_study

    if min_users < 0:
        raise ConfigError(f"--min-users must be 0 or more, got {min_users}.")
    config = StudyConfig(start=PAPER_WINDOW[0], end=PAPER_WINDOW[1], min_users=min_users)
    if retention_models is not None:
        from dataclasses import replace

        from tokencensus.analyses.retention import parse_cohort_models
        from tokencensus.catalog import load_catalog

        models = parse_cohort_models(",".join(retention_models), load_catalog())
        config = replace(config, retention_models=models)
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate(events, out / "store", seed=seed, overwrite=True, reporter=reporter)
    result = run_study(
        [sim.events_dir],
        out,
        config=config,
        artifacts=artifacts,
        reporter=reporter,
        write_report=False,
    )
    if reporter is not None:
        reporter.start("Scoring the reproduction")
    card = score(result_frames(result.results))
    card.to_csv(out / "scorecard.csv", index=False)
    counts = summary(card)
    result.manifest["simulation"] = sim.manifest
    result.manifest["scorecard"] = {"summary": counts, "rows": card.to_dict("records")}
    if reporter is not None:
        reporter.finish()
    timings = result.manifest.setdefault("timings_s", {})
    publish_report(
        result, out, reference=reference, figures=figures, pdf=pdf, timings=timings,
        reporter=reporter,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    result.manifest.setdefault("timings_s", {})["demo_total"] = round(seconds, 3)
    (out / "manifest.json").write_text(
        json.dumps(result.manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return DemoResult(out, sim, card, counts, seconds)
