"""The market: each account's model choices, week by week.

Every account has two *slots* (its main model and a second one, each taking a share of its
requests).  A slot chooses a model when the account arrives and switches with a weekly
hazard; a choice is a draw among the models on offer that week (other than the one being
left), in proportion to their pull on the account's workload
(``appeal x life x price^price_pref``, see ``models.py``).

Launches pull users over: the weekly hazard rises with the share of a market's pull that
is new that week (``launch_response``), and with how far the current model has faded from
its peak (``obsolete_boost``).  Three behaviours give the retention patterns of section 7:

* **fit** (foundational cohorts): a slot that picks a model within its launch window, for a
  workload the model *fits*, locks in with the model's ``lock_prob``: it re-chooses only at
  the low ``locked_hazard`` and the account stays on the platform longer;
* **churn**: some models are re-chosen away from faster (no cohort stays);
* **returns** (boomerang): during a model's return wave, slots that used it before and moved
  on come back with a weekly probability.

Same-family **upgrades** move users of a model to its successor in the weeks after the
successor's launch (except locked-in users, who stay: that is what makes them foundational).

The output is a plan: for each week and slot, the model and the expected number of requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tokencensus.simulate.accounts import Accounts
from tokencensus.simulate.models import PRICE_CAP, PRICE_FLOOR, Roster, WeekGrid
from tokencensus.simulate.platform import MARKETS, Platform

__all__ = ["Plan", "plan_market"]


@dataclass(frozen=True)
class Plan:
    """Week x slot: the model used (-1 = none) and the expected requests."""

    model: np.ndarray  # (weeks, slots) int16
    requests: np.ndarray  # (weeks, slots) float32
    slot_account: np.ndarray  # (slots,) account index
    locked_models: dict[int, list[int]]  # account -> models it locked in to

    @property
    def weekly_requests(self) -> np.ndarray:
        return self.requests.sum(axis=1, dtype=np.float64)


def _price_terms(platform: Platform, roster: Roster) -> np.ndarray:
    """(workloads, models): price^price_pref, the willingness-to-pay factor of each choice."""
    blended = np.clip(0.8 * roster.price_in + 0.2 * roster.price_out, PRICE_FLOOR, PRICE_CAP)
    prefs = np.array([w.price_pref for w in platform.workloads.values()])
    return blended[None, :] ** prefs[:, None]


class _Chooser:
    """Draws models for slots, one week at a time.

    Choice rows are (taste group, workload): accounts billed in a continent listed under
    ``[tastes]`` weigh models of the listed origins up (group 1..), the others do not (0).
    """

    def __init__(self, platform: Platform, roster: Roster, grid: WeekGrid) -> None:
        names = [w.market for w in platform.workloads.values()]
        base = roster.appeal[[MARKETS.index(m) for m in names], :] * _price_terms(platform, roster)
        rows = [base]
        for taste in platform.tastes.values():
            factor = np.array([float(taste.get(o, 1.0)) for o in roster.origin])
            applies = np.array([m in taste.get("markets", MARKETS) for m in names])
            rows.append(base * np.where(applies[:, None], factor[None, :], 1.0))
        self.workloads = base.shape[0]
        self.base = np.concatenate(rows, axis=0)
        self.life = roster.life
        # open_pull: a workload's week-by-week extra pull toward open-weights models
        pull = np.stack([w.open_pull.at(grid.mids) for w in platform.workloads.values()], axis=1)
        self.open_pull = np.tile(pull, (1, len(rows)))  # (weeks, rows)
        self.open = roster.open_weights

    def _pull(self, w: int) -> np.ndarray:
        factor = np.where(self.open[None, :], self.open_pull[w][:, None], 1.0)
        return self.base * factor * self.life[w][None, :]

    def row(self, group: np.ndarray, workload: np.ndarray) -> np.ndarray:
        return group * self.workloads + workload

    def novelty(self, w: int) -> np.ndarray:
        """(rows,): share of week w's pull that is new since last week (launches)."""
        now = self._pull(w)
        before = self._pull(w - 1) if w > 0 else now
        total = now.sum(axis=1)
        return np.maximum(now - before, 0.0).sum(axis=1) / np.where(total > 0, total, 1.0)

    def cdf(self, w: int) -> np.ndarray:
        pull = self._pull(w)
        total = pull.sum(axis=1, keepdims=True)
        cdf = np.cumsum(pull / np.where(total > 0, total, 1.0), axis=1)
        cdf[:, -1] = 1.0
        return cdf

    @staticmethod
    def draw(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.empty(len(rows), np.int64)
        for k in np.unique(rows):
            sel = np.flatnonzero(rows == k)
            out[sel] = np.searchsorted(cdf[k], rng.random(len(sel)), side="right")
        return np.minimum(out, cdf.shape[1] - 1)


def plan_market(
    platform: Platform, roster: Roster, accounts: Accounts, grid: WeekGrid, seed: int
) -> Plan:
    """Simulate every slot's model, week by week, and the requests it carries."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    p = platform.platform
    weeks, n_acc = len(grid), len(accounts)
    ordinary = np.flatnonzero(~accounts.special)
    shares = [float(x) for x in p["slot_shares"]]
    first = np.clip(shares[0] + 0.12 * rng.standard_normal(len(ordinary)), 0.5, 0.95)
    slot_account = np.concatenate([ordinary, ordinary])
    slot_share = np.concatenate([first, 1.0 - first])
    n_slots = len(slot_account)
    workload = accounts.workload[slot_account]
    tastes = list(platform.tastes)
    continent = np.array([accounts.continents[c] for c in accounts.country])[slot_account]
    group = np.zeros(len(slot_account), np.int64)
    for g, name in enumerate(tastes, start=1):
        group[continent == name] = g
    exit_ = accounts.exit.copy()
    model = np.full(n_slots, -1, np.int64)
    locked = np.zeros(n_slots, bool)
    ever = {m: np.zeros(n_slots, bool) for m, *_ in roster.returns}
    out_model = np.full((weeks, n_slots + int(accounts.special.sum())), -1, np.int16)
    out_req = np.zeros(out_model.shape, np.float32)
    chooser = _Chooser(platform, roster, grid)
    rows = chooser.row(group, workload)
    hazard, locked_hazard = float(p["switch_hazard"]), float(p["locked_hazard"])
    obsolete = float(p["obsolete_boost"])
    launch = float(p["launch_response"])
    peak = np.maximum(roster.life.max(axis=0), 1e-9)
    lock_extra = 1.0 / float(p["locked_weeks"])
    active_prob = float(p["active_prob"])
    growth = np.array([w.agent_growth for w in platform.workloads.values()])[workload]
    agent = accounts.agent[slot_account]
    locked_models: dict[int, list[int]] = {}
    for w in range(weeks):
        cdf = chooser.cdf(w)
        arrive = accounts.arrival[slot_account]
        alive = (arrive <= w) & (w < exit_[slot_account])
        new = alive & (arrive == w)
        old = alive & ~new
        cur = np.maximum(model, 0)
        faded = 1.0 - roster.life[w][cur] / peak[cur]
        h = hazard * roster.churn[cur] * (1 + obsolete * faded)
        h = np.minimum(h + launch * chooser.novelty(w)[rows], 1.0)
        h = np.where(locked, locked_hazard, h)
        gone = roster.life[w][cur] <= 0
        switch = new | (old & ((rng.random(n_slots) < h) | gone))
        idx = np.flatnonzero(switch)
        current = model[idx].copy()
        picked = chooser.draw(rng, cdf, rows[idx])
        for _ in range(3):  # a switch moves away: redraw picks of the model being left
            again = np.flatnonzero((picked == current) & (current >= 0))
            if not len(again):
                break
            picked[again] = chooser.draw(rng, cdf, rows[idx[again]])
        model[idx] = picked
        # upgrades: users of a model move to its successor in the weeks after its launch
        adopted = [idx]
        for new_m, olds, w0, w1, prob in roster.upgrades:
            if w0 <= w <= w1:
                up = alive & np.isin(model, olds) & ~locked & (rng.random(n_slots) < prob)
                model[up] = new_m
                adopted.append(np.flatnonzero(up))
        # fit: adopters in a model's launch window, for a workload it fits, lock in
        idx = np.unique(np.concatenate(adopted))
        picked = model[idx]
        can_lock = roster.fit[workload[idx], picked] & (w <= roster.fit_until[picked])
        lock = can_lock & (rng.random(len(idx)) < roster.lock_prob[picked])
        locked[idx] = lock
        for s in idx[lock]:
            acc = int(slot_account[s])
            exit_[acc] = max(exit_[acc], w + int(rng.geometric(lock_extra)))
            locked_models.setdefault(acc, []).append(int(model[s]))
        # returns: lapsed users of a model come back during its return wave
        for m, w0, w1, prob in roster.returns:
            if w0 <= w <= w1:
                back = alive & ever[m] & (model != m) & ~locked
                back &= rng.random(n_slots) < prob
                model[back] = m
        for m in ever:
            ever[m] |= alive & (model == m)
        active = (rng.random(n_acc) < active_prob)[slot_account] & alive
        tenure = w - arrive
        boost = np.where(agent, np.minimum(1.0 + growth * tenure, 3.0), 1.0)
        rate = accounts.rate[slot_account] * slot_share * boost * grid.days[w] / 7.0
        out_model[w, :n_slots] = np.where(active, model, -1)
        out_req[w, :n_slots] = np.where(active, rate, 0.0)
    # special accounts: a scripted share of each week's requests on one model
    names = list(platform.workloads)
    for j, spec in enumerate(platform.special_accounts):
        acc = int(np.flatnonzero(accounts.special)[j])
        col = n_slots + j
        if accounts.arrival[acc] >= accounts.exit[acc]:
            continue  # its episode falls outside the simulated span
        m = roster.index(spec.model)
        for w in range(accounts.arrival[acc], accounts.exit[acc]):
            total = float(out_req[w, :n_slots].sum(dtype=np.float64))
            out_model[w, col] = m
            out_req[w, col] = spec.request_share / (1.0 - spec.request_share) * total
        assert names[accounts.workload[acc]] == spec.workload
    specials = np.flatnonzero(accounts.special)
    return Plan(
        model=out_model,
        requests=out_req,
        slot_account=np.concatenate([slot_account, specials]),
        locked_models=locked_models,
    )
