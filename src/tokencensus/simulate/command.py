"""CLI commands ``tokencensus simulate`` and ``tokencensus demo`` (registered in cli.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tokencensus.simulate.demo import DEMO_EVENTS, DEMO_MIN_USERS

__all__ = ["demo_command", "simulate_command"]


def _date(value: str | None, option: str) -> date | None:
    from tokencensus.errors import ConfigError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} expects a date YYYY-MM-DD, got {value!r}.") from None


def simulate_command(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for events/, accounts.parquet and the manifest."),
    ],
    events: Annotated[
        int, typer.Option("--events", "-n", help="Number of events to generate.")
    ] = 1_000_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same files.")
    ] = 0,
    start: Annotated[
        str | None,
        typer.Option(
            help="First day, YYYY-MM-DD (default 2024-07-01: GPT-4o mini's July-2024 cohort)."
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day, YYYY-MM-DD (default 2025-11-30).")
    ] = None,
    sample_rate: Annotated[
        float | None,
        typer.Option(
            help="Share of events with classifier labels (default 0.20; the paper: 0.0025)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes writing the weeks (default: the CPU count, at most 8)."
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a store already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Simulate an LLM gateway shaped like OpenRouter: canonical events partitioned by ISO week.

    Accounts with a billing country, a workload and a size choose models from the catalog week by week; their requests become events in DIR/events/week=YYYY-MM-DD/part-00000.parquet, with the accounts in DIR/accounts.parquet. Read them with: tokencensus study DIR/events --out REPORT.
    """
    from rich.console import Console

    from tokencensus.cli import RichReporter, _fail
    from tokencensus.errors import TokencensusError
    from tokencensus.simulate import simulate

    try:
        with RichReporter(enabled=not quiet) as reporter:
            result = simulate(
                events,
                out,
                seed=seed,
                start=_date(start, "--start"),
                end=_date(end, "--end"),
                sample_rate=sample_rate,
                workers=workers,
                overwrite=overwrite,
                reporter=reporter,
            )
    except TokencensusError as exc:
        _fail(exc)
    rate = result.events / result.seconds if result.seconds else 0.0
    Console().print(
        f"{result.events:,} events from {result.accounts:,} accounts over {result.weeks} weeks "
        f"in {result.seconds:.1f}s ({rate:,.0f} events/s) -> {result.events_dir}"
    )


def demo_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the store, report and scorecard.")
    ],
    events: Annotated[
        int, typer.Option("--events", "-n", help="Number of events to simulate.")
    ] = DEMO_EVENTS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    reference: Annotated[
        bool, typer.Option(help="Draw the paper's published numbers on the charts.")
    ] = True,
    figures: Annotated[bool, typer.Option(help="Write figures/<ID>.png and .svg.")] = True,
    pdf: Annotated[
        bool, typer.Option(help="Also write report.pdf (needs tokencensus[pdf]).")
    ] = False,
    min_users: Annotated[
        int,
        typer.Option(
            help="Privacy floor K: no published cell describes fewer distinct users "
            "(0 disables it)."
        ),
    ] = DEMO_MIN_USERS,
    cohort_models: Annotated[
        str | None,
        typer.Option(
            help="Models whose monthly cohorts F25 draws, comma separated catalog slugs or "
            "aliases (default: the paper's eight)."
        ),
    ] = None,
) -> None:
    """Simulate a platform, run the whole study on it and score it against the paper.

    Writes DIR/index.html (the report, ending with the reproduction scorecard), DIR/scorecard.csv, DIR/data/, DIR/manifest.json, DIR/figures/ and the simulated store in DIR/store/.
    """
    from rich.console import Console

    from tokencensus.cli import RichReporter, _fail
    from tokencensus.errors import TokencensusError
    from tokencensus.simulate.demo import run_demo

    try:
        with RichReporter(enabled=not quiet) as reporter:
            models = None
            if cohort_models is not None:
                from tokencensus.analyses.retention import parse_cohort_models
                from tokencensus.catalog import load_catalog

                models = parse_cohort_models(cohort_models, load_catalog())
            result = run_demo(
                out, events=events, seed=seed, reporter=reporter, reference=reference,
                figures=figures, pdf=pdf, min_users=min_users, retention_models=models,
            )  # fmt: skip
    except TokencensusError as exc:
        _fail(exc)
    s = result.summary
    rate = f"{s['pass_rate']:.0%}" if s["pass_rate"] is not None else "–"
    Console().print(
        f"Scorecard: {s['passed']} of {s['measurable']} measurable published numbers reproduced "
        f"({rate}); {s['not_measurable']} not measurable. {result.seconds:.0f}s.\n"
        f"Report: {out / 'index.html'}   Scorecard: {out / 'scorecard.csv'}"
    )
