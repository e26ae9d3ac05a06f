"""Classification backends: one module per backend, all with ``classify(texts, ids)``."""

from tokencensus.enrich.classify.backends.base import (
    BACKENDS,
    Backend,
    ClassifierError,
    Labels,
    get_backend,
)

__all__ = ["BACKENDS", "Backend", "ClassifierError", "Labels", "get_backend"]
