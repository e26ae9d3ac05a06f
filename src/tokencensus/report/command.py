"""CLI command ``tokencensus compare`` (registered in cli.py; heavy imports stay inside)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["compare_command"]


def compare_command(
    run_a: Annotated[
        Path, typer.Argument(help="First study folder (what 'tokencensus study --out' wrote).")
    ],
    run_b: Annotated[Path, typer.Argument(help="Second study folder, e.g. the demo's.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for index.html and differences.csv.")
    ],
    label_a: Annotated[str | None, typer.Option(help="Name of the first run.")] = None,
    label_b: Annotated[str | None, typer.Option(help="Name of the second run.")] = None,
) -> None:
    """Two runs on shared axes, artifact by artifact, with the differences that matter first.

    Writes DIR/index.html (self-contained) and DIR/differences.csv (every artifact x series
    summarized alike in both runs, largest gap first).
    """
    from rich.console import Console

    from tokencensus.cli import _fail
    from tokencensus.errors import TokencensusError
    from tokencensus.report.compare import compare_runs, fmt_gap, run_label

    try:
        labels = None
        if label_a or label_b:
            labels = (label_a or run_label(run_a, "A"), label_b or run_label(run_b, "B"))
        diffs = compare_runs(run_a, run_b, out, labels=labels)
    except TokencensusError as exc:
        _fail(exc)
    lines = [
        f"  {r['artifact']} {r['series']}: {fmt_gap(r)} ({r['measure']})"
        for _, r in diffs.head(5).iterrows()
    ]
    Console().print(
        f"Compared {diffs['artifact'].nunique()} artifacts; the largest differences:\n"
        + "\n".join(lines)
        + f"\nReport: {out / 'index.html'}   Differences: {out / 'differences.csv'}",
        highlight=False,
    )
