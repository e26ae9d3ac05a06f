"""Command line: parse, call the API, turn errors into a message and an exit code.

Every command has ``--help``.  Errors tokencensus raises on purpose print one
clear paragraph and exit 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from tokencensus.errors import ConfigError, TokencensusError

app = typer.Typer(
    name="tokencensus",
    help="The State of AI token study on your own LLM gateway logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


class RichReporter:
    """Progress bars for the study's stages."""

    def __init__(self, enabled: bool = True) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.task: Any = None

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, stage: str, total: int | None = None) -> None:
        self.task = self.progress.add_task(stage, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)

    def finish(self) -> None:
        if self.task is not None:
            task = self.progress.tasks[self.task]
            if task.total is None:
                self.progress.update(
                    self.task, total=task.completed or 1, completed=task.completed or 1
                )
            else:
                self.progress.update(self.task, completed=task.total)
            self.task = None


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} expects a date YYYY-MM-DD, got {value!r}.") from None


def _summary(manifest: dict[str, Any], out: Path) -> None:
    rows = manifest["rows"]
    table = Table(title="tokencensus study", show_header=False, box=None)
    table.add_row("records read", f"{rows['read']:,}")
    table.add_row("events studied", f"{rows['events']:,}")
    table.add_row("quarantined", f"{rows['quarantined']:,}")
    table.add_row("duplicate ids", f"{rows['duplicates']:,}")
    table.add_row("outside window", f"{rows['outside_window']:,}")
    unknown = manifest["unknown_models"]
    table.add_row("unknown models", f"{unknown['models']} ({unknown['events']:,} events)")
    table.add_row("artifacts", f"{len(manifest['artifacts'])}")
    report = out / "index.html"
    table.add_row("report", str(report) if report.exists() else f"{out} (data only)")
    timings = manifest.get("timings_s", {})
    if "figures" in timings:
        table.add_row("figures", f"{out / 'figures'} (PNG, SVG)")
    if "pdf" in timings:
        table.add_row("pdf", str(out / "report.pdf"))
    out_console = Console()
    out_console.print(table)
    if rows["quarantined"]:
        console.print(
            f"[yellow]{rows['quarantined']:,} records rejected[/yellow] — see "
            f"{manifest['quarantine']['file']}. First problems:"
        )
        for example in manifest["quarantine"]["examples"][:5]:
            console.print(f"  {example}", markup=False, highlight=False)


def _fail(exc: TokencensusError) -> None:
    console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
    raise typer.Exit(1)


