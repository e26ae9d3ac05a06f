"""Accounts: who joins the platform when, from where, for what, and how much they send.

Each account draws, from the platform file:

* an arrival week (an initial population on the first day, then arrivals that grow with the
  platform), and a departure: "tryers" leave within weeks, the rest stay for a workload-
  dependent time (accounts that lock in to a model stay longer, see ``market.py``);
* a workload (content category) from the arrival mix of its week;
* a billing country from the continent mix of its week, and a prompt language (the country's
  own language with the country's ``native`` probability, else English);
* a size (median requests per active week, lognormal), an agent flag (tool-calling agents
  grow with tenure), a bring-your-own-key flag and a calling app.

Special accounts (``[[special_accounts]]``) are appended last with scripted episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tokencensus.simulate.models import WeekGrid
from tokencensus.simulate.platform import Platform

__all__ = ["Accounts", "draw_accounts", "hex_ids"]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: a bijection on uint64 (distinct inputs -> distinct outputs)."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


#: Each byte value's two hex digits.
_BYTE_HEX = np.array([[_HEX[b >> 4], _HEX[b & 15]] for b in range(256)], dtype=np.uint8)


def hex_ids(prefix: bytes, values: np.ndarray, digits: int = 16) -> pa.StringArray:
    """``prefix`` + the last ``digits`` (even) hex digits of mix64(values), as Arrow strings."""
    n = len(values)
    width = len(prefix) + digits
    salted = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)  # wraps: still one-to-one
    big_endian = _mix64(salted).astype(">u8").view(np.uint8).reshape(n, 8)[:, 8 - digits // 2 :]
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    buf[:, len(prefix) :] = _BYTE_HEX[big_endian].reshape(n, digits)
    offsets = np.arange(n + 1, dtype=np.int32) * width
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


@dataclass(frozen=True)
class Accounts:
    """One row per account (index = account id); specials are the last ``n_special``."""

    arrival: np.ndarray  # week index of the first active week
    exit: np.ndarray  # first week index the account no longer sends traffic
    workload: np.ndarray  # index into Platform.workloads order
    country: np.ndarray  # index into countries
    language: np.ndarray  # index into languages
    agent: np.ndarray  # bool
    byok: np.ndarray  # bool
    app: np.ndarray  # index into apps, -1 = direct API use
    rate: np.ndarray  # median requests per active week
    special: np.ndarray  # bool
    countries: list[str]
    continents: list[str]  # continent per country
    languages: list[str]
    apps: list[str]
    user_ids: pa.StringArray

    def __len__(self) -> int:
        return len(self.arrival)


def _weights_at(curves: dict, grid: WeekGrid) -> np.ndarray:
    """(weeks, len(curves)) probabilities from named curves evaluated at week midpoints."""
    mat = np.stack([c.at(grid.mids) for c in curves.values()], axis=1)
    mat = np.maximum(mat, 0.0)
    return mat / mat.sum(axis=1, keepdims=True)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (rows sum to 1)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cdf).sum(axis=1), probs.shape[1] - 1)


def draw_accounts(platform: Platform, grid: WeekGrid, n: int, seed: int) -> Accounts:
    """``n`` ordinary accounts plus the platform's special accounts."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    p = platform.platform
    weeks = len(grid)
    wl = list(platform.workloads.values())
    # arrival weeks: an initial population, then arrivals in proportion to the growth curve
    n0 = round(n * float(p["initial_accounts"]))
    intensity = platform.arrivals.at(grid.mids) * grid.days / 7.0
    later = rng.choice(weeks, size=n - n0, p=intensity / intensity.sum())
    arrival = np.sort(np.concatenate([np.zeros(n0, int), later]))
    # workload from its arrival week's mix
    mix = np.stack([w.arrival_share.at(grid.mids) for w in wl], axis=1)
    mix = mix / mix.sum(axis=1, keepdims=True)
    workload = _categorical(rng, mix[arrival])
    # billing country: continent mix of the arrival week, then the country within it
    countries = list(platform.countries)
    cont_names = list(platform.continents)
    cont = _categorical(rng, _weights_at(platform.continents, grid)[arrival])
    country = np.empty(n, int)
    for ci, cname in enumerate(cont_names):
        members = [
            i for i, c in enumerate(countries) if platform.countries[c]["continent"] == cname
        ]
        w = np.array([float(platform.countries[countries[i]]["weight"]) for i in members])
        sel = np.flatnonzero(cont == ci)
        country[sel] = np.array(members)[rng.choice(len(members), size=len(sel), p=w / w.sum())]
    languages = sorted({"en", *(str(c["language"]) for c in platform.countries.values())})
    lang_of = np.array([languages.index(str(platform.countries[c]["language"])) for c in countries])
    native = np.array([float(platform.countries[c]["native"]) for c in countries])
    language = np.where(rng.random(n) < native[country], lang_of[country], languages.index("en"))
    # size, agents, lifetime
    median = np.array([w.requests for w in wl])[workload]
    sigma = np.array([w.requests_sigma for w in wl])[workload]
    # lognormal sizes, truncated at two sigmas: no single account dominates a small run
    rate = median * np.exp(sigma * np.clip(rng.standard_normal(n), -3.0, 2.0))
    agent_share = np.stack([w.agent_share.at(grid.mids) for w in wl], axis=1)
    agent = rng.random(n) < agent_share[arrival, workload]
    stay = np.array([w.stay_weeks for w in wl])[workload]
    tryer = rng.random(n) < float(p["tryer_share"])
    mean_weeks = np.where(tryer, float(p["tryer_weeks"]), stay)
    exit_ = arrival + 1 + rng.geometric(1.0 / np.maximum(mean_weeks, 1.0)) - 1
    byok = rng.random(n) < float(platform.providers["byok_accounts"])
    # calling app by market
    apps: list[str] = []
    app = np.full(n, -1)
    markets = np.array([w.market for w in wl])[workload]
    for market, entries in platform.apps.items():
        sel = np.flatnonzero(markets == market)
        names = [str(e[0]) for e in entries]
        probs = np.array([float(e[1]) for e in entries])
        idx = [len(apps) + i for i in range(len(names))]
        apps.extend(names)
        pick = _categorical(
            rng, np.tile(np.append(probs, max(0.0, 1 - probs.sum())), (len(sel), 1))
        )
        app[sel] = np.where(pick < len(names), np.array([*idx, -1])[pick], -1)
    # special accounts
    names = list(platform.workloads)
    specials = platform.special_accounts
    s = len(specials)
    s_arrival = np.array([min(max(grid.index_of(a.start), 0), weeks) for a in specials], int)
    s_exit = np.array([min(max(grid.index_of(a.end) + 1, 0), weeks) for a in specials], int)
    s_country = np.array([countries.index(a.country) for a in specials], int)
    s_lang = np.array([languages.index(a.language) for a in specials], int)
    s_work = np.array([names.index(a.workload) for a in specials], int)
    total = n + s
    ids = hex_ids(b"u-", np.arange(total, dtype=np.uint64) + (np.uint64(seed) << np.uint64(40)), 12)
    return Accounts(
        arrival=np.concatenate([arrival, s_arrival]),
        exit=np.concatenate([exit_, s_exit]),
        workload=np.concatenate([workload, s_work]),
        country=np.concatenate([country, s_country]),
        language=np.concatenate([language, s_lang]),
        agent=np.concatenate([agent, np.ones(s, bool)]),
        byok=np.concatenate([byok, np.zeros(s, bool)]),
        app=np.concatenate([app, np.full(s, -1)]),
        rate=np.concatenate([rate, np.zeros(s)]),
        special=np.concatenate([np.zeros(n, bool), np.ones(s, bool)]),
        countries=countries,
        continents=[str(platform.countries[c]["continent"]) for c in countries],
        languages=languages,
        apps=apps,
        user_ids=ids,
    )
