"""``simulate()``: accounts -> market plan -> events, streamed to a partitioned Parquet store."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from tokencensus import __version__
from tokencensus.catalog import Catalog, load_catalog
from tokencensus.errors import ConfigError
from tokencensus.simulate.accounts import Accounts, draw_accounts
from tokencensus.simulate.generate import Generator, weekly_counts
from tokencensus.simulate.market import Plan, plan_market
from tokencensus.simulate.models import WeekGrid, build_roster
from tokencensus.simulate.platform import Platform, load_platform
from tokencensus.simulate.workloads import LabelTables, WorkloadTables
from tokencensus.simulate.writer import (
    ACCOUNTS_FILE,
    EVENTS_DIR,
    WeekWriter,
    prepare_store,
    write_accounts,
    write_manifest,
)

__all__ = ["SimulationResult", "build_generator", "simulate"]

#: Largest seed: seeds are mixed into 64-bit ids above bit 40.
MAX_SEED = 2**23 - 1


class Reporter(Protocol):
    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class SimulationResult:
    out_dir: Path
    events_dir: Path
    events: int
    accounts: int
    weeks: int
    seconds: float
    manifest: dict[str, Any]


def _resolve_dates(platform: Platform, start: date | None, end: date | None) -> tuple[date, date]:
    sim = platform.simulation
    s = start or date.fromisoformat(str(sim["start"]))
    e = end or date.fromisoformat(str(sim["end"]))
    if e < s:
        raise ConfigError(f"--end {e} is before --start {s}; give an end on or after the start.")
    return s, e


def account_count(platform: Platform, events: int) -> int:
    """Accounts for a run of ``events``: events / events_per_account, clipped."""
    sim = platform.simulation
    n = round(events / float(sim["events_per_account"]))
    return int(min(max(n, int(sim["min_accounts"])), int(sim["max_accounts"])))


def build_generator(
    events: int,
    *,
    seed: int = 0,
    start: date | None = None,
    end: date | None = None,
    platform: Platform | None = None,
    catalog: Catalog | None = None,
    sample_rate: float | None = None,
) -> tuple[Generator, np.ndarray]:
    """The generator of a run and its events per week (nothing written yet)."""
    if events < 1:
        raise ConfigError(f"--events must be at least 1, got {events}.")
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"--seed must be between 0 and {MAX_SEED}, got {seed}.")
    platform = platform or load_platform()
    catalog = catalog or load_catalog()
    s, e = _resolve_dates(platform, start, end)
    sim = platform.simulation
    rate = float(sim["sample_rate"]) if sample_rate is None else sample_rate
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(f"--sample-rate must be between 0 and 1, got {rate}.")
    grid = WeekGrid.of(s, e)
    accounts = draw_accounts(platform, grid, account_count(platform, events), seed)
    names = list(platform.workloads)
    roster = build_roster(platform, catalog, grid, names)
    plan = plan_market(platform, roster, accounts, grid, seed)
    counts = weekly_counts(plan.weekly_requests, events)
    gen = Generator(
        platform=platform,
        grid=grid,
        roster=roster,
        accounts=accounts,
        plan=plan,
        workloads=WorkloadTables.of(platform, grid),
        labels=LabelTables.of(platform, names),
        seed=seed,
        sample_rate=rate,
        categories_from=date.fromisoformat(str(sim["categories_from"])),
        tools_provided_from=date.fromisoformat(str(sim["tools_provided_from"])),
        chunk_events=int(sim["chunk_events"]),
    )
    return gen, counts


def accounts_table(gen: Generator) -> pa.Table:
    """The accounts a run used (one row per account)."""
    a: Accounts = gen.accounts
    plan: Plan = gen.plan
    grid = gen.grid
    names = list(gen.platform.workloads)
    last = np.minimum(a.exit, len(grid)) - 1
    locked = [
        "|".join(sorted({gen.roster.slugs[m] for m in plan.locked_models.get(i, [])})) or None
        for i in range(len(a))
    ]
    return pa.table(
        {
            "user_id": a.user_ids,
            "first_week": pa.array(grid.mondays[np.minimum(a.arrival, len(grid) - 1)]),
            "last_week": pa.array(grid.mondays[np.maximum(last, 0)]),
            "workload": pa.array([names[k] for k in a.workload]),
            "agent": pa.array(a.agent),
            "billing_country": pa.array([a.countries[c] for c in a.country]),
            "continent": pa.array([a.continents[c] for c in a.country]),
            "language": pa.array([a.languages[x] for x in a.language]),
            "byok": pa.array(a.byok),
            "app_id": pa.array([a.apps[x] if x >= 0 else None for x in a.app], pa.string()),
            "median_requests_per_week": pa.array(np.round(a.rate, 3)),
            "locked_models": pa.array(locked, pa.string()),
            "special": pa.array(a.special),
        }
    )


#: The run being written, inherited by forked worker processes (read-only there).
_RUN: tuple[Generator, np.ndarray, np.ndarray, Path] | None = None


def _write_week(w: int) -> int:
    assert _RUN is not None
    gen, counts, first, out = _RUN
    if counts[w] == 0:
        return 0
    writer = WeekWriter(out, gen.grid.label(w))
    try:
        for table in gen.week(w, int(counts[w]), int(first[w])):
            writer.write(table)
    finally:
        writer.close()
    return writer.rows


def _write_weeks(
    gen: Generator, counts: np.ndarray, out: Path, workers: int | None
) -> Iterator[tuple[int, int]]:
    """(week, rows written) in week order; forked processes where the platform allows."""
    global _RUN
    n = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if n < 1:
        raise ConfigError(f"--workers must be at least 1, got {n}.")
    weeks = range(len(gen.grid))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    _RUN = (gen, counts, first, out)
    try:
        if n == 1 or "fork" not in multiprocessing.get_all_start_methods():
            yield from ((w, _write_week(w)) for w in weeks)
            return
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
            yield from enumerate(pool.map(_write_week, weeks))
    finally:
        _RUN = None


def simulate(
    events: int,
    out_dir: str | Path,
    *,
    seed: int = 0,
    start: date | None = None,
    end: date | None = None,
    platform: Platform | None = None,
    catalog: Catalog | None = None,
    sample_rate: float | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    reporter: Reporter | None = None,
    on_week: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate ``events`` canonical events and write them to ``out_dir`` (see ``writer.py``).

    ``workers`` processes write the weeks (default: the CPU count, at most 8; 1 = in this
    process).  Each week draws from its own random stream, so the files do not depend on it.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    gen, counts = build_generator(
        events,
        seed=seed,
        start=start,
        end=end,
        platform=platform,
        catalog=catalog,
        sample_rate=sample_rate,
    )
    prepare_store(out, overwrite)
    if reporter is not None:
        reporter.start("Simulating events", total=events)
    written = 0
    for w, rows in _write_weeks(gen, counts, out, workers):
        written += rows
        if reporter is not None:
            reporter.advance(rows)
        if on_week is not None:
            on_week(w, rows)
    if reporter is not None:
        reporter.finish()
    write_accounts(out / ACCOUNTS_FILE, accounts_table(gen))
    seconds = time.perf_counter() - t0
    manifest = {
        "seed": seed,
        "events": written,
        "accounts": len(gen.accounts),
        "start": gen.grid.start.isoformat(),
        "end": gen.grid.end.isoformat(),
        "weeks": int((counts > 0).sum()),
        "sample_rate": gen.sample_rate,
        "categories_from": gen.categories_from.isoformat(),
        "platform": gen.platform.source,
        "models_on_offer": len(gen.roster),
        "tokencensus_version": __version__,
        "layout": f"{EVENTS_DIR}/week=YYYY-MM-DD/part-00000.parquet (Monday of the ISO week)",
    }
    write_manifest(out, manifest)
    return SimulationResult(
        out_dir=out,
        events_dir=out / EVENTS_DIR,
        events=written,
        accounts=len(gen.accounts),
        weeks=int((counts > 0).sum()),
        seconds=seconds,
        manifest=manifest,
    )
