"""The calibrated demo platform: a simulated LLM gateway whose logs reproduce the study.

Accounts (billing country, workload, arrival, size) choose models from the catalog week by
week; the events they send are written as canonical Parquet partitioned by ISO week.  Every
behaviour parameter lives in ``data/platform.toml``; see ``docs`` in that file.

    from tokencensus.simulate import simulate
    simulate(2_000_000, "demo/store", seed=0)
"""

from __future__ import annotations

from tokencensus.simulate.platform import Platform, load_platform
from tokencensus.simulate.run import SimulationResult, build_generator, simulate

__all__ = ["Platform", "SimulationResult", "build_generator", "load_platform", "simulate"]
