"""The model roster: every catalog model on offer, with its pull on each market week by week.

A model's pull on a workload in a week is ``appeal[market] x life(week) x price^price_pref``:

* ``appeal`` comes from the platform file for headline models (``[[models]]``) and from the
  ``[tail]`` rule (source type, size, variant, price) for the rest of the catalog;
* ``life`` is 0 before the release date, ramps up, holds, then halves every
  ``half_life_weeks`` down to a floor (newer models take over);
* ``price_pref`` is the workload's willingness to pay (see ``market.py``).

Prices, open weights, origin, size and the reasoning flag are the catalog's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tokencensus.catalog import Catalog
from tokencensus.errors import ConfigError
from tokencensus.simulate.platform import MARKETS, ModelSpec, Platform

__all__ = ["Roster", "WeekGrid", "build_roster"]

#: Prices (USD per 1M, blended) outside which willingness to pay stops mattering in choices:
#: free models count as this cheap, ultra-premium ones as this expensive.
PRICE_FLOOR = 0.1
PRICE_CAP = 8.0


@dataclass(frozen=True)
class WeekGrid:
    """ISO weeks (Mondays) covering ``start`` .. ``end`` and the days of each inside the span."""

    start: date
    end: date
    mondays: np.ndarray  # datetime64[D], one per week
    first_day: np.ndarray  # datetime64[D]: first day of the week inside the span
    days: np.ndarray  # int: days of the week inside the span (1..7)

    @classmethod
    def of(cls, start: date, end: date) -> WeekGrid:
        if end < start:
            raise ConfigError(f"--end {end} is before --start {start}.")
        first_monday = start - timedelta(days=start.weekday())
        n = (end - first_monday).days // 7 + 1
        mondays = np.datetime64(first_monday, "D") + 7 * np.arange(n)
        lo = np.maximum(mondays, np.datetime64(start, "D"))
        hi = np.minimum(mondays + 6, np.datetime64(end, "D"))
        days = (hi - lo).astype(int) + 1
        return cls(start, end, mondays, lo, days)

    def __len__(self) -> int:
        return len(self.mondays)

    @property
    def mids(self) -> np.ndarray:
        return self.mondays + 3

    def index_of(self, day: date) -> int:
        """Week index holding ``day`` (may be < 0 or >= len)."""
        return int((np.datetime64(day, "D") - self.mondays[0]).astype(int) // 7)

    def label(self, w: int) -> str:
        return str(self.mondays[w])


@dataclass(frozen=True)
class Roster:
    """Per-model arrays (index = model id) and week x model matrices."""

    slugs: list[str]
    authors: list[str]
    source_type: np.ndarray  # str
    origin: np.ndarray  # str: china / row
    open_weights: np.ndarray  # bool
    reasoning: np.ndarray  # bool
    size_class: np.ndarray  # str
    price_in: np.ndarray  # USD per 1M prompt tokens
    price_out: np.ndarray  # USD per 1M completion tokens
    cache_read: np.ndarray  # cached token price as a share of the prompt price (0 = no cache)
    appeal: np.ndarray  # (markets, models)
    life: np.ndarray  # (weeks, models)
    free: np.ndarray  # (weeks, models) bool: the model costs nothing that week
    churn: np.ndarray  # switching-hazard multiplier
    effort: np.ndarray  # reasoning-token multiplier
    tools: np.ndarray  # tool-call propensity multiplier
    fit: np.ndarray  # (workloads, models) bool
    fit_until: np.ndarray  # last week index whose adopters can lock in (-1 = never)
    lock_prob: np.ndarray
    returns: tuple[tuple[int, int, int, float], ...]  # (model, first week, last week, weekly prob)
    upgrades: tuple[tuple[int, tuple[int, ...], int, int, float], ...]  # (new, old, w0, w1, prob)
    providers: list[str]
    provider_cdf: np.ndarray  # (models, providers)
    first_party: np.ndarray  # (models, providers) bool: the author's own API (caches prompts)
    provider_table: np.ndarray  # (models, 128): provider ids, each in proportion to its share
    family: np.ndarray  # int: 0 OpenAI-style, 1 Anthropic, 2 Google finish reasons
    ttft_ms: np.ndarray
    tps: np.ndarray

    def __len__(self) -> int:
        return len(self.slugs)

    def index(self, slug: str) -> int:
        try:
            return self.slugs.index(slug)
        except ValueError:
            raise ConfigError(
                f"Model {slug!r} named in the platform file is not on offer "
                "(missing from the catalog or released after the end)."
            ) from None


def _life(
    grid: WeekGrid, release: date | None, spec: dict[str, float], until: date | None
) -> np.ndarray:
    week_end = grid.mondays + 6
    if release is None:
        age = np.full(len(grid), 520.0)
    else:
        age = (week_end - np.datetime64(release, "D")).astype(float) / 7.0
    ramp = np.clip(age / max(spec["ramp_weeks"], 1e-9), 0.0, 1.0)
    decay = 0.5 ** (np.maximum(age - spec["plateau_weeks"], 0.0) / spec["half_life_weeks"])
    life = np.where(age < 0, 0.0, ramp * np.maximum(decay, spec["floor"]))
    if until is not None:
        life = np.where(grid.mondays > np.datetime64(until, "D"), 0.0, life)
    return life


def _filled_prices(models: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    pin = models["prompt_usd_per_m"].to_numpy(float).copy()
    pout = models["completion_usd_per_m"].to_numpy(float).copy()
    for arr, default_open, default_closed in ((pin, 0.2, 1.0), (pout, 0.6, 4.0)):
        missing = np.isnan(arr)
        if missing.any():
            by_author = (
                pd.Series(arr).groupby(models["author"].to_numpy()).transform("median").to_numpy()
            )
            fallback = np.where(models["open_weights"].to_numpy(bool), default_open, default_closed)
            arr[missing] = np.where(np.isnan(by_author), fallback, by_author)[missing]
    return pin, pout


def _tail_appeal(
    platform: Platform, models: pd.DataFrame, pin: np.ndarray, pout: np.ndarray
) -> np.ndarray:
    tail = platform.tail
    appeal = np.zeros((len(MARKETS), len(models)))
    blended = np.maximum(0.8 * pin + 0.2 * pout, PRICE_FLOOR)
    cheap = np.clip(blended ** -float(tail["price_factor"]), 0.2, 5.0)
    size = np.array([float(tail["size"].get(s, 1.0)) for s in models["size_class"]])
    variant = np.where(models["variant_of"].notna().to_numpy(), float(tail["variant"]), 1.0)
    weights = tail.get("authors", {})
    author = np.array([float(weights.get(a, 1.0)) for a in models["author"]])
    for j, st in enumerate(models["source_type"]):
        profile = tail[st]
        for i, market in enumerate(MARKETS):
            appeal[i, j] = float(profile.get(market, 0.0))
    return appeal * (size * variant * cheap * author)[None, :]


def _providers(
    platform: Platform, models: pd.DataFrame
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Provider names, per-model provider CDF, and which providers are the author's own."""
    conf = platform.providers
    names: list[str] = []
    own_ids: list[set[int]] = []

    def pid(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    rows: list[dict[int, float]] = []
    for author, open_w in zip(models["author"], models["open_weights"], strict=True):
        row: dict[int, float] = {}
        own = conf["closed"].get(author)
        own_ids.append({pid(name) for name, _ in own or []} if open_w else set())
        if not open_w:
            for name, w in own or [[author, 1.0]]:
                row[pid(name)] = row.get(pid(name), 0.0) + float(w)
        else:
            first = float(conf.get("first_party", {}).get(author, 0.0)) if own else 0.0
            for name, w in own or []:
                row[pid(name)] = row.get(pid(name), 0.0) + first * float(w)
            for name, w in conf["open"]:
                row[pid(name)] = row.get(pid(name), 0.0) + (1.0 - first) * float(w)
        rows.append(row)
    weights = np.zeros((len(models), len(names)))
    for j, row in enumerate(rows):
        for p, w in row.items():
            weights[j, p] = w
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    first_party = np.zeros((len(models), len(names)), bool)
    for j, (ids, open_w) in enumerate(zip(own_ids, models["open_weights"], strict=True)):
        if not open_w:
            first_party[j, :] = True  # closed models are served by their author or its clouds
        for p in ids:
            first_party[j, p] = True
    return names, cdf, first_party


def _bucket_table(cdf: np.ndarray, buckets: int = 128) -> np.ndarray:
    """(models, buckets) provider ids: a uniform bucket index draws a provider by its share."""
    mids = (np.arange(buckets) + 0.5) / buckets
    table = np.empty((len(cdf), buckets), np.int16)
    for m in range(len(cdf)):
        table[m] = np.minimum(np.searchsorted(cdf[m], mids, side="right"), cdf.shape[1] - 1)
    return table


def build_roster(
    platform: Platform, catalog: Catalog, grid: WeekGrid, workloads: list[str]
) -> Roster:
    """Every catalog model released by ``grid.end``, with headline specs applied."""
    m = catalog.models
    released = pd.to_datetime(m["release_date"])
    keep = released.isna() | (released <= pd.Timestamp(grid.end))
    models = m.loc[keep].reset_index(drop=True)
    slugs = list(models["slug"])
    pin, pout = _filled_prices(models)
    appeal = _tail_appeal(platform, models, pin, pout)
    defaults = {
        "ramp_weeks": float(platform.tail["ramp_weeks"]),
        "plateau_weeks": float(platform.tail["plateau_weeks"]),
        "half_life_weeks": float(platform.tail["half_life_weeks"]),
        "floor": float(platform.tail["floor"]),
    }
    n, weeks = len(models), len(grid)
    life = np.zeros((weeks, n))
    free = np.zeros((weeks, n), bool)
    churn = np.ones(n)
    effort = np.ones(n)
    tools = np.ones(n)
    fit = np.zeros((len(workloads), n), bool)
    fit_until = np.full(n, -1)
    lock_prob = np.zeros(n)
    returns: list[tuple[int, int, int, float]] = []
    upgrades: list[tuple[int, tuple[int, ...], int, int, float]] = []
    specs: dict[str, ModelSpec] = {}
    for spec in platform.models:
        slug = catalog.resolve(spec.slug)
        if slug is None:
            raise ConfigError(
                f"{platform.source}: model {spec.slug!r} is not in the catalog; fix the slug "
                "or drop the [[models]] entry (or add the model with --catalog)."
            )
        if slug in slugs:  # models released after the end are simply not on offer
            specs[slug] = spec
    for j, slug in enumerate(slugs):
        rel = models["release_date"].iloc[j]
        release = rel if isinstance(rel, date) else None
        found = specs.get(slug)
        if found is None:
            life[:, j] = _life(grid, release, defaults, None)
            continue
        spec = found
        appeal[:, j] = [spec.appeal[mk] for mk in MARKETS]
        life[:, j] = _life(grid, release, spec.__dict__, spec.until)
        for a, b in spec.free:
            free[:, j] |= (grid.mondays + 6 >= np.datetime64(a, "D")) & (
                grid.mondays <= np.datetime64(b, "D")
            )
        for a, b, factor in spec.boost:
            on = (grid.mondays + 6 >= np.datetime64(a, "D")) & (
                grid.mondays <= np.datetime64(b, "D")
            )
            life[on, j] *= factor
        churn[j] = spec.churn
        effort[j] = spec.reasoning_effort
        tools[j] = spec.tools
        if spec.fit and release is not None:
            for k, name in enumerate(workloads):
                fit[k, j] = name in spec.fit
            fit_until[j] = grid.index_of(release + timedelta(days=spec.fit_window_days))
            lock_prob[j] = spec.lock_prob
        for day, span, prob in spec.returns:
            w0 = grid.index_of(day)
            returns.append((j, w0, w0 + span - 1, prob))
        if spec.replaces and release is not None:
            old = tuple(slugs.index(catalog.resolve(o) or o) for o in spec.replaces)
            w0 = grid.index_of(release)
            upgrades.append((j, old, w0, w0 + spec.upgrade_weeks - 1, spec.upgrade))
    providers, provider_cdf, first_party = _providers(platform, models)
    provider_table = _bucket_table(provider_cdf)
    cache = platform.providers.get("cache_read", {})
    cache_read = np.array([float(cache.get(a, 0.0)) for a in models["author"]])
    for slug, spec in specs.items():
        if spec.cache is not None:
            cache_read[slugs.index(slug)] = spec.cache
    family = np.array(
        [1 if a == "Anthropic" else 2 if a == "Google" else 0 for a in models["author"]]
    )
    fin = platform.finish
    open_w = models["open_weights"].to_numpy(bool)
    size = models["size_class"].to_numpy(str)
    reasoning = models["reasoning"].to_numpy(bool)
    ttft = np.where(open_w, float(fin["ttft_open_ms"]), float(fin["ttft_closed_ms"]))
    ttft = ttft * np.where(reasoning, float(fin["ttft_reasoning_factor"]), 1.0)
    tps = np.select(
        [~open_w, size == "small", size == "medium"],
        [float(fin["tps_closed"]), float(fin["tps_small"]), float(fin["tps_medium"])],
        float(fin["tps_large"]),
    )
    return Roster(
        slugs=slugs,
        authors=list(models["author"]),
        source_type=models["source_type"].to_numpy(str),
        origin=models["origin"].fillna("row").to_numpy(str),
        open_weights=open_w,
        reasoning=reasoning,
        size_class=size,
        price_in=pin,
        price_out=pout,
        cache_read=cache_read,
        appeal=appeal,
        life=life,
        free=free,
        churn=churn,
        effort=effort,
        tools=tools,
        fit=fit,
        fit_until=fit_until,
        lock_prob=lock_prob,
        returns=tuple(returns),
        upgrades=tuple(upgrades),
        providers=providers,
        provider_cdf=provider_cdf,
        first_party=first_party,
        provider_table=provider_table,
        family=family,
        ttft_ms=ttft,
        tps=tps,
    )
