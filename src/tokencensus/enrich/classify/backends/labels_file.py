"""Bring your own classifier: labels read from a file, looked up by event id.

Accepted layouts (JSONL, CSV or Parquet, by file extension):

* long: one row per label, columns ``id``, ``path``, ``confidence``;
* nested (JSONL / Parquet): one row per event, ``id`` and ``categories`` =
  ``[{"path": ..., "confidence": ...}, ...]`` (the canonical column's shape).

An event whose id is not in the file gets no labels (an empty list).  Paths are checked
(they start with '/'); confidences must be numbers in [0, 1].
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tokencensus.enrich.classify.backends.base import ClassifierError, Labels
from tokencensus.enrich.classify.taxonomy import validate_path
from tokencensus.errors import ConfigError, InputError

__all__ = ["LabelsFileBackend", "read_labels_file"]


def _rows(path: Path) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = []
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(
                            f"Labels file {path}, line {n}: not JSON ({exc.msg}). Fix the line."
                        ) from None
        return rows
    if suffix in (".csv", ".parquet"):
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        table = pacsv.read_csv(path) if suffix == ".csv" else pq.read_table(path)
        return table.to_pylist()
    raise InputError(f"Labels file {path} has extension {suffix!r}; use .jsonl, .csv or .parquet.")


def read_labels_file(path: str | Path) -> dict[str, Labels]:
    """id -> [(path, confidence)] from a labels file; every bad row names its line and field."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"Labels file {p} does not exist. Pass the file your classifier wrote.")
    out: dict[str, Labels] = {}
    for n, row in enumerate(_rows(p), start=1):
        where = f"Labels file {p}, row {n}"
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected an object, saw {type(row).__name__}.")
        event_id = row.get("id")
        if event_id is None or event_id == "":
            raise InputError(f"{where}: field 'id' is missing. Every row needs the event id.")
        if "categories" in row:
            pairs = row["categories"] or []
            if not isinstance(pairs, list):
                raise InputError(
                    f"{where}: field 'categories' must be a list of {{path, confidence}}."
                )
            items = [
                (c.get("path"), c.get("confidence")) if isinstance(c, dict) else (c, None)
                for c in pairs
            ]
        elif "path" in row:
            items = [(row.get("path"), row.get("confidence"))]
        else:
            raise InputError(
                f"{where}: needs 'path' and 'confidence', or 'categories'; saw {sorted(row)}."
            )
        labels = out.setdefault(str(event_id), [])
        for label_path, conf in items:
            try:
                checked_path = validate_path(label_path)
            except ConfigError as exc:
                raise InputError(f"{where}: field 'path': {exc}") from None
            if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 <= conf <= 1:
                raise InputError(
                    f"{where}: field 'confidence' must be a number in [0, 1]; saw {conf!r}."
                )
            labels.append((checked_path, float(conf)))
    return out


class LabelsFileBackend:
    """Labels from a file your own classifier wrote."""

    name = "labels"

    def __init__(
        self, path: str | Path | None = None, *, labels: dict[str, Labels] | None = None
    ) -> None:
        if labels is None:
            if path is None:
                raise ConfigError(
                    "The 'labels' backend needs a labels file: pass path= / --labels FILE."
                )
            labels = read_labels_file(path)
        self.labels = labels

    def ids(self) -> set[str]:
        return set(self.labels)

    def classify(self, texts: Sequence[str], ids: Sequence[str]) -> list[Labels]:
        if len(texts) != len(ids):
            raise ClassifierError(f"classify got {len(texts)} texts but {len(ids)} ids.")
        return [list(self.labels.get(i, [])) for i in ids]
