"""Benchmark ``tokencensus simulate``: events per second and peak memory.

    python benchmarks/bench_simulate.py --events 10000000
    python benchmarks/bench_simulate.py --events 10000000 --no-write   # generation only
    python benchmarks/bench_simulate.py --events 10000000 --workers 1  # one process

Prints the planning time (accounts and the week-by-week market, one process), the
generation time, the rate in events per second (end to end, including zstd Parquet writing
unless --no-write), the peak resident memory of the main process and of the largest worker
process (forked: they share the plan with the main process copy-on-write, so the two do
not simply add up) and the size on disk.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


_GEN: tuple = ()


def _generate(w: int) -> int:
    gen, counts, first = _GEN
    return sum(t.num_rows for t in gen.week(w, int(counts[w]), first[w]))


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 8))
    ap.add_argument("--out", type=Path, help="write here (default: a temporary folder, removed)")
    ap.add_argument("--no-write", action="store_true", help="generate the events, do not write")
    args = ap.parse_args(argv)

    from tokencensus.simulate import build_generator, simulate

    print(
        f"tokencensus simulate benchmark: {args.events:,} events, {args.workers} worker processes"
    )
    t0 = time.perf_counter()
    if args.no_write:
        gen, counts = build_generator(args.events, seed=args.seed)
        t_plan = time.perf_counter() - t0
        first = [0]
        for c in counts[:-1]:
            first.append(first[-1] + int(c))

        global _GEN
        _GEN = (gen, counts, first)
        if args.workers == 1:
            n = sum(map(_generate, range(len(counts))))
        else:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
                n = sum(pool.map(_generate, range(len(counts))))
        total = time.perf_counter() - t0
        print(f"  plan (accounts, market): {t_plan:6.1f} s ({len(gen.accounts):,} accounts)")
        print(f"  generation only:         {total - t_plan:6.1f} s")
        print(f"  events/s (generation):   {n / (total - t_plan):,.0f}")
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="bench-simulate-")) / "store"
        result = simulate(args.events, out, seed=args.seed, workers=args.workers, overwrite=True)
        total = time.perf_counter() - t0
        n = result.events
        print(f"  accounts:                {result.accounts:,}")
        print(f"  wall time:               {total:6.1f} s")
        print(f"  events/s (end to end):   {n / total:,.0f}")
        print(f"  on disk:                 {_disk_mb(out):,.0f} MiB (zstd Parquet)")
        if args.out is None:
            shutil.rmtree(out.parent, ignore_errors=True)
    print(f"  peak RSS (main process): {_peak_rss_mb():,.0f} MiB")
    if args.workers > 1:
        print(f"  peak RSS (one worker):   {_peak_rss_mb(resource.RUSAGE_CHILDREN):,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