@app.command()
def study(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Event files (Parquet, CSV, JSONL in the canonical schema), folders or globs."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for the report, data and manifest.")
    ],
    engine: Annotated[str, typer.Option(help="Engine: duckdb (default) or spark.")] = "duckdb",
    database: Annotated[
        str | None, typer.Option(help="DuckDB database file (default: in memory).")
    ] = None,
    spark_master: Annotated[
        str | None, typer.Option(help="Spark master URL (with --engine spark), e.g. local[2].")
    ] = None,
    catalog: Annotated[
        list[Path] | None,
        typer.Option("--catalog", help="Extra/override model catalog CSV (repeatable)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First day of the window, YYYY-MM-DD (UTC).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day of the window, YYYY-MM-DD (UTC).")
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option(help="Only these artifacts, comma separated (e.g. F1,T1).")
    ] = None,
    top_oss: Annotated[int, typer.Option(help="Open-weights models drawn in F3.")] = 15,
    min_users: Annotated[
        int,
        typer.Option(
            help="Privacy floor K: no published cell describes fewer distinct users "
            "(0 disables it)."
        ),
    ] = 10,
    cohort_models: Annotated[
        str | None,
        typer.Option(
            help="Models whose monthly cohorts F25 draws, comma separated catalog slugs or "
            "aliases (default: the paper's eight)."
        ),
    ] = None,
    report: Annotated[bool, typer.Option(help="Write index.html.")] = True,
    reference: Annotated[
        bool, typer.Option(help="Draw the paper's published values on the charts (dashed).")
    ] = True,
    figures: Annotated[
        bool, typer.Option(help="Write DIR/figures/<ID>.png and .svg for every chart.")
    ] = True,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write DIR/report.pdf.")] = False,
    incremental: Annotated[
        bool,
        typer.Option(
            help="With a store as the input: reuse DIR/rollup-cache for the weeks whose files "
            "did not change since the last --incremental run, read only the others (a run "
            "without --incremental neither reads nor writes the cache).  On DuckDB the "
            "rollups are kept there too (rollups.duckdb): the next --incremental run updates "
            "them with the new, changed and removed weeks instead of rebuilding them, "
            "and keeps the results of week-by-week artifacts, recomputing only those weeks."
        ),
    ] = False,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Validate and deduplicate a store's events like any input file, instead of "
            "trusting what 'ingest'/'simulate' checked when writing it.",
        ),
    ] = False,
    aggregate_source: Annotated[
        str | None,
        typer.Option(
            help="For a store of aggregate rows only (no events): which source to study, "
            "e.g. openrouter-activity or openrouter-rankings."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Run the study on event files or a store and write DIR/index.html, DIR/data/<ID>.csv, DIR/manifest.json."""
    from tokencensus.analyses import StudyConfig
    from tokencensus.study import run_study

    try:
        if pdf and report:
            from tokencensus.report.pdf import require_pdf_support

            require_pdf_support()
        if min_users < 0:
            raise ConfigError(f"--min-users must be 0 or more, got {min_users}.")
        config = StudyConfig(
            start=_parse_date(start, "--start"),
            end=_parse_date(end, "--end"),
            top_oss_models=top_oss,
            min_users=min_users,
        )
        model_catalog = None
        if cohort_models is not None:
            from dataclasses import replace

            from tokencensus.analyses.retention import parse_cohort_models
            from tokencensus.catalog import load_catalog

            model_catalog = load_catalog(*(catalog or []))
            config = replace(
                config, retention_models=parse_cohort_models(cohort_models, model_catalog)
            )
        options: dict[str, Any] = {}
        if database:
            if engine != "duckdb":
                raise ConfigError("--database is a DuckDB option; drop it with --engine " + engine)
            options["database"] = database
        if spark_master:
            if engine != "spark":
                raise ConfigError("--spark-master needs --engine spark.")
            options["master"] = spark_master
        with RichReporter(enabled=not quiet) as reporter:
            result = run_study(
                inputs,
                out,
                engine=engine,
                engine_options=options,
                catalog_files=catalog or [],
                catalog=model_catalog,
                config=config,
                artifacts=[a for a in artifacts.split(",") if a] if artifacts else None,
                reporter=reporter,
                write_report=report,
                reference=reference,
                figures=figures,
                pdf=pdf,
                incremental=incremental,
                aggregate_source=aggregate_source,
                trust_store=not validate,
            )
    except TokencensusError as exc:
        _fail(exc)
    _summary(result.manifest, out)


@app.command("artifacts")
def list_artifacts() -> None:
    """List every registered artifact (paper id, section, title)."""
    from tokencensus.analyses import ARTIFACTS, SECTIONS

    table = Table("id", "section", "title")
    for a in ARTIFACTS.values():
        sec = SECTIONS[a.section]
        table.add_row(a.id, f"{sec.number} {sec.title}", a.title)
    Console().print(table)


#: Commands implemented next to the code they drive, as "module:function" (typer functions).
#: Imported when the CLI starts; each module keeps its heavy imports inside the function.
COMMANDS: dict[str, str] = {
    "ingest": "tokencensus.ingest.command:ingest_command",
    "classify": "tokencensus.enrich.classify.command:classify_command",
    "simulate": "tokencensus.simulate.command:simulate_command",
    "demo": "tokencensus.simulate.command:demo_command",
    "compare": "tokencensus.report.command:compare_command",
}


def _register_commands() -> None:
    import importlib

    for name, target in COMMANDS.items():
        module, func = target.split(":")
        app.command(name)(getattr(importlib.import_module(module), func))


_register_commands()


def main() -> None:
    try:
        app()
    except TokencensusError as exc:  # raised outside a command body
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
