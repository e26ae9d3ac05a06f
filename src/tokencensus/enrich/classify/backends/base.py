"""The interface every classification backend implements, and the backend registry.

A backend turns prompt texts (already cut to the first 1,000 characters) into, for each
prompt, a list of ``(content path, confidence)`` pairs.  It may return labels below the
threshold; the classification stage drops them.  Backends are looked up by name in
:data:`BACKENDS` and imported lazily, so an optional client library is imported only by the
module of the backend that needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from tokencensus.errors import ConfigError, TokencensusError, did_you_mean

__all__ = ["BACKENDS", "Backend", "ClassifierError", "Labels", "get_backend"]

Labels = list[tuple[str, float]]


class ClassifierError(TokencensusError):
    """A classification backend failed (service error after retries, bad labels file)."""


@runtime_checkable
class Backend(Protocol):
    name: str

    def classify(self, texts: Sequence[str], ids: Sequence[str]) -> list[Labels]:
        """One label list per text, parallel to ``texts``."""
        ...


#: name -> "module:class" (imported on first use).
BACKENDS: dict[str, str] = {
    "offline": "tokencensus.enrich.classify.backends.offline:OfflineBackend",
    "google": "tokencensus.enrich.classify.backends.google:GoogleBackend",
    "labels": "tokencensus.enrich.classify.backends.labels_file:LabelsFileBackend",
}


def get_backend(backend: str | Backend = "offline", **options) -> Backend:
    """A backend instance: pass one through, or build one by name with ``options``."""
    if not isinstance(backend, str):
        if not isinstance(backend, Backend):
            raise ConfigError(
                f"Backend {backend!r} has no classify(texts, ids) method and name; pass a "
                f"backend name ({', '.join(BACKENDS)}) or an object with both."
            )
        return backend
    target = BACKENDS.get(backend)
    if target is None:
        raise ConfigError(
            f"Unknown classifier backend {backend!r}; use one of {', '.join(BACKENDS)}."
            f"{did_you_mean(backend, BACKENDS)}"
        )
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(**options)
