"""The platform's parameters: ``data/platform.toml`` read into typed, validated objects.

Every number that shapes the simulated gateway lives in that one file, each with a comment
naming the paper figure it serves.  This module only parses and checks it; the mechanisms
that turn parameters into behaviour are in ``accounts.py``, ``market.py`` and ``generate.py``.

Time-varying parameters are *curves*: ``[[date, value], ...]``, linear between the points
and flat outside them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tokencensus.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ImportError as exc:  # pragma: no cover
        raise ImportError("tokencensus simulate needs 'tomli' on Python 3.10") from exc

__all__ = [
    "MARKETS",
    "Curve",
    "LabelSpec",
    "ModelSpec",
    "Platform",
    "SpecialAccount",
    "Workload",
    "load_platform",
]

#: Model markets: groups of workloads that choose among models the same way.
MARKETS: tuple[str, ...] = ("code", "tech", "rp", "chat", "trans", "know")


@dataclass(frozen=True)
class Curve:
    """A piecewise-linear function of the calendar date."""

    days: np.ndarray  # datetime64[D]
    values: np.ndarray  # float64

    @classmethod
    def parse(cls, value: object, where: str) -> Curve:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(np.array(["2000-01-01"], "datetime64[D]"), np.array([float(value)]))
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where}: expected a number or [[date, value], ...], got {value!r}.")
        days, values = [], []
        for point in value:
            if not (isinstance(point, list) and len(point) == 2):
                raise ConfigError(f"{where}: each point is [date, value], got {point!r}.")
            days.append(np.datetime64(_date(point[0], where), "D"))
            values.append(_number(point[1], where))
        d = np.array(days, "datetime64[D]")
        if np.any(np.diff(d.astype(np.int64)) <= 0):
            raise ConfigError(f"{where}: curve dates must increase, got {[str(x) for x in d]}.")
        return cls(d, np.array(values, float))

    def at(self, days: np.ndarray) -> np.ndarray:
        """Values on ``days`` (datetime64[D] array)."""
        x = days.astype("datetime64[D]").astype(np.int64).astype(float)
        return np.interp(x, self.days.astype(np.int64).astype(float), self.values)


@dataclass(frozen=True)
class Workload:
    """One content category as accounts practise it (``[workloads.<Category>]``)."""

    name: str
    market: str
    arrival_share: Curve
    requests: float
    requests_sigma: float
    agent_share: Curve
    agent_growth: float
    prompt_mean: Curve
    prompt_sigma: float
    agent_prompt: float
    completion_mean: Curve
    completion_sigma: float
    reasoning_mean: Curve
    tool_prob: Curve
    tool_prob_other: float
    cache_share: float
    price_pref: float
    stream: float
    english: float
    stay_weeks: float
    open_pull: Curve


@dataclass(frozen=True)
class LabelSpec:
    """Classifier labels a sampled event of this category gets (``[labels.<Category>]``)."""

    primary: tuple[tuple[str, float], ...]
    secondary: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class ModelSpec:
    """A headline model (``[[models]]``): its appeal per market and its life on the platform."""

    slug: str
    appeal: dict[str, float]
    ramp_weeks: float
    plateau_weeks: float
    half_life_weeks: float
    floor: float
    until: date | None
    fit: tuple[str, ...]
    fit_window_days: int
    lock_prob: float
    churn: float
    free: tuple[tuple[date, date], ...]
    returns: tuple[tuple[date, int, float], ...]
    reasoning_effort: float
    boost: tuple[tuple[date, date, float], ...]
    tools: float
    cache: float | None
    replaces: tuple[str, ...]
    upgrade: float
    upgrade_weeks: int


@dataclass(frozen=True)
class SpecialAccount:
    """One named large account with a scripted episode (``[[special_accounts]]``)."""

    name: str
    workload: str
    model: str
    country: str
    language: str
    start: date
    end: date
    request_share: float
    prompt_mean: float
    tool_prob: float


@dataclass(frozen=True)
class Platform:
    """Everything ``data/platform.toml`` says, validated."""

    simulation: dict[str, Any]
    platform: dict[str, Any]
    arrivals: Curve
    workloads: dict[str, Workload]
    incidental: dict[str, float]
    labels: dict[str, LabelSpec]
    noise_paths: tuple[str, ...]
    noise_prob: float
    continents: dict[str, Curve]
    countries: dict[str, dict[str, Any]]
    providers: dict[str, Any]
    finish: dict[str, Any]
    tail: dict[str, Any]
    apps: dict[str, list[list[Any]]]
    tastes: dict[str, dict[str, Any]]
    models: tuple[ModelSpec, ...]
    special_accounts: tuple[SpecialAccount, ...]
    source: str = field(default="data/platform.toml")

    def model(self, slug: str) -> ModelSpec | None:
        for m in self.models:
            if m.slug == slug:
                return m
        return None


# ------------------------------------------------------------------ parsing helpers
def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}.") from None


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: expected a number, got {value!r}.")
    return float(value)


def _get(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing key '{key}'.")
    return table[key]


def _workload(name: str, t: Mapping[str, Any], defaults: Mapping[str, Any]) -> Workload:
    where = f"[workloads.{name}]"
    merged = {**defaults, **t}

    def num(key: str) -> float:
        return _number(_get(merged, key, where), f"{where} {key}")

    def curve(key: str) -> Curve:
        return Curve.parse(_get(merged, key, where), f"{where} {key}")

    market = _get(merged, "market", where)
    if market not in MARKETS:
        raise ConfigError(f"{where} market: expected one of {MARKETS}, got {market!r}.")
    return Workload(
        name=name,
        market=market,
        arrival_share=curve("arrival_share"),
        requests=num("requests"),
        requests_sigma=num("requests_sigma"),
        agent_share=curve("agent_share"),
        agent_growth=num("agent_growth"),
        prompt_mean=curve("prompt_mean"),
        prompt_sigma=num("prompt_sigma"),
        agent_prompt=num("agent_prompt"),
        completion_mean=curve("completion_mean"),
        completion_sigma=num("completion_sigma"),
        reasoning_mean=curve("reasoning_mean"),
        tool_prob=curve("tool_prob"),
        tool_prob_other=num("tool_prob_other"),
        cache_share=num("cache_share"),
        price_pref=num("price_pref"),
        stream=num("stream"),
        english=num("english"),
        stay_weeks=num("stay_weeks"),
        open_pull=curve("open_pull"),
    )


def _model(t: Mapping[str, Any], defaults: Mapping[str, Any]) -> ModelSpec:
    slug = str(_get(t, "slug", "[[models]]"))
    where = f"[[models]] {slug}"
    merged = {**defaults, **t}
    appeal = dict(_get(merged, "appeal", where))
    unknown = set(appeal) - set(MARKETS)
    if unknown:
        raise ConfigError(f"{where} appeal: unknown markets {sorted(unknown)}; use {MARKETS}.")
    free = tuple((_date(a, where), _date(b, where)) for a, b in merged.get("free", []))
    returns = tuple(
        (_date(r["date"], where), int(r["weeks"]), _number(r["prob"], where))
        for r in merged.get("returns", [])
    )
    boost = tuple(
        (_date(b["from"], where), _date(b["to"], where), _number(b["factor"], where))
        for b in merged.get("boost", [])
    )
    until = merged.get("until")
    return ModelSpec(
        slug=slug,
        appeal={m: float(appeal.get(m, 0.0)) for m in MARKETS},
        ramp_weeks=_number(merged["ramp_weeks"], where),
        plateau_weeks=_number(merged["plateau_weeks"], where),
        half_life_weeks=_number(merged["half_life_weeks"], where),
        floor=_number(merged["floor"], where),
        until=_date(until, where) if until else None,
        fit=tuple(merged.get("fit", ())),
        fit_window_days=int(merged.get("fit_window_days", 0)),
        lock_prob=_number(merged.get("lock_prob", 0.0), where),
        churn=_number(merged.get("churn", 1.0), where),
        free=free,
        returns=returns,
        reasoning_effort=_number(merged.get("reasoning_effort", 1.0), where),
        boost=boost,
        tools=_number(merged.get("tools", 1.0), where),
        cache=_number(merged["cache"], where) if "cache" in merged else None,
        replaces=tuple(str(x) for x in merged.get("replaces", ())),
        upgrade=_number(merged.get("upgrade", 0.0), where),
        upgrade_weeks=int(merged.get("upgrade_weeks", 4)),
    )


def _special(t: Mapping[str, Any]) -> SpecialAccount:
    where = f"[[special_accounts]] {t.get('name', '?')}"
    return SpecialAccount(
        name=str(_get(t, "name", where)),
        workload=str(_get(t, "workload", where)),
        model=str(_get(t, "model", where)),
        country=str(_get(t, "country", where)),
        language=str(_get(t, "language", where)),
        start=_date(_get(t, "start", where), where),
        end=_date(_get(t, "end", where), where),
        request_share=_number(_get(t, "request_share", where), where),
        prompt_mean=_number(_get(t, "prompt_mean", where), where),
        tool_prob=_number(_get(t, "tool_prob", where), where),
    )


def parse_platform(raw: Mapping[str, Any], source: str = "data/platform.toml") -> Platform:
    """Validate a parsed platform file."""
    try:
        wl_defaults = raw["workloads"].get("defaults", {})
        workloads = {
            name: _workload(name, t, wl_defaults)
            for name, t in raw["workloads"].items()
            if name != "defaults"
        }
        labels = {
            name: LabelSpec(
                primary=tuple((str(p), float(w)) for p, w in t["primary"]),
                secondary=tuple((str(p), float(w)) for p, w in t.get("secondary", [])),
            )
            for name, t in raw["labels"].items()
            if name != "noise"
        }
        model_defaults = raw.get("model_defaults", {})
        models = tuple(_model(t, model_defaults) for t in raw.get("models", []))
        platform = dict(raw["platform"])
        continents = {
            k: Curve.parse(v, f"[regions] {k}") for k, v in raw["regions"]["arrival"].items()
        }
    except KeyError as exc:
        raise ConfigError(f"{source}: missing section or key {exc}.") from None
    missing = set(workloads) - set(labels)
    if missing:
        raise ConfigError(f"{source}: workloads without [labels.*]: {sorted(missing)}.")
    seen: set[str] = set()
    for m in models:
        if m.slug in seen:
            raise ConfigError(f"{source}: model {m.slug!r} is listed twice under [[models]].")
        seen.add(m.slug)
        bad = set(m.fit) - set(workloads)
        if bad:
            raise ConfigError(f"{source}: model {m.slug} fits unknown workloads {sorted(bad)}.")
    for c, info in raw["countries"].items():
        if info["continent"] not in continents:
            raise ConfigError(f"{source}: country {c} has unknown continent {info['continent']!r}.")
    incidental = {str(k): float(v) for k, v in raw["incidental"].items()}
    if set(incidental) - set(workloads):
        raise ConfigError(f"{source}: [incidental] names unknown workloads.")
    return Platform(
        simulation=dict(raw["simulation"]),
        platform=platform,
        arrivals=Curve.parse(platform["arrivals"], "[platform] arrivals"),
        workloads=workloads,
        incidental=incidental,
        labels=labels,
        noise_paths=tuple(raw["labels"].get("noise", {}).get("paths", ())),
        noise_prob=float(raw["labels"].get("noise", {}).get("prob", 0.0)),
        continents=continents,
        countries={str(k): dict(v) for k, v in raw["countries"].items()},
        providers=dict(raw["providers"]),
        finish=dict(raw["finish"]),
        tail=dict(raw["tail"]),
        apps={str(k): list(v) for k, v in raw.get("apps", {}).items()},
        tastes={str(k): dict(v) for k, v in raw.get("tastes", {}).items()},
        models=models,
        special_accounts=tuple(_special(t) for t in raw.get("special_accounts", [])),
        source=source,
    )


def load_platform(path: str | Path | None = None) -> Platform:
    """The shipped platform (``simulate/data/platform.toml``), or your own file in its format."""
    if path is None:
        text = (
            resources.files("tokencensus.simulate")
            .joinpath("data/platform.toml")
            .read_text("utf-8")
        )
        source = "data/platform.toml"
    else:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"Platform file {path} does not exist. Start from the shipped one.")
        text, source = p.read_text("utf-8"), str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Platform file {source} is not valid TOML: {exc}.") from None
    return parse_platform(raw, source)
