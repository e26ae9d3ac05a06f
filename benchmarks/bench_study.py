"""Benchmark: the full study against the scan floor, on a simulated store of N events.

    python benchmarks/bench_study.py --events 10000000
    python benchmarks/bench_study.py --events 100000000 --incremental
    python benchmarks/bench_study.py --events 100000000 --incremental --repeat 3
    python benchmarks/bench_study.py --events 100000000 --copies 10   # 1B events, same files
    python benchmarks/bench_study.py --events 10000000 --sample-rate 0.20  # the demo's sample
    python benchmarks/bench_study.py --events 10000000 --engine spark     # local Spark

The store is written once by the calibrated simulator into ``--work`` (reused when present),
with classifier labels on ``--sample-rate`` of the events from May 2025 on: by default the
paper's 0.25 % (a gateway classifies a small random sample of its prompts), or the demo's
20 % (``tokencensus demo`` labels that much so that per-author, per-week category shares on
a few million events stay measurable).  The sample is the one part of the study whose cost
grows with the sample rate rather than with the events: every sampled event is one row
per label in ``sampled_labels``.

For the same Parquet files it prints:

- **scan floor**: one DuckDB pass reading every column the study uses (a min/max/sum of
  each column, so every value is decoded), same threads as the study;
- **full study**: ``run_study`` on the store (trusted-store path; data, SQL and manifest,
  no HTML report unless ``--report``);
- their ratio (wall and CPU), events/s and the study's peak RSS;
- with ``--incremental``: an ``incremental`` run on the store without its last week
  (from a cold cache: it reads every week and keeps its rollups), then another after
  the week is added, against the full run;
- with ``--copies K``: every week file listed K times (symlinks), so K x N events are read;
- with ``--repeat K``: the full study K times, and the week removed and added back K
  times (each removal an incremental run of its own, not timed); each figure is printed
  and the run of median wall time is the one compared.

Each measurement runs in a fresh process (peak RSS and CPU time are its own), after the
page cache's dirty pages are written out (``os.sync``: the files the run before wrote are
not flushed on this one's time).  Wall times on a shared machine vary with other load
(on this one by up to 40 % within a day); CPU time (user + system of the process) is
steadier, and both ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

THREADS = 2


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _usage(cpu0: float) -> dict[str, float]:
    return {
        "cpu_s": round(_cpu() - cpu0, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def child_floor(store: Path) -> dict[str, float]:
    import duckdb

    from tokencensus.rollup import EVENT_COLUMNS
    from tokencensus.rollup_cache import trusted_store

    found, why = trusted_store([store])
    if found is None:
        raise SystemExit(f"{store}: {why}")
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in found.paths())
    touch = {
        "id": "min(id)",
        "categories": "sum(len(categories))",
        "is_byok": "sum(is_byok::int)",
        "sampled": "sum(sampled::int)",
        "created_at": "max(created_at)",
    }
    numeric = {
        "prompt_tokens",
        "completion_tokens",
        "reasoning_tokens",
        "cached_tokens",
        "cost_usd",
    }
    cols = [touch.get(c, f"sum({c})" if c in numeric else f"min({c})") for c in EVENT_COLUMNS]
    con = duckdb.connect()
    con.execute(f"SET threads={THREADS}")
    cpu0, t0 = _cpu(), time.perf_counter()
    con.sql(
        f"SELECT count(*), {', '.join(cols)} FROM read_parquet([{files}], hive_partitioning=false)"
    ).fetchall()
    return {"wall_s": round(time.perf_counter() - t0, 2), **_usage(cpu0)}


def _profiled() -> dict[str, list[float]]:
    """Time every engine call of the study (and each artifact) by what it works on."""
    from tokencensus.engine.duckdb import DuckDBEngine
    from tokencensus.study import Study

    calls: dict[str, list[float]] = {}

    def wrap(cls: type, method: str, label: Callable[[tuple[Any, ...]], str]) -> None:
        inner = getattr(cls, method)

        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(self, *args, **kwargs)
            finally:
                entry = calls.setdefault(label(args), [0.0, 0])
                entry[0] += time.perf_counter() - t0
                entry[1] += 1

        setattr(cls, method, timed)

    wrap(DuckDBEngine, "materialize", lambda a: f"materialize {a[1]}")
    wrap(DuckDBEngine, "append", lambda a: f"append {a[1]}")
    wrap(DuckDBEngine, "replace_partitions", lambda a: f"add weeks to kept {a[1]}")
    wrap(DuckDBEngine, "write_parquet", lambda a: f"write cache {a[2].name}")
    wrap(DuckDBEngine, "read_parquet", lambda a: f"read_parquet {a[2]}")
    wrap(Study, "compute", lambda a: f"artifact {a[0].id}")
    return calls


#: Options each engine runs the study with: the same two cores.  Spark's driver (where
#: local mode runs everything) gets 8 GB instead of its 1 GB default.
ENGINE_OPTIONS: dict[str, dict[str, Any]] = {
    "duckdb": {"threads": THREADS},
    "spark": {"master": f"local[{THREADS}]", "spark.driver.memory": "8g"},
}


def child_study(
    store: Path, out: Path, incremental: bool, report: bool, profile: bool, engine: str
) -> dict[str, object]:
    from tokencensus.study import run_study

    calls = _profiled() if profile else {}
    cpu0, t0 = _cpu(), time.perf_counter()
    result = run_study(
        [str(store)],
        out,
        engine=engine,
        engine_options=ENGINE_OPTIONS[engine],
        write_report=report,
        figures=False,
        incremental=incremental,
    )
    return {
        "wall_s": round(time.perf_counter() - t0, 2),
        **_usage(cpu0),
        "stages_s": result.manifest["timings_s"],
        "load": result.manifest["load"],
        "profile": sorted(
            ([k, round(v[0], 2), v[1]] for k, v in calls.items()), key=lambda r: -r[1]
        ),
    }


def _run(*args: str, flags: tuple[str, ...] = ()) -> dict[str, Any]:
    # what an earlier measurement wrote is flushed first, not charged to this one (the
    # run that builds the kept rollups leaves ~0.5 GB of dirty pages at 100M events)
    os.sync()
    proc = subprocess.run(
        [sys.executable, __file__, *flags, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]


def _runs(runs: list[dict[str, Any]]) -> str:
    if len(runs) < 2:
        return ""
    return " (median of " + ", ".join(f"{r['wall_s']:.2f}" for r in runs) + " s)"


def _view(store: Path, view: Path, weeks: list[Path], copies: int) -> Path:
    """A store folder whose week folders link to ``store``'s files (``copies`` links each)."""
    if view.exists():
        shutil.rmtree(view)
    (view / "events").mkdir(parents=True)
    shutil.copy(store / "tokencensus-store.json", view / "tokencensus-store.json")
    for week in weeks:
        target = view / "events" / week.name
        target.mkdir()
        for part in sorted(week.glob("part-*.parquet")):
            for k in range(copies):
                (target / f"part-{part.stem[5:]}-{k:03d}.parquet").symlink_to(part)
    return view


