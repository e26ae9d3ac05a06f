"""``tokencensus classify``: label a prompt file offline, or measure a backend.

Register in the CLI with ``app.command("classify")(classify_command)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tokencensus.enrich.classify.backends.base import BACKENDS, get_backend
from tokencensus.enrich.classify.evaluate import Evaluation, evaluate_backend, read_labeled
from tokencensus.enrich.classify.sampling import DEFAULT_RATE, DEFAULT_SALT, check_rate, sample_mask
from tokencensus.enrich.classify.stage import RowIssue, classify_events
from tokencensus.errors import ConfigError, InputError, TokencensusError

__all__ = ["classify_command", "read_prompts", "write_events"]

CHUNK = 20_000


def _read_jsonl(path: Path, id_column: str, text_column: str) -> tuple[pa.Table, list[RowIssue]]:
    ids, texts, rest, issues = [], [], [], []
    keys: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                issues.append(RowIssue(n, "(line)", f"is not JSON ({exc.msg}); line skipped"))
                continue
            if not isinstance(obj, dict):
                issues.append(
                    RowIssue(
                        n, "(line)", f"is not an object (saw {type(obj).__name__}); line skipped"
                    )
                )
                continue
            keys.update(obj)
            event_id = obj.pop(id_column, None)
            ids.append(
                event_id
                if isinstance(event_id, str)
                else (None if event_id is None else str(event_id))
            )
            text = obj.pop(text_column, None)
            if text is not None and not isinstance(text, str):
                issues.append(
                    RowIssue(
                        n, text_column, f"is not a string (saw {type(text).__name__} {text!r:.40})"
                    )
                )
                text = None
            texts.append(text)
            rest.append(obj)
    for col in (id_column, text_column):
        if rest and col not in keys:
            raise InputError(
                f"Input file {path} has no column {col!r} (fields seen: {', '.join(sorted(keys))}). "
                "Name the prompt column with --text-column."
            )
    columns = {id_column: pa.array(ids, pa.string()), text_column: pa.array(texts, pa.string())}
    table = pa.table(columns)
    try:
        others = pa.Table.from_pylist(rest)
        for name in others.column_names:
            table = table.append_column(name, others.column(name))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass  # other columns have mixed types: keep only id and the labels
    return table, issues


def read_prompts(
    path: Path, text_column: str = "prompt", id_column: str = "id"
) -> tuple[pa.Table, list[RowIssue]]:
    """A JSONL, CSV or Parquet file of prompts as an Arrow table, plus rows already found bad."""
    if not path.is_file():
        raise InputError(f"Input file {path} does not exist. Pass a JSONL, CSV or Parquet file.")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        table, issues = _read_jsonl(path, id_column, text_column)
    elif suffix == ".csv":
        import pyarrow.csv as pacsv

        opts = pacsv.ConvertOptions(column_types={id_column: pa.string(), text_column: pa.string()})
        table, issues = pacsv.read_csv(path, convert_options=opts), []
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        table, issues = pq.read_table(path), []
    else:
        raise InputError(
            f"Input file {path} has extension {suffix!r}; use .jsonl, .csv or .parquet."
        )
    for col in (id_column, text_column):
        if col not in table.column_names:
            raise InputError(
                f"Input file {path} has no column {col!r} (columns: {', '.join(table.column_names)}). "
                "Name the prompt column with --text-column."
            )
    return table, issues


def write_events(table: pa.Table, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, out)
    elif suffix in (".jsonl", ".ndjson"):
        with out.open("w", encoding="utf-8") as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    else:
        raise ConfigError(f"Output {out} has extension {suffix!r}; use .parquet or .jsonl.")


def print_evaluation(ev: Evaluation, console: Console, title: str) -> None:
    table = Table(title=title)
    for col in ("category", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for s in ev.scores:
        table.add_row(
            s.category, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)
        )
    console.print(table)
    console.print(
        f"macro-F1 over {len(ev.macro_over)} categories: [bold]{ev.macro_f1:.3f}[/bold]   accuracy: {ev.accuracy:.3f}"
    )
    codes = [c.replace(" ", "").replace("&", "")[:4] for c in ev.labels]
    width = max(4, *(len(str(v)) for row in ev.confusion for v in row))
    lines = [
        "confusion matrix (rows: true, columns: predicted)",
        " " * 18 + " ".join(f"{c:>{width}}" for c in codes),
    ]
    for label, row in zip(ev.labels, ev.confusion, strict=True):
        lines.append(
            f"{label[:17]:17} " + " ".join(f"{(str(v) if v else '.'):>{width}}" for v in row)
        )
    console.print("\n".join(lines), highlight=False, soft_wrap=True)
    console.print(f"{ev.n} prompts in {ev.seconds:.3f} s: {ev.prompts_per_s:,.0f} prompts/s")


def classify_command(
    input: Annotated[
        Path | None,
        typer.Argument(help="Prompts: JSONL, CSV or Parquet with an id and a text column."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output .parquet or .jsonl: labels, language, sampled; no text."
        ),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column holding the prompt text.")] = "prompt",
    id_column: Annotated[str, typer.Option(help="Column holding the event id.")] = "id",
    rate: Annotated[
        float, typer.Option(help="Share of prompts to classify, by a hash of the id (1 = all).")
    ] = DEFAULT_RATE,
    salt: Annotated[
        str, typer.Option(help="Salt of the sampling hash; same salt, same sample.")
    ] = DEFAULT_SALT,
    backend: Annotated[str, typer.Option(help=f"Classifier: {', '.join(BACKENDS)}.")] = "offline",
    labels: Annotated[
        Path | None, typer.Option(help="For --backend labels: your classifier's labels file.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="For --backend offline: a fastText model instead of the shipped one."),
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Keep labels with at least this confidence.")
    ] = 0.5,
    evaluate: Annotated[
        Path | None,
        typer.Option(
            "--evaluate",
            help="Labelled JSONL (text, category): print precision/recall/F1, confusion matrix, prompts/s.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="For --backend google: print units and cost, send nothing."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="For --backend google: do not ask before sending.")
    ] = False,
) -> None:
    """Label prompts with content categories (a sample) and languages (all), offline by default.

    The prompt text is dropped from the output. With --evaluate, measure the backend instead.
    """
    console = Console(stderr=True)
    try:
        _run(
            console,
            input,
            out,
            text_column,
            id_column,
            rate,
            salt,
            backend,
            labels,
            model,
            threshold,
            evaluate,
            dry_run,
            yes,
        )
    except TokencensusError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


def _backend_options(backend: str, labels: Path | None, model: Path | None) -> dict:
    if backend == "labels":
        if labels is None:
            raise ConfigError("--backend labels needs --labels FILE (id, path, confidence rows).")
        return {"path": labels}
    if labels is not None:
        raise ConfigError(
            f"--labels is only used with --backend labels; the backend is {backend!r}."
        )
    if model is not None:
        if backend != "offline":
            raise ConfigError(
                f"--model is only used with --backend offline; the backend is {backend!r}."
            )
        return {"model_path": model}
    return {}


def _run(
    console,
    input,
    out,
    text_column,
    id_column,
    rate,
    salt,
    backend,
    labels,
    model,
    threshold,
    evaluate,
    dry_run,
    yes,
):
    check_rate(rate)
    if backend not in BACKENDS:
        get_backend(backend)  # raises the "Unknown backend ... Did you mean" error
    options = _backend_options(backend, labels, model)
    if evaluate is not None:
        rows = read_labeled(evaluate)
        if backend == "google" and dry_run:
            from tokencensus.enrich.classify.backends.google import estimate_cost

            console.print(str(estimate_cost([r["text"] for r in rows])))
            return
        clf = get_backend(backend, **options)
        ev = evaluate_backend(clf.classify, rows, threshold=threshold)
        print_evaluation(ev, Console(), f"{backend} backend on {evaluate.name}")
        return
    if input is None:
        raise ConfigError("Pass an INPUT file to classify, or --evaluate LABELED.jsonl.")
    table, issues = read_prompts(input, text_column, id_column)
    if backend == "google":
        from tokencensus.enrich.classify.backends.google import estimate_cost

        mask = sample_mask(table.column(id_column).to_pylist(), rate, salt)
        texts = [
            t
            for t, m in zip(table.column(text_column).to_pylist(), mask, strict=False)
            if m and isinstance(t, str) and t.strip()
        ]
        console.print(str(estimate_cost(texts)))
        if dry_run:
            return
        if not yes and not typer.confirm("Send these prompts to Google classifyText?", err=True):
            raise typer.Exit(1)
    elif dry_run:
        raise ConfigError("--dry-run estimates Google costs; use it with --backend google.")
    if out is None:
        raise ConfigError("Pass --out FILE.parquet (or .jsonl) for the labelled events.")
    clf = get_backend(backend, **options)
    parts = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("classifying", total=table.num_rows)
        for start in range(0, table.num_rows, CHUNK):
            chunk = table.slice(start, CHUNK)
            found: list[RowIssue] = []
            parts.append(
                classify_events(
                    chunk,
                    text_column,
                    rate=rate,
                    backend=clf,
                    salt=salt,
                    threshold=threshold,
                    id_column=id_column,
                    issues=found,
                )
            )
            issues.extend(RowIssue(x.row + start, x.field, x.problem) for x in found)
            bar.advance(task, chunk.num_rows)
    result = pa.concat_tables(parts) if parts else table.drop_columns([text_column])
    write_events(result, out)
    sampled = sum(1 for v in result.column("sampled").to_pylist() if v)
    console.print(f"wrote {result.num_rows:,} events to {out} ({sampled:,} sampled and labelled)")
    if issues:
        console.print(f"[yellow]{len(issues)} row(s) could not be used fully:[/yellow]")
        for x in sorted(issues, key=lambda i: i.row)[:20]:
            console.print(f"  data row {x.row + 1}: field '{x.field}' {x.problem}")
        if len(issues) > 20:
            console.print(f"  ... and {len(issues) - 20} more")
