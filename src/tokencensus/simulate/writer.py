"""The event store on disk: Parquet partitioned by ISO week, the accounts table, a manifest.

Layout (what ``tokencensus study DIR/events`` reads)::

    DIR/events/week=YYYY-MM-DD/part-00000.parquet   canonical events (zstd), Monday's date
    DIR/accounts.parquet                            the accounts the simulation used
    DIR/tokencensus-store.json                      format, version, generator, seed, events

Each week file holds exactly the columns of :data:`tokencensus.schema.EVENT_SCHEMA`, one row
group per generated chunk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tokencensus.errors import ConfigError
from tokencensus.schema import EVENT_SCHEMA, sample_row_groups

__all__ = [
    "ACCOUNTS_FILE",
    "EVENTS_DIR",
    "STORE_FILE",
    "WeekWriter",
    "prepare_store",
    "write_accounts",
    "write_manifest",
]

EVENTS_DIR = "events"
ACCOUNTS_FILE = "accounts.parquet"
STORE_FILE = "tokencensus-store.json"
#: String columns with few distinct values: dictionary-encoded in the file.
_DICTIONARY = [
    "user_id",
    "model",
    "finish_reason",
    "native_finish_reason",
    "tools_provided",
    "streamed",
    "cancelled",
    "is_byok",
    "provider",
    "app_id",
    "billing_country",
    "prompt_language",
    "sampled",
    "categories",
]


def prepare_store(out: Path, overwrite: bool) -> None:
    """Create ``out``; refuse to mix with an earlier store unless ``overwrite``."""
    existing = [p for p in (out / EVENTS_DIR, out / ACCOUNTS_FILE, out / STORE_FILE) if p.exists()]
    if existing and not overwrite:
        raise ConfigError(
            f"{out} already holds a simulated store ({', '.join(p.name for p in existing)}). "
            "Pass --overwrite to replace it, or choose another --out."
        )
    for p in existing:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    (out / EVENTS_DIR).mkdir(parents=True, exist_ok=True)


class WeekWriter:
    """Writes one week's chunks into ``events/week=<monday>/part-00000.parquet``."""

    def __init__(self, out: Path, monday: str) -> None:
        folder = out / EVENTS_DIR / f"week={monday}"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "part-00000.parquet"
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.path,
                EVENT_SCHEMA,
                compression="zstd",
                use_dictionary=_DICTIONARY,
            )
        for part in sample_row_groups(table):  # the classified sample in its own
            self._writer.write_table(part, row_group_size=part.num_rows)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def write_accounts(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path, compression="zstd")


def write_manifest(out: Path, info: dict[str, Any]) -> None:
    body = {"format": "tokencensus-events", "version": 1, "generator": "tokencensus simulate"}
    body.update(info)
    (out / STORE_FILE).write_text(json.dumps(body, indent=2, default=_json) + "\n", "utf-8")


def _json(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
