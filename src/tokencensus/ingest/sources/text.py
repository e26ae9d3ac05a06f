"""Prompt text: the one place ingest hands it to enrichment, and then drops it.

Adapters put the prompt (the first user message, at most 1,000 characters) in the
``_prompt_text`` column when their source recorded one; :func:`enrich_prompt_text`
calls the classification stage (:func:`tokencensus.enrich.classify.stage.classify_events`):
every row with text gets a detected ``prompt_language``, a deterministic id-hash sample
(``rate``) gets classifier ``categories`` and ``sampled = true`` -- and the text column
is gone from the table it returns.  Nothing downstream of this function ever sees text.

A language the source recorded itself (``_language_hint``, e.g. WildChat's ``language``)
fills ``prompt_language`` where detection found none.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.ingest.sources.base import LANGUAGE_HINT, PROMPT_TEXT, language_code

__all__ = ["enrich_prompt_text"]


def enrich_prompt_text(table: pa.Table, *, rate: float, backend: str = "offline") -> pa.Table:
    """Language, sampled classification and text removal (see the module docstring).

    ``rate`` 0 detects languages only (no classification, ``sampled`` false).
    """
    hint = None
    if LANGUAGE_HINT in table.column_names:
        values = table.column(LANGUAGE_HINT).to_pylist()
        cache: dict[object, str | None] = {}
        hint = pa.array(
            [cache.setdefault(v, language_code(v)) if v is not None else None for v in values],
            pa.string(),
        )
        table = table.drop_columns([LANGUAGE_HINT])
    if PROMPT_TEXT in table.column_names:
        texts = table.column(PROMPT_TEXT)
        if texts.null_count == len(texts):
            table = table.drop_columns([PROMPT_TEXT])
        elif rate > 0:
            from tokencensus.enrich.classify.stage import classify_events

            table = classify_events(table, text_column=PROMPT_TEXT, rate=rate, backend=backend)
        else:
            from tokencensus.enrich.language import detect_languages

            detected = pa.array(detect_languages(texts.to_pylist()), pa.string())
            table = _set(table.drop_columns([PROMPT_TEXT]), "prompt_language", detected)
    if hint is not None:
        current = (
            table.column("prompt_language")
            if "prompt_language" in table.column_names
            else pa.nulls(table.num_rows, pa.string())
        )
        table = _set(table, "prompt_language", pc.coalesce(current, hint))
    return table


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
