"""Trusted stores and the per-week rollup cache.

A **trusted store** is a folder holding ``tokencensus-store.json`` (written by
``tokencensus ingest`` or ``tokencensus simulate``): its rows were validated and
deduplicated by id when they were written, so the study reads its week files
directly, with no validation, staging copy or dedup.  Files whose Parquet schema is
not the canonical one, or whose ``created_at`` statistics leave their week folder's
week, make the store untrusted (the study then validates it).

The **rollup cache** (``OUT/rollup-cache/``) keeps each week's pass outputs (see
:data:`tokencensus.rollup.PASS_OUTPUTS`) as Parquet, keyed by the week's *key*: a
fingerprint of its event files (relative path, size, modification time) and the part
of the study window that falls in the week.  ``--incremental`` reuses every week
whose key is unchanged and recomputes the others.  Only ``--incremental`` runs write
it (and engines that read their pass outputs back from it, Spark); a plain DuckDB run
neither reads nor writes it, and leaves an existing one as it is::

    rollup-cache/index.json                  {"version", "weeks": {week: {"key", "dir"}}}
    rollup-cache/<gen>/<pass>/<output>/_week=<week>/*.parquet

Each run writes a new generation folder; ``index.json`` is replaced atomically once
the generation is complete, then generations no week refers to are deleted.  A crash
leaves the previous index valid.

On an engine that keeps rollups (DuckDB), an ``--incremental`` run also keeps the
rollups themselves in ``rollup-cache/rollups.duckdb`` with a record of the week keys
they were built from and a fingerprint (:func:`rollups_fingerprint`: rollup code,
catalog, label mapping).  The next incremental run updates them (see
:class:`tokencensus.rollup.ByWeek` and :class:`~tokencensus.rollup.Sums`): new weeks are
added, a changed or removed week has its rows replaced and its old sums subtracted (its
old pass outputs are read before the commit drops them), and the record is rewritten in
the same transaction.  Another fingerprint, or a changed week whose old outputs are no
longer cached, rebuilds them from the cached grain.  Runs without ``--incremental`` leave
the file alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tokencensus.analyses.registry import StudyConfig
from tokencensus.catalog import Catalog
from tokencensus.rollup import window_clip
from tokencensus.schema import EVENT_SCHEMA

__all__ = [
    "CACHE_DIR",
    "RollupCache",
    "StoreWeeks",
    "plan_batches",
    "rollups_fingerprint",
    "trusted_store",
    "week_key",
]

CACHE_DIR = "rollup-cache"
CACHE_VERSION = 1
#: The column a cache folder is partitioned by (a copy of ``week`` as text).
PARTITION = "_week"


@dataclass(frozen=True)
class StoreWeeks:
    """A trusted store's committed event files, by week."""

    root: Path
    files: dict[date, list[Path]]
    rows: dict[date, int]
    generator: str

    @property
    def events(self) -> int:
        return sum(self.rows.values())

    def paths(self, weeks: Sequence[date] | None = None) -> list[Path]:
        return [
            p for w in (weeks if weeks is not None else sorted(self.files)) for p in self.files[w]
        ]


def _store_root(spec: str | Path) -> Path | None:
    from tokencensus.store import is_store

    path = Path(spec)
    if is_store(path):
        return path
    if path.name == "events" and is_store(
        path.parent
    ):  # 'study STORE/events' as printed by simulate
        return path.parent
    return None


def trusted_store(inputs: Sequence[str | Path]) -> tuple[StoreWeeks | None, str]:
    """The store to read directly, or None and the reason the inputs need validation."""
    if len(inputs) != 1:
        return None, "several inputs (ids are deduplicated across them)"
    root = _store_root(inputs[0])
    if root is None:
        return None, "not a tokencensus store"
    from tokencensus.store import Store

    store = Store.open(root)
    paths = store.files("events")
    if not paths:
        return None, "the store holds no event files"
    files: dict[date, list[Path]] = {}
    rows: dict[date, int] = {}
    for p in paths:
        meta = pq.read_metadata(p)
        schema = meta.schema.to_arrow_schema()
        if not schema.equals(EVENT_SCHEMA.remove_metadata(), check_metadata=False):
            return None, f"{p} does not have the canonical event schema"
        week = date.fromisoformat(p.parent.name.removeprefix("week="))
        outside = _outside_week(meta, schema.get_field_index("created_at"), week)
        if outside:
            return None, f"{p} {outside} ({week})"
        files.setdefault(week, []).append(p)
        rows[week] = rows.get(week, 0) + meta.num_rows
    generator = str(store.meta.get("generator", "tokencensus ingest"))
    return StoreWeeks(root=root, files=files, rows=rows, generator=generator), ""


