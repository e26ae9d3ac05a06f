"""Benchmark: the full study on N generated events; prints wall time, stage times and peak RSS.

    python benchmarks/bench_study.py --events 1000000

Events are canonical Parquet written once into --work (reused when present with the same N),
then ``run_study`` reads them through the validating reader like any user input.  Run in a
fresh process so peak RSS belongs to the study.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tokencensus.catalog import load_catalog
from tokencensus.schema import EVENT_SCHEMA


def generate(n: int, path: Path, seed: int = 7, chunk: int = 1_000_000) -> None:
    """Plain random canonical events (not the calibrated simulator): load for the engine."""
    rng = np.random.default_rng(seed)
    slugs = np.array(
        [*load_catalog().models["slug"].tolist(), "unknown/model-a", "unknown/model-b"]
    )
    weights = rng.zipf(1.6, len(slugs)).astype(float)
    weights /= weights.sum()
    start = np.datetime64("2024-11-04T00:00:00", "us")
    span_us = 56 * 7 * 24 * 3600 * 1_000_000
    countries = np.array(
        ["US", "DE", "CN", "IN", "BR", "GB", "FR", "JP", "SG", "AU", "NG", None], dtype=object
    )
    languages = np.array(["en", "zh-Hans", "ru", "es", "th", "ja", None], dtype=object)
    reasons = np.array(["stop", "tool_calls", "length", "stop", "stop", None], dtype=object)
    writer = pq.ParquetWriter(path, EVENT_SCHEMA, compression="zstd")
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        prompt = rng.lognormal(7.0, 1.3, m).astype(np.int64)
        completion = rng.lognormal(5.0, 1.0, m).astype(np.int64)
        cols = {
            "id": pa.array([f"gen-{i}" for i in range(lo, lo + m)]),
            "created_at": pa.array(start + rng.integers(0, span_us, m).astype("timedelta64[us]")),
            "user_id": pa.array([f"acct-{u}" for u in rng.zipf(1.3, m) % 200_000]),
            "model": pa.array(rng.choice(slugs, m, p=weights)),
            "prompt_tokens": pa.array(prompt),
            "completion_tokens": pa.array(completion),
            "cost_usd": pa.array((prompt + 4 * completion) * 1e-6),
            "reasoning_tokens": pa.array((completion * rng.random(m) * 0.5).astype(np.int64)),
            "cached_tokens": pa.array((prompt * rng.random(m) * 0.3).astype(np.int64)),
            "finish_reason": pa.array(rng.choice(reasons, m), pa.string()),
            "is_byok": pa.array(rng.random(m) < 0.03),
            "billing_country": pa.array(rng.choice(countries, m), pa.string()),
            "prompt_language": pa.array(rng.choice(languages, m), pa.string()),
        }
        table = pa.table(
            {
                f.name: cols.get(f.name, pa.nulls(m, f.type))
                for f in EVENT_SCHEMA
                if f.name in cols or f.nullable
            }
        )
        writer.write_table(table.cast(EVENT_SCHEMA))
    writer.close()


def run_child(data: Path, out: Path) -> None:
    from tokencensus.study import run_study

    t0 = time.perf_counter()
    result = run_study([str(data)], out)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall_s": round(wall, 2),
                "peak_rss_mb": round(peak_mb),
                "stages_s": result.manifest["timings_s"],
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/tokencensus-bench"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    data = args.work / f"events-{args.events}.parquet"
    out = args.work / f"study-{args.events}"
    if args.child:
        run_child(data, out)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        t0 = time.perf_counter()
        generate(args.events, data)
        print(f"generated {args.events:,} events in {time.perf_counter() - t0:.1f}s -> {data}")
    proc = subprocess.run(
        [sys.executable, __file__, "--events", str(args.events), "--work", str(args.work), "--child"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"events:        {args.events:,}")
    print(
        f"study wall:    {figures['wall_s']} s  ({args.events / figures['wall_s']:,.0f} events/s)"
    )
    print(f"peak RSS:      {figures['peak_rss_mb']} MB")
    for stage, secs in figures["stages_s"].items():
        print(f"  {stage:<10} {secs:>8.2f} s")


if __name__ == "__main__":
    main()
