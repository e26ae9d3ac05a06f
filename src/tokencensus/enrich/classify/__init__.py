"""Prompt categories (a classifier over a sample) and prompt languages (every prompt), offline.

Public API:

* :func:`classify_events` -- the stage ingest calls: adds ``prompt_language``, ``categories``
  and ``sampled`` to an Arrow table of events and drops the prompt text.
* :func:`rollup_labels` -- one event's labels -> weighted (path, tag, category) rows, with
  the multi-label rule documented in :mod:`.taxonomy`.
* :func:`load_mapping`, :func:`load_taxonomy` -- the editable data files.
* :func:`get_backend` and :data:`BACKENDS` -- ``offline`` (default, a fastText model shipped
  in tokencensus), ``google`` (classifyText, extra ``[google]``), ``labels`` (your own
  classifier's output file).
* :func:`estimate_cost` -- units and price of a Google run, before sending anything.
"""

from tokencensus.enrich.classify.backends.base import (
    BACKENDS,
    Backend,
    ClassifierError,
    get_backend,
)
from tokencensus.enrich.classify.sampling import DEFAULT_RATE, DEFAULT_SALT, in_sample, sample_mask
from tokencensus.enrich.classify.stage import RowIssue, classify_events, keep_labels, label_texts
from tokencensus.enrich.classify.taxonomy import (
    CATEGORIES,
    OTHERS,
    STUDY_CATEGORIES,
    LabelRow,
    Mapping,
    load_mapping,
    load_taxonomy,
    rollup_labels,
)


def estimate_cost(texts, **options):
    """Google classifyText units and price for ``texts`` (see backends.google.estimate_cost)."""
    from tokencensus.enrich.classify.backends.google import estimate_cost as _estimate

    return _estimate(texts, **options)


__all__ = [
    "BACKENDS",
    "CATEGORIES",
    "DEFAULT_RATE",
    "DEFAULT_SALT",
    "OTHERS",
    "STUDY_CATEGORIES",
    "Backend",
    "ClassifierError",
    "LabelRow",
    "Mapping",
    "RowIssue",
    "classify_events",
    "estimate_cost",
    "get_backend",
    "in_sample",
    "keep_labels",
    "label_texts",
    "load_mapping",
    "load_taxonomy",
    "rollup_labels",
    "sample_mask",
]
