"""The classification stage: languages for every prompt, labels for a sample, text dropped.

:func:`classify_events` takes an Arrow table with an ``id`` column and a prompt-text column
and returns it with the canonical ``prompt_language``, ``categories`` and ``sampled`` columns
(see :mod:`tokencensus.schema`) and **without** the text:

* ``prompt_language`` -- detected for every row that has text (:mod:`tokencensus.enrich.language`).
* ``sampled`` -- true for rows in the deterministic id-hash sample (:mod:`.sampling`) that have
  text; the backend labels only those, from the first 1,000 characters.
* ``categories`` -- for sampled rows, the labels with confidence >= the threshold (0.5),
  most confident first, an ancestor path dropped when a descendant is kept; an empty list
  when no label reaches the threshold.  Null for rows not sampled.

Rows with a missing id, a non-string text or an empty text are not crashes: they are
reported as :class:`RowIssue` (row number and field) in the ``issues`` list you pass, and
get no language and ``sampled = false``; ``on_bad_row="raise"`` turns them into an InputError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from tokencensus.enrich.classify.backends.base import Backend, ClassifierError, Labels, get_backend
from tokencensus.enrich.classify.sampling import DEFAULT_RATE, DEFAULT_SALT, check_rate, in_sample
from tokencensus.errors import ConfigError, InputError
from tokencensus.schema import CATEGORY_LABEL_TYPE

__all__ = ["MAX_CHARS", "RowIssue", "classify_events", "keep_labels"]

MAX_CHARS = 1000
BATCH = 2000


@dataclass(frozen=True)
class RowIssue:
    """A row the stage could not use fully."""

    row: int  # 0-based position in the input table
    field: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}: field '{self.field}' {self.problem}"


def keep_labels(labels: Labels, threshold: float = 0.5) -> Labels:
    """Labels at or above the threshold, most confident first, without redundant ancestors."""
    kept = [(p, float(c)) for p, c in labels if c is not None and c >= threshold]
    paths = {p for p, _ in kept}
    out = [(p, c) for p, c in kept if not any(q != p and q.startswith(p + "/") for q in paths)]
    out.sort(key=lambda pc: (-pc[1], pc[0]))
    return out


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def classify_events(
    table: pa.Table,
    text_column: str = "prompt",
    *,
    rate: float = DEFAULT_RATE,
    backend: str | Backend = "offline",
    salt: str = DEFAULT_SALT,
    threshold: float = 0.5,
    detect_language: bool = True,
    id_column: str = "id",
    issues: list[RowIssue] | None = None,
    on_bad_row: str = "skip",
    progress: Callable[[int, int], None] | None = None,
    backend_options: dict | None = None,
) -> pa.Table:
    """Add prompt_language, categories and sampled; drop the text column.  See the module doc."""
    if on_bad_row not in ("skip", "raise"):
        raise ConfigError(f"on_bad_row must be 'skip' or 'raise'; saw {on_bad_row!r}.")
    if not 0 < threshold <= 1:
        raise ConfigError(f"threshold must be in (0, 1]; saw {threshold!r}. The paper uses 0.5.")
    rate = check_rate(rate)
    for col in (id_column, text_column):
        if col not in table.column_names:
            raise InputError(
                f"The table has no column {col!r} (columns: {', '.join(table.column_names)}). "
                f"Name the prompt-text column with text_column= / --text-column."
            )
    ids = table.column(id_column).to_pylist()
    texts = table.column(text_column).to_pylist()
    found: list[RowIssue] = []
    usable: list[str | None] = []
    for i, (event_id, text) in enumerate(zip(ids, texts, strict=False)):
        if not isinstance(event_id, str) or not event_id:
            found.append(
                RowIssue(
                    i,
                    id_column,
                    f"is missing or not a string (saw {_describe(event_id)}); row not sampled",
                )
            )
        if text is None:
            usable.append(None)  # no prompt recorded: nothing to detect, nothing to report
        elif not isinstance(text, str):
            found.append(
                RowIssue(
                    i, text_column, f"is not a string (saw {type(text).__name__} {_describe(text)})"
                )
            )
            usable.append(None)
        elif not text.strip():
            found.append(RowIssue(i, text_column, "is empty"))
            usable.append(None)
        else:
            usable.append(text)
    if found and on_bad_row == "raise":
        shown = "; ".join(str(x) for x in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise InputError(
            f"{len(found)} bad row(s): {shown}{more}. Fix them, or pass on_bad_row='skip'."
        )
    if issues is not None:
        issues.extend(found)

    n = len(texts)
    sampled = [
        t is not None and isinstance(i, str) and bool(i) and in_sample(i, rate, salt)
        for i, t in zip(ids, usable, strict=False)
    ]
    languages: list[str | None] = [None] * n
    if detect_language:
        from tokencensus.enrich.language import detect_languages

        languages = detect_languages(usable)
    categories: list[Labels | None] = [None] * n
    todo = [i for i in range(n) if sampled[i]]
    if todo:
        clf = get_backend(backend, **(backend_options or {}))
        done = 0
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            batch_texts = [usable[i][:MAX_CHARS] for i in chunk]  # type: ignore[index]
            results = clf.classify(batch_texts, [ids[i] for i in chunk])
            if len(results) != len(chunk):
                raise ClassifierError(
                    f"Backend {clf.name!r} returned {len(results)} label lists for {len(chunk)} "
                    "prompts; a backend must return one list per prompt."
                )
            for i, labels in zip(chunk, results, strict=False):
                categories[i] = keep_labels(labels, threshold)
            done += len(chunk)
            if progress is not None:
                progress(done, len(todo))
    elif progress is not None:
        progress(0, 0)

    out = table.drop_columns([text_column])
    new = {
        "prompt_language": pa.array(languages, pa.string()),
        "categories": pa.array(
            [
                None if c is None else [{"path": p, "confidence": v} for p, v in c]
                for c in categories
            ],
            pa.list_(CATEGORY_LABEL_TYPE),
        ),
        "sampled": pa.array(sampled, pa.bool_()),
    }
    for name, arr in new.items():
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, arr)
        else:
            out = out.append_column(name, arr)
    return out


def label_texts(
    texts: Sequence[str], backend: str | Backend = "offline", threshold: float = 0.5
) -> list[Labels]:
    """Labels for raw texts (no sampling), e.g. for a quick look or an evaluation."""
    clf = get_backend(backend)
    ids = [str(i) for i in range(len(texts))]
    return [
        keep_labels(lab, threshold) for lab in clf.classify([t[:MAX_CHARS] for t in texts], ids)
    ]