def _outside_week(meta: pq.FileMetaData, column: int, week: date) -> str:
    """Why a file's rows may lie outside ``week`` ('' when every row group's ``created_at``
    statistics lie inside it): a pass over one week folder takes that week as a constant
    (``events_grain``)."""
    first = datetime.combine(week, time.min)
    end = first + timedelta(days=7)
    for i in range(meta.num_row_groups):
        if meta.row_group(i).num_rows == 0:
            continue
        stats = meta.row_group(i).column(column).statistics
        if stats is None or not stats.has_min_max:
            return f"has no created_at statistics in row group {i} to check its week folder"
        if stats.min < first or stats.max >= end:
            return (
                f"holds events outside its week folder (row group {i}: {stats.min} to {stats.max})"
            )
    return ""


def week_key(store: StoreWeeks, week: date, config: StudyConfig) -> str:
    """What a week's pass outputs depend on: its files and the window inside it."""
    digest = hashlib.sha256()
    for p in store.files[week]:
        st = p.stat()
        digest.update(f"{p.relative_to(store.root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return f"{digest.hexdigest()[:24]}|{window_clip(week, config)}"


def rollups_fingerprint(catalog: Catalog, config: StudyConfig) -> str:
    """What kept rollups depend on besides their weeks' files and window: the rollup code,
    the catalog (model attributes), the countries' continents and the label mapping and
    threshold (``sampled_labels``).  Kept rollups with another fingerprint are rebuilt."""
    from tokencensus import __version__, rollup
    from tokencensus.enrich.classify.taxonomy import mapping_text
    from tokencensus.enrich.reference import country_continents

    digest = hashlib.sha256()
    for part in (
        f"{CACHE_VERSION}|{__version__}",
        Path(rollup.__file__).read_text(encoding="utf-8"),
        catalog.models.to_csv(index=False),
        repr(sorted(country_continents().items())),
        repr(config.label_threshold),
        mapping_text(config.label_mapping),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def plan_batches(
    weeks: Sequence[date], rows: dict[date, int], batch_events: int | None
) -> list[list[date]]:
    """Consecutive weeks grouped into passes of at most ``batch_events`` events (a week
    larger than that is a pass of its own)."""
    if batch_events is None:
        return [list(weeks)] if weeks else []
    batches: list[list[date]] = []
    current: list[date] = []
    size = 0
    for w in sorted(weeks):
        if current and size + rows[w] > batch_events:
            batches.append(current)
            current, size = [], 0
        current.append(w)
        size += rows[w]
    if current:
        batches.append(current)
    return batches


class RollupCache:
    """The per-week cache of pass outputs in ``folder`` (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index = self._read_index()
        self.gen = f"g{uuid.uuid4().hex[:12]}"
        self.new: dict[str, dict[str, str]] = {}

    def _read_index(self) -> dict[str, Any]:
        try:
            index = json.loads((self.folder / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"version": CACHE_VERSION, "weeks": {}}
        if index.get("version") != CACHE_VERSION or not isinstance(index.get("weeks"), dict):
            return {"version": CACHE_VERSION, "weeks": {}}
        return index

    def reusable(self, keys: dict[date, str]) -> set[date]:
        """Weeks whose cached outputs were computed from the same files and window."""
        weeks = self.index["weeks"]
        return {
            w
            for w, key in keys.items()
            if weeks.get(str(w), {}).get("key") == key
            and (self.folder / weeks[str(w)]["dir"]).is_dir()
        }

    def batch_folder(self, n: int) -> Path:
        """Where this run writes the outputs of its ``n``-th pass."""
        return self.folder / self.gen / f"pass-{n:04d}"

    def record(self, weeks: Sequence[date], keys: dict[date, str], folder: Path) -> None:
        rel = folder.relative_to(self.folder).as_posix()
        for w in weeks:
            self.new[str(w)] = {"key": keys[w], "dir": rel}

    def holds(self, week: date, key: str) -> bool:
        """Whether the index this run started from has ``week``'s outputs for ``key``."""
        entry = self.index["weeks"].get(str(week), {})
        return entry.get("key") == key and (self.folder / entry["dir"]).is_dir()

    def files(self, output: str, weeks: Sequence[date], *, previous: bool = False) -> list[Path]:
        """Cached Parquet files of ``output`` for ``weeks`` (new or reused; ``previous``:
        those of the index this run started from, until :meth:`commit` drops them)."""
        out: list[Path] = []
        for w in sorted(weeks):
            entry = (None if previous else self.new.get(str(w))) or self.index["weeks"][str(w)]
            part = self.folder / entry["dir"] / output / f"{PARTITION}={w}"
            out.extend(sorted(part.glob("*.parquet")))
        return out

    def commit(self, keys: dict[date, str]) -> None:
        """Publish the index for exactly ``keys``' weeks, then drop unreferenced generations."""
        weeks = {str(w): self.new.get(str(w)) or self.index["weeks"][str(w)] for w in sorted(keys)}
        index = {"version": CACHE_VERSION, "weeks": weeks}
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".index.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.folder / "index.json")
        self.index = index
        live = {e["dir"].split("/")[0] for e in weeks.values()}
        for child in self.folder.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name not in live:
                shutil.rmtree(child, ignore_errors=True)