def _add_week(view: Path, week: Path) -> None:
    target = view / "events" / week.name
    target.mkdir()
    for part in sorted(week.glob("part-*.parquet")):
        (target / part.name).symlink_to(part)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/tokencensus-bench"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--sample-rate",
        type=float,
        default=0.0025,
        help="share of events with classifier labels (default: the paper's 0.0025)",
    )
    ap.add_argument("--copies", type=int, default=1, help="read every week file K times")
    ap.add_argument("--incremental", action="store_true", help="also time adding one week")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the full study, and remove and add back the week (--incremental), K "
        "times: every figure is printed, ratios are of the medians",
    )
    ap.add_argument("--report", action="store_true", help="also write the HTML report")
    ap.add_argument(
        "--engine",
        choices=sorted(ENGINE_OPTIONS),
        default="duckdb",
        help="engine the study runs on (the scan floor is always one DuckDB pass)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="time each engine call of the full study (pass outputs, cache writes, rollups, "
        "artifacts) and print the largest",
    )
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "floor":
            print(json.dumps(child_floor(Path(rest[0]))))
        else:
            print(
                json.dumps(
                    child_study(
                        Path(rest[0]),
                        Path(rest[1]),
                        rest[2] == "1",
                        args.report,
                        args.profile,
                        args.engine,
                    )
                )
            )
        return

    tag = f"{args.events}-s{args.sample_rate:g}"
    store = args.work / f"store-{tag}"
    if not (store / "tokencensus-store.json").exists():
        from tokencensus.simulate.run import simulate

        t0 = time.perf_counter()
        simulate(
            events=args.events,
            out_dir=store,
            seed=args.seed,
            overwrite=True,
            sample_rate=args.sample_rate,
        )
        print(f"simulated {args.events:,} events in {time.perf_counter() - t0:.0f}s -> {store}")
    weeks = sorted((store / "events").glob("week=*"))
    events = args.events * args.copies
    data = store
    if args.copies > 1:
        data = _view(store, args.work / f"view-{tag}x{args.copies}", weeks, args.copies)

    out = (
        args.work / f"study-{tag}x{args.copies}"
        if args.engine == "duckdb"
        else (args.work / f"study-{tag}x{args.copies}-{args.engine}")
    )
    shutil.rmtree(out, ignore_errors=True)
    floor = _run("--child", "floor", str(data))
    flags = tuple(f for f, on in (("--report", args.report), ("--profile", args.profile)) if on)
    flags += ("--engine", args.engine)
    studies = []
    for _ in range(max(1, args.repeat)):
        shutil.rmtree(out, ignore_errors=True)
        studies.append(_run("--child", "study", str(data), str(out), "0", flags=flags))
    study = _median(studies)
    floor2 = _run("--child", "floor", str(data))
    best = min(floor, floor2, key=lambda f: f["wall_s"])
    size = sum(p.stat().st_size for w in weeks for p in w.glob("*.parquet")) * args.copies
    print(f"events:            {events:,} in {len(weeks)} weeks ({size / 2**30:.2f} GiB Parquet)")
    print(f"classified sample: {args.sample_rate:g} of the events from May 2025 on")
    print(f"engine:            {args.engine} ({THREADS} threads)")
    print(
        f"scan floor:        {best['wall_s']:.2f} s wall, {best['cpu_s']:.2f} s CPU "
        f"(runs: {floor['wall_s']:.2f} s before, {floor2['wall_s']:.2f} s after the study)"
    )
    print(f"full study:        {study['wall_s']:.2f} s wall, {study['cpu_s']:.2f} s CPU"
          + _runs(studies))  # fmt: skip
    print(
        f"ratio:             {study['wall_s'] / best['wall_s']:.2f}x wall, "
        f"{study['cpu_s'] / best['cpu_s']:.2f}x CPU"
    )
    print(
        f"events/s:          {events / study['wall_s']:,.0f} (study), {events / best['wall_s']:,.0f} (floor)"
    )
    print(f"peak RSS:          {study['peak_rss_mb']} MB (study), {best['peak_rss_mb']} MB (floor)")
    if args.engine != "duckdb":
        print("                   (study CPU and RSS: the Python process only, not Spark's JVM)")
    for stage, secs in study["stages_s"].items():
        print(f"  {stage:<12} {secs:>8.2f} s")
    if args.profile:
        print("largest engine calls of the full study (seconds, calls):")
        for label, secs, n in study["profile"][:15]:
            print(f"  {secs:>8.2f} s {n:>4}x  {label}")

    if args.incremental:
        view = _view(store, args.work / f"view-{tag}-incremental", weeks[:-1], 1)
        inc_out = args.work / f"study-{tag}-incremental"
        shutil.rmtree(inc_out, ignore_errors=True)
        # The same outputs as the full run it is compared with (--profile only times the
        # engine calls).  The run before is incremental too, from a cold cache (every
        # week read, the rollups built and kept), as a store updated weekly is run.
        before = _run("--child", "study", str(view), str(inc_out), "1", flags=flags)
        incs = []
        for k in range(max(1, args.repeat)):
            if k:  # the week removed again (an incremental run of its own, not timed)
                shutil.rmtree(view / "events" / weeks[-1].name)
                _run("--child", "study", str(view), str(inc_out), "1", flags=flags)
            _add_week(view, weeks[-1])
            incs.append(_run("--child", "study", str(view), str(inc_out), "1", flags=flags))
        inc = _median(incs)
        load = inc["load"]
        print(
            f"incremental:       +1 week ({load['weeks_read']} read, {load['weeks_reused']} reused): "
            f"{inc['wall_s']:.2f} s wall, {inc['cpu_s']:.2f} s CPU = "
            f"{inc['wall_s'] / study['wall_s']:.1%} of the full run's wall, "
            f"{inc['cpu_s'] / study['cpu_s']:.1%} of its CPU, {inc['peak_rss_mb']} MB peak"
            + _runs(incs)
        )
        print(
            f"  run before it:   {before['wall_s']:.2f} s wall, {before['peak_rss_mb']} MB peak "
            f"(incremental from a cold cache, without the week: "
            f"{before['load'].get('kept_rollups', '-')})"
        )
        print(f"  kept rollups:    {load.get('kept_rollups', '-')}")
        for stage, secs in inc["stages_s"].items():
            print(f"  {stage:<12} {secs:>8.2f} s")
        if args.profile:
            print("largest engine calls of the incremental run (seconds, calls):")
            for label, secs, n in inc["profile"][:12]:
                print(f"  {secs:>8.2f} s {n:>4}x  {label}")


if __name__ == "__main__":
    main()
