"""``tokencensus ingest``: bring native logs into a canonical event store.

Registered in :data:`tokencensus.cli.COMMANDS`; heavy imports stay inside the function.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tokencensus.errors import ConfigError, TokencensusError

__all__ = ["ingest_command", "resolve_salt"]

SALT_ENV = "TOKENCENSUS_SALT"
CONFIG_FILE = "tokencensus.toml"
MIN_SALT = 16


def _config(path: Path | None) -> dict[str, Any]:
    """The ``[ingest]`` table of the config file (``--config``, else ./tokencensus.toml if present)."""
    if path is None:
        default = Path(CONFIG_FILE)
        if not default.is_file():
            return {}
        path = default
    if not path.is_file():
        raise ConfigError(f"Config file {path} does not exist.")
    from tokencensus.ingest.sources.table import _load_toml

    data = _load_toml(path)
    section = data.get("ingest", {})
    if not isinstance(section, dict):
        raise ConfigError(f'{path}: [ingest] must be a table (salt_file = "...", ...).')
    base = path.parent
    out = dict(section)
    if "salt_file" in out:
        out["salt_file"] = str((base / str(out["salt_file"])).resolve())
    return out


def resolve_salt(salt: str | None, salt_file: Path | None, config: dict[str, Any]) -> bytes:
    """The pseudonymization salt: --salt, --salt-file, $TOKENCENSUS_SALT, then the config file."""
    value: str | None = None
    where = ""
    if salt:
        value, where = salt, "--salt"
    elif salt_file is not None:
        value, where = _read_salt_file(salt_file), f"--salt-file {salt_file}"
    elif os.environ.get(SALT_ENV):
        value, where = os.environ[SALT_ENV], f"${SALT_ENV}"
    elif config.get("salt_file"):
        value, where = _read_salt_file(Path(config["salt_file"])), "the config file's salt_file"
    elif config.get("salt"):
        value, where = str(config["salt"]), "the config file's salt"
    if not value:
        raise ConfigError(
            "ingest needs a secret salt to pseudonymize user ids (HMAC-SHA256; the salt is "
            f'never stored). Set ${SALT_ENV}, pass --salt-file FILE, or put salt_file = "..." '
            f"under [ingest] in {CONFIG_FILE}. Create one with: "
            'python -c "import secrets; print(secrets.token_hex(32))". Keep it: every later '
            "ingest into the same store must use the same salt."
        )
    if len(value.encode("utf-8")) < MIN_SALT:
        raise ConfigError(
            f"The salt from {where} is {len(value)} characters; use at least {MIN_SALT} random "
            "characters so that user ids cannot be guessed back from their pseudonyms."
        )
    return value.encode("utf-8")


def _read_salt_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"Salt file {path} cannot be read ({exc.strerror}).") from None


def _print_summary(summary: Any, as_json: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    if as_json:
        out.print_json(json.dumps(summary.as_dict(), default=str))
        return
    err = Console(stderr=True)
    table = Table(title=f"tokencensus ingest ({summary.format})", show_header=False, box=None)
    table.add_row("inputs read", f"{len(summary.inputs):,}")
    if summary.skipped_inputs:
        table.add_row("inputs already ingested", f"{len(summary.skipped_inputs):,} (skipped)")
    table.add_row("records read", f"{summary.read:,}")
    table.add_row("events added", f"{summary.added:,}")
    table.add_row("already present", f"{summary.already_present:,}")
    if summary.duplicates_in_input:
        table.add_row("duplicate ids in input", f"{summary.duplicates_in_input:,}")
    table.add_row("quarantined", f"{summary.quarantined:,}")
    for reason, n in summary.not_generations.items():
        table.add_row("not generations", f"{n:,} ({reason})")
    if summary.aggregate_rows_read:
        table.add_row("aggregate rows read", f"{summary.aggregate_rows_read:,}")
        table.add_row("aggregate rows added", f"{summary.aggregates_added:,}")
    if summary.cost_estimated or summary.cost_unknown:
        table.add_row(
            "cost from list prices",
            f"{summary.cost_estimated:,} (no price: {summary.cost_unknown:,}, set to 0)",
        )
    if summary.countries_unrecognized:
        table.add_row("country hints not recognized", f"{summary.countries_unrecognized:,}")
    if summary.languages_unrecognized:
        table.add_row("languages outside ISO 639-1", f"{summary.languages_unrecognized:,}")
    weeks = summary.commit.weeks.get("events", [])
    if weeks:
        table.add_row("weeks touched", f"{weeks[0]} .. {weeks[-1]} ({len(weeks)})")
    table.add_row("time", f"{summary.seconds:.1f} s ({summary.events_per_second:,.0f} records/s)")
    table.add_row("store", summary.store)
    out.print(table)
    if summary.quarantined:
        err.print(
            f"[yellow]{summary.quarantined:,} records quarantined[/yellow] - see "
            f"{Path(summary.store) / (summary.commit.quarantine or '')}. First problems:"
        )
        for example in summary.quarantine_examples[:5]:
            err.print(f"  {example}", markup=False, highlight=False)
    if summary.aggregate_rows_read:
        from tokencensus.ingest.aggregates import coverage_message
        from tokencensus.store import Store

        if Store.open(summary.store).count("events") == 0:
            err.print(
                f"[yellow]This store holds aggregates only.[/yellow] {coverage_message()}",
                highlight=False,
            )


def ingest_command(
    source: Annotated[
        str,
        typer.Argument(
            help="Log files, a folder, a glob, or (litellm) a PostgreSQL URL postgresql://user:pass@host/db."
        ),
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="Source format: openrouter, litellm, langfuse, otel, conversations, table.",
        ),
    ],
    into: Annotated[
        Path, typer.Option("--into", help="The event store folder (created if absent).")
    ],
    salt_file: Annotated[
        Path | None,
        typer.Option(
            help=f"File holding the pseudonymization salt (else ${SALT_ENV} or the config file)."
        ),
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option(
            help="The salt itself (visible in shell history: prefer --salt-file or the env var)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help=f"TOML config file; its 'ingest' table may set salt_file, sample_rate (default ./{CONFIG_FILE})."
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="table: the column-mapping file (TOML or JSON).")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="litellm over PostgreSQL: table name (default LiteLLM_SpendLogs)."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            help="litellm over PostgreSQL: read every row, not only those since the last ingest."
        ),
    ] = False,
    traces: Annotated[
        Path | None,
        typer.Option(help="langfuse: a file of traces giving the observations' user ids."),
    ] = None,
    sample_rate: Annotated[
        float | None,
        typer.Option(
            help="Share of prompts classified where text is present (default 0.0025; 0: languages only)."
        ),
    ] = None,
    classifier: Annotated[
        str, typer.Option(help="Classifier backend for sampled prompts.")
    ] = "offline",
    estimate_cost: Annotated[
        bool, typer.Option(help="Estimate cost from list prices where the source records none.")
    ] = True,
    wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for another ingest into the same store (default: refuse at once)."
        ),
    ] = 0.0,
    force: Annotated[
        bool,
        typer.Option(help="Read files again even if the store ingested the same content before."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Ingest native logs into a store: Parquet by week, append-only, each event once.

    Ingesting the same file again adds nothing; an interrupted ingest leaves the store as it was; malformed records go to STORE/quarantine/ with file, line, field and reason. Then run 'tokencensus study STORE -o OUT'.
    """
    from tokencensus.cli import RichReporter, console
    from tokencensus.ingest.pipeline import IngestOptions, ingest
    from tokencensus.ingest.sources.base import SourceOptions

    try:
        cfg = _config(config)
        rate = sample_rate if sample_rate is not None else float(cfg.get("sample_rate", 0.0025))
        if not 0 <= rate <= 1:
            raise ConfigError(f"--sample-rate must be between 0 and 1, got {rate}.")
        options = IngestOptions(
            salt=resolve_salt(salt, salt_file, cfg),
            source=SourceOptions(
                mapping=mapping,
                table=table,
                full=full,
                traces=traces,
                estimate_cost=estimate_cost,
            ),
            sample_rate=rate,
            classifier=classifier,
            wait=wait if wait >= 0 else None,
            force=force,
        )
        with RichReporter(enabled=not quiet and not as_json) as reporter:
            summary = ingest(source, format, into, options, reporter)
    except TokencensusError as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    _print_summary(summary, as_json)
