"""Workloads as arrays: request shapes per category and week, and the classifier's labels.

``WorkloadTables`` turns the ``[workloads.*]`` curves into (week x category) matrices the
vectorised generator indexes directly.  ``LabelTables`` turns ``[labels.*]`` into path ids
and draws the ``{path, confidence}`` labels of sampled events: one primary path, optional
secondary paths (with lower confidence) and, sometimes, a low-confidence label the analyses
drop (< 0.5).  Every path must be a well-formed content path; the mapping to tags and
categories is the classifier's (``enrich/classify``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tokencensus.enrich.classify.taxonomy import validate_path
from tokencensus.schema import CATEGORY_LABEL_TYPE
from tokencensus.simulate.models import WeekGrid
from tokencensus.simulate.platform import Platform

__all__ = ["LabelTables", "WorkloadTables"]


@dataclass(frozen=True)
class WorkloadTables:
    """Per-category parameters (index = category id, the platform file's order)."""

    names: list[str]
    market: np.ndarray  # str
    prompt_mean: np.ndarray  # (weeks, categories)
    completion_mean: np.ndarray
    reasoning_mean: np.ndarray
    tool_prob: np.ndarray
    prompt_sigma: np.ndarray
    completion_sigma: np.ndarray
    agent_prompt: np.ndarray
    tool_prob_other: np.ndarray
    cache_share: np.ndarray
    stream: np.ndarray
    english: np.ndarray
    incidental_cdf: np.ndarray  # over categories
    incidental_share: float

    @classmethod
    def of(cls, platform: Platform, grid: WeekGrid) -> WorkloadTables:
        wl = list(platform.workloads.values())
        names = [w.name for w in wl]

        def curves(attr: str) -> np.ndarray:
            return np.stack([getattr(w, attr).at(grid.mids) for w in wl], axis=1)

        def consts(attr: str) -> np.ndarray:
            return np.array([float(getattr(w, attr)) for w in wl])

        inc = np.array([platform.incidental.get(n, 0.0) for n in names])
        cdf = np.cumsum(inc / inc.sum())
        cdf[-1] = 1.0
        return cls(
            names=names,
            market=np.array([w.market for w in wl]),
            prompt_mean=curves("prompt_mean"),
            completion_mean=curves("completion_mean"),
            reasoning_mean=curves("reasoning_mean"),
            tool_prob=curves("tool_prob"),
            prompt_sigma=consts("prompt_sigma"),
            completion_sigma=consts("completion_sigma"),
            agent_prompt=consts("agent_prompt"),
            tool_prob_other=consts("tool_prob_other"),
            cache_share=consts("cache_share"),
            stream=consts("stream"),
            english=consts("english"),
            incidental_cdf=cdf,
            incidental_share=float(platform.platform["incidental_share"]),
        )


@dataclass(frozen=True)
class LabelTables:
    """Label paths (ids into ``paths``) and their draw probabilities per category."""

    paths: list[str]
    primary_cdf: np.ndarray  # (categories, max primaries)
    primary_path: np.ndarray  # (categories, max primaries) path id
    secondary_path: np.ndarray  # (categories, max secondaries) path id
    secondary_prob: np.ndarray  # (categories, max secondaries)
    noise_paths: np.ndarray  # path ids
    noise_prob: float

    @classmethod
    def of(cls, platform: Platform, names: list[str]) -> LabelTables:
        paths: list[str] = []

        def pid(path: str) -> int:
            validate_path(path)
            if path not in paths:
                paths.append(path)
            return paths.index(path)

        specs = [platform.labels[n] for n in names]
        pmax = max(len(s.primary) for s in specs)
        smax = max(max((len(s.secondary) for s in specs), default=0), 1)
        k = len(names)
        primary_cdf = np.ones((k, pmax))
        primary_path = np.zeros((k, pmax), np.int64)
        secondary_path = np.zeros((k, smax), np.int64)
        secondary_prob = np.zeros((k, smax))
        for i, s in enumerate(specs):
            w = np.array([x for _, x in s.primary], float)
            primary_cdf[i, : len(w)] = np.cumsum(w / w.sum())
            primary_cdf[i, len(w) - 1 :] = 1.0
            primary_path[i, : len(w)] = [pid(p) for p, _ in s.primary]
            primary_path[i, len(w) :] = primary_path[i, len(w) - 1]
            for j, (p, prob) in enumerate(s.secondary):
                secondary_path[i, j] = pid(p)
                secondary_prob[i, j] = prob
        noise = np.array([pid(p) for p in platform.noise_paths], np.int64)
        return cls(
            paths,
            primary_cdf,
            primary_path,
            secondary_path,
            secondary_prob,
            noise,
            platform.noise_prob,
        )

    def draw(self, rng: np.random.Generator, category: np.ndarray, sampled: np.ndarray) -> pa.Array:
        """The ``categories`` column: labels for sampled events, null for the others."""
        n = len(category)
        idx = np.flatnonzero(sampled)
        cat = category[idx]
        m = len(idx)
        smax = self.secondary_path.shape[1]
        width = 1 + smax + 1
        path = np.zeros((m, width), np.int64)
        conf = np.zeros((m, width))
        valid = np.zeros((m, width), bool)
        u = rng.random(m)
        col = (u[:, None] > self.primary_cdf[cat]).sum(axis=1)
        col = np.minimum(col, self.primary_cdf.shape[1] - 1)
        path[:, 0] = self.primary_path[cat, col]
        conf[:, 0] = 0.55 + 0.43 * rng.random(m)
        valid[:, 0] = True
        for j in range(smax):
            has = rng.random(m) < self.secondary_prob[cat, j]
            path[:, 1 + j] = self.secondary_path[cat, j]
            conf[:, 1 + j] = 0.5 + (conf[:, 0] - 0.5) * rng.random(m)
            valid[:, 1 + j] = has
        if len(self.noise_paths):
            has = rng.random(m) < self.noise_prob
            path[:, -1] = self.noise_paths[rng.integers(0, len(self.noise_paths), m)]
            conf[:, -1] = 0.1 + 0.39 * rng.random(m)
            valid[:, -1] = has
        counts = np.zeros(n, np.int64)
        counts[idx] = valid.sum(axis=1)
        offsets = np.zeros(n + 1, np.int32)
        np.cumsum(counts, out=offsets[1:])
        flat_path = path[valid]
        flat_conf = np.round(conf[valid], 4)
        values = pa.StructArray.from_arrays(
            [pa.array(self.paths, pa.string()).take(pa.array(flat_path)), pa.array(flat_conf)],
            fields=list(CATEGORY_LABEL_TYPE),
        )
        mask = pa.array(~sampled)
        return pa.ListArray.from_arrays(
            pa.array(offsets), values, type=pa.list_(CATEGORY_LABEL_TYPE), mask=mask
        )
