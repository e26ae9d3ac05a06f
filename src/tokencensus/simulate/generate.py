"""Events: the plan's requests turned into canonical generation events, one week at a time.

Each week's event count is the run's size in proportion to the week's planned requests;
within the week the events are spread over the slots (multinomial on planned requests) and
generated in chunks of at most ``chunk_events`` rows, each chunk fully vectorised with numpy
and returned as an Arrow table in :data:`tokencensus.schema.EVENT_SCHEMA`.  Every week and
chunk has its own random stream derived from the seed, so the output does not depend on
thread scheduling, and memory is bounded by the chunk size whatever the run's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from tokencensus.schema import EVENT_SCHEMA, FINISH_REASONS
from tokencensus.simulate.accounts import Accounts, hex_ids
from tokencensus.simulate.market import Plan
from tokencensus.simulate.models import Roster, WeekGrid
from tokencensus.simulate.platform import Platform
from tokencensus.simulate.workloads import LabelTables, WorkloadTables

__all__ = ["Generator", "weekly_counts"]

_DAY_US = 86_400_000_000
_STOP, _LENGTH, _TOOL, _FILTER, _ERROR, _CANCEL = (
    FINISH_REASONS.index(r)
    for r in ("stop", "length", "tool_calls", "content_filter", "error", "cancelled")
)
#: Provider-native finish reasons by family (OpenAI-style, Anthropic, Google); None = absent.
_NATIVE: tuple[tuple[str | None, ...], ...] = (
    ("stop", "length", "tool_calls", "content_filter", "error", None, "stop"),
    ("end_turn", "max_tokens", "tool_use", "refusal", "error", None, "stop_sequence"),
    ("STOP", "MAX_TOKENS", "STOP", "SAFETY", "OTHER", None, "OTHER"),
)


def weekly_counts(requests: np.ndarray, n_events: int) -> np.ndarray:
    """Split ``n_events`` over weeks in proportion to ``requests`` (largest remainder)."""
    share = requests / requests.sum() * n_events
    counts = np.floor(share).astype(np.int64)
    rest = n_events - int(counts.sum())
    if rest:
        order = np.argsort(-(share - counts), kind="stable")
        counts[order[:rest]] += 1
    return counts


def _lognormal(rng: np.random.Generator, mean: np.ndarray, sigma: np.ndarray | float) -> np.ndarray:
    """Lognormal draws with the given means (not medians)."""
    sigma = np.asarray(sigma, float)
    return mean * np.exp(sigma * rng.standard_normal(len(mean)) - 0.5 * sigma * sigma)


def _strings(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def _take(vocab: pa.Array, idx: np.ndarray) -> pa.Array:
    """vocab[idx], null where idx < 0."""
    mask = idx < 0
    if mask.any():
        return vocab.take(pa.array(np.where(mask, 0, idx), mask=mask))
    return vocab.take(pa.array(idx))


@dataclass
class Generator:
    """Everything a week's events are drawn from (read-only, shared by worker threads)."""

    platform: Platform
    grid: WeekGrid
    roster: Roster
    accounts: Accounts
    plan: Plan
    workloads: WorkloadTables
    labels: LabelTables
    seed: int
    sample_rate: float
    categories_from: date
    tools_provided_from: date
    chunk_events: int

    def __post_init__(self) -> None:
        r, a = self.roster, self.accounts
        self._models = _strings(r.slugs)
        self._providers = _strings(r.providers)
        self._countries = _strings(a.countries)
        self._languages = _strings(a.languages)
        self._apps = _strings(a.apps)
        self._finish = _strings(list(FINISH_REASONS))
        native = sorted({x for row in _NATIVE for x in row if x is not None})
        self._native = _strings(native)
        self._native_idx = np.array(
            [[native.index(x) if x is not None else -1 for x in row] for row in _NATIVE]
        )
        self._en = a.languages.index("en")
        self._cat_from_us = int(np.datetime64(self.categories_from, "us").astype(np.int64))
        self._tools_from_us = int(np.datetime64(self.tools_provided_from, "us").astype(np.int64))
        specials = np.flatnonzero(a.special)
        self._special_prompt = np.zeros(len(a))
        self._special_tool = np.zeros(len(a))
        for j, spec in enumerate(self.platform.special_accounts):
            self._special_prompt[specials[j]] = spec.prompt_mean
            self._special_tool[specials[j]] = spec.tool_prob
        fin = self.platform.finish
        c1 = float(fin["cancelled"])
        c2 = c1 + float(fin["error"])
        c3 = c2 + float(fin["length"])
        c4 = c3 + float(fin["content_filter"])
        self._finish_edges = np.array([c1, c2, c3, c4], np.float32)
        self._finish_codes = np.array([_CANCEL, _ERROR, _LENGTH, _FILTER, _STOP])
        self._filter_rp_edge = np.float32(c3 + float(fin["content_filter_rp"]))
        prov = self.platform.providers
        self._byok_share = float(prov["byok_share"])
        self._byok_fee = float(prov["byok_fee"])
        self._rp = self.workloads.market == "rp"

    # ------------------------------------------------------------------ allocation
    def chunks(self, w: int, n_week: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The week's (slots, counts) pieces, each holding at most ``chunk_events`` events."""
        if n_week == 0:
            return []
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(3, w)))
        req = self.plan.requests[w].astype(np.float64)
        slots = np.flatnonzero(req > 0)
        counts = rng.multinomial(n_week, req[slots] / req[slots].sum())
        keep = counts > 0
        slots, counts = slots[keep], counts[keep]
        size = self.chunk_events
        pieces = -(-counts // size)
        slots = np.repeat(slots, pieces)
        parts = np.repeat(counts, pieces)
        first = np.concatenate([[0], np.cumsum(pieces)[:-1]])
        rank = np.arange(len(slots)) - np.repeat(first, pieces)
        counts = np.minimum(parts - rank * size, size)
        out, start = [], 0
        cum = np.cumsum(counts)
        while start < len(slots):
            base = cum[start - 1] if start else 0
            stop = int(np.searchsorted(cum, base + size, side="right"))
            stop = max(stop, start + 1)
            out.append((slots[start:stop], counts[start:stop]))
            start = stop
        return out

    def week(self, w: int, n_week: int, first_index: int) -> Iterator[pa.Table]:
        """The week's events as canonical tables, one per chunk."""
        index = first_index
        for c, (slots, counts) in enumerate(self.chunks(w, n_week)):
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(4, w, c)))
            slot_idx = np.repeat(slots, counts)
            slot_idx = slot_idx[rng.permutation(len(slot_idx))]
            yield self.events(w, slot_idx, rng, index)
            index += len(slot_idx)

    # ---------------------------------------------------------------------- events
    def events(
        self, w: int, slot_idx: np.ndarray, rng: np.random.Generator, first: int
    ) -> pa.Table:
        r, a, wl = self.roster, self.accounts, self.workloads
        n = len(slot_idx)
        acc = self.plan.slot_account[slot_idx]
        model = self.plan.model[w, slot_idx].astype(np.intp)
        # one draw of every uniform and normal the chunk needs (float32 is plenty for them)
        u = rng.random((11, n), dtype=np.float32)
        z = rng.standard_normal((4, n), dtype=np.float32)
        # when: uniform over the week's days inside the span, in time order
        lo = int(np.datetime64(self.grid.first_day[w], "us").astype(np.int64))
        created = np.sort(lo + (rng.random(n) * (self.grid.days[w] * _DAY_US)).astype(np.int64))
        # what about: the account's workload, or an incidental side request
        special = a.special[acc]
        cat = a.workload[acc].astype(np.intp)
        side = np.flatnonzero((u[0] < wl.incidental_share) & ~special)
        cat[side] = np.searchsorted(wl.incidental_cdf, u[1][side], side="right")
        agent = a.agent[acc]
        # tokens (lognormal with the workload's mean for the week)
        prompt_mean = wl.prompt_mean[w][cat] * np.where(agent, wl.agent_prompt[cat], 1.0)
        if special.any():
            prompt_mean = np.where(special, self._special_prompt[acc], prompt_mean)
        sig = wl.prompt_sigma[cat]
        prompt = np.maximum(prompt_mean * np.exp(sig * z[0] - 0.5 * sig * sig), 1).astype(np.int64)
        sig = wl.completion_sigma[cat]
        visible = wl.completion_mean[w][cat] * np.exp(sig * z[1] - 0.5 * sig * sig)
        completion = np.maximum(visible, 1).astype(np.int64)
        thought = np.zeros(n, np.int64)
        reasons = np.flatnonzero(r.reasoning[model])
        mean = wl.reasoning_mean[w][cat[reasons]] * r.effort[model[reasons]]
        thought[reasons] = _lognormal(rng, mean, 0.6).astype(np.int64)
        completion += thought
        # who served it: only the author's own API (and closed models' clouds) cache prompts
        provider = r.provider_table[model, (u[2] * r.provider_table.shape[1]).astype(np.intp)]
        share = wl.cache_share[cat]
        frac = share + (u[3] - 0.5) * 2.0 * np.minimum(share, 1.0 - share)
        caches = (r.cache_read[model] > 0) & r.first_party[model, provider] & (prompt >= 1024)
        cached = np.where(caches, (prompt * frac).astype(np.int64), 0)
        # how it ended
        p_tool = np.where(agent, wl.tool_prob[w][cat], wl.tool_prob_other[cat])
        p_tool = np.minimum(p_tool * r.tools[model], 0.95)
        if special.any():
            p_tool = np.where(special, self._special_tool[acc], p_tool)
        tool = u[4] < p_tool
        finish = np.searchsorted(self._finish_edges, u[5], side="right")
        finish = self._finish_codes[finish]
        finish[self._rp[cat] & (finish == _STOP) & (u[5] < self._filter_rp_edge)] = _FILTER
        finish[tool] = _TOOL
        cancelled = finish == _CANCEL
        native = self._native_idx[r.family[model], finish]
        tools_known = created >= self._tools_from_us
        provided = agent | tool | (u[6] < 0.08)
        # price: list price, cached prompt tokens at the cached rate; free weeks; BYOK fee
        byok = a.byok[acc] & ~r.open_weights[model] & (u[7] < self._byok_share)
        pin = r.price_in[model]
        cost = (prompt - cached) * pin + cached * (pin * r.cache_read[model])
        cost = (cost + completion * r.price_out[model]) / 1e6
        cost = np.where(r.free[w][model] | (byok & (self._byok_fee == 0)), 0.0, cost)
        cost[byok] *= self._byok_fee
        # how fast (timings are whole milliseconds)
        latency = np.round(r.ttft_ms[model] * np.exp(0.5 * z[2]) * (1 + prompt / 50_000))
        gen_ms = np.round(latency + completion / r.tps[model] * 1000 * np.exp(0.3 * z[3]))
        streamed = u[8] < wl.stream[cat]
        language = np.where(u[9] < wl.english[cat], self._en, a.language[acc])
        sampled = (created >= self._cat_from_us) & (u[10] < self.sample_rate)
        ids = hex_ids(
            b"gen-",
            np.arange(first, first + n, dtype=np.uint64) + (np.uint64(self.seed) << np.uint64(40)),
        )
        columns = {
            "id": ids,
            "created_at": pa.array(created, pa.timestamp("us")),
            "user_id": a.user_ids.take(pa.array(acc)),
            "model": self._models.take(pa.array(model)),
            "prompt_tokens": pa.array(prompt),
            "completion_tokens": pa.array(completion),
            "cost_usd": pa.array(cost),
            "reasoning_tokens": pa.array(thought),
            "cached_tokens": pa.array(cached),
            "finish_reason": self._finish.take(pa.array(finish)),
            "native_finish_reason": _take(self._native, native),
            "tools_provided": pa.array(provided, mask=~tools_known),
            "streamed": pa.array(streamed),
            "cancelled": pa.array(cancelled),
            "is_byok": pa.array(byok),
            "provider": self._providers.take(pa.array(provider)),
            "app_id": _take(self._apps, a.app[acc]),
            "latency_ms": pa.array(latency),
            "generation_time_ms": pa.array(gen_ms),
            "billing_country": self._countries.take(pa.array(a.country[acc])),
            "prompt_language": self._languages.take(pa.array(language)),
            "categories": self.labels.draw(rng, cat, sampled),
            "sampled": pa.array(sampled),
        }
        return pa.Table.from_pydict(columns, schema=EVENT_SCHEMA)
