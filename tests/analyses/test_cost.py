"""F27/F28/T3: effective cost, the elasticity fit (a known slope is recovered) and segments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import compute, make_events
from tokencensus.analyses import StudyConfig
from tokencensus.analyses.cost import fit_elasticity

MODELS = [
    "anthropic/claude-sonnet-4",
    "openai/gpt-4o-mini",
    "deepseek/deepseek-chat",
    "meta-llama/llama-3.3-70b-instruct",
]


def one_event_per_model(points, byok_extra=False):
    """points: (model, cost per 1M, usage_log) -> one event with those totals."""
    rows = []
    for i, (model, cost_per_m, usage_log) in enumerate(points):
        tokens = round(10**usage_log * 1e6)
        rows.append({
            "id": f"e{i}", "created_at": __import__("datetime").datetime(2025, 5, 5),
            "user_id": f"u{i}", "model": model, "prompt_tokens": tokens, "completion_tokens": 0,
            "cost_usd": cost_per_m * tokens / 1e6,
        })  # fmt: skip
    if byok_extra:  # BYOK traffic must not move the effective cost
        rows.append({
            "id": "byok", "created_at": __import__("datetime").datetime(2025, 5, 5),
            "user_id": "u0", "model": points[0][0], "prompt_tokens": 10**9, "completion_tokens": 0,
            "cost_usd": 0.0, "is_byok": True,
        })  # fmt: skip
    return make_events(rows)


def test_fit_recovers_a_known_slope():
    rng = np.random.default_rng(3)
    log_cost = rng.uniform(-2, 2, 400)
    usage = 3.0 - 0.06 * log_cost + rng.normal(0, 0.05, 400)
    fit = fit_elasticity(log_cost, usage)
    assert fit["slope_low"] < -0.06 < fit["slope_high"]
    assert fit["slope_high"] - fit["slope_low"] < 0.02
    assert fit["n"] == 400


@pytest.mark.parametrize("n", [3, 7, 120])
def test_fit_matches_scipy_linregress(n):
    from scipy import stats

    rng = np.random.default_rng(n)
    log_cost = rng.uniform(-2, 2, n)
    usage = 1.5 - 0.3 * log_cost + rng.normal(0, 0.4, n)
    fit = fit_elasticity(log_cost, usage)
    ref = stats.linregress(log_cost, usage)
    half = stats.t.ppf(0.975, n - 2) * ref.stderr
    assert fit["slope"] == pytest.approx(ref.slope, rel=1e-12)
    assert fit["intercept"] == pytest.approx(ref.intercept, rel=1e-12)
    assert fit["r2"] == pytest.approx(ref.rvalue**2, rel=1e-12)
    assert fit["slope_low"] == pytest.approx(ref.slope - half, rel=1e-12)
    assert fit["slope_high"] == pytest.approx(ref.slope + half, rel=1e-12)


def test_fit_needs_spread():
    assert math.isnan(fit_elasticity(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0]))["slope"])


def test_f27_exact_line(small_catalog, engine_name):
    points = list(zip(MODELS, [0.1, 1, 10, 100], [2.0, 1.9, 1.8, 1.7], strict=True))
    res = compute(one_event_per_model(points, byok_extra=True), small_catalog,
                  engine_name=engine_name, config=StudyConfig(min_users=0), ids=["F27"])  # fmt: skip
    f27 = res["F27"].set_index("model")
    assert f27.loc["openai/gpt-4o-mini", "cost_per_m"] == pytest.approx(1.0)
    assert f27.loc["anthropic/claude-sonnet-4", "usage_log"] == pytest.approx(2.0, abs=1e-6)
    assert f27.loc["anthropic/claude-sonnet-4", "fitted_usage_log"] == pytest.approx(2.0, abs=1e-6)


def test_f27_fit_extra(small_catalog):
    from tokencensus.analyses import ARTIFACTS
    from tokencensus.engine import connect, get_engine
    from tokencensus.study import Study

    points = list(zip(MODELS, [0.1, 1, 10, 100], [2.0, 1.9, 1.8, 1.7], strict=True))
    study = Study(connect(), get_engine("duckdb"), small_catalog, StudyConfig(min_users=0))
    study.load_events_table(one_event_per_model(points))
    fit = study.compute(ARTIFACTS["F27"], with_sql=False).extras["fit"].iloc[0]
    assert fit["slope"] == pytest.approx(-0.1, abs=1e-6)
    assert fit["r2"] == pytest.approx(1.0)
    assert fit["n"] == 4


def test_f28_segments_and_t3_examples(small_catalog):
    points = [
        ("deepseek/deepseek-chat", 0.2, 3.0),  # cheap, heavily used -> efficient giants
        ("anthropic/claude-sonnet-4", 2.0, 3.2),  # dear, heavily used -> premium leaders
        ("meta-llama/llama-3.3-70b-instruct", 0.05, 1.0),  # cheap, little used -> long tail
        ("openai/gpt-4o-mini", 30.0, 1.5),  # dear, little used -> premium specialists
    ]
    res = compute(one_event_per_model(points), small_catalog, config=StudyConfig(min_users=0),
                  ids=["F28", "T3"])  # fmt: skip
    seg = res["F28"].set_index("model")["segment"].to_dict()
    assert seg == {
        "deepseek/deepseek-chat": "efficient giants",
        "anthropic/claude-sonnet-4": "premium leaders",
        "meta-llama/llama-3.3-70b-instruct": "long tail",
        "openai/gpt-4o-mini": "premium specialists",
    }
    t3 = res["T3"]
    assert list(t3.columns) == ["segment", "model", "name", "price_per_m", "usage_log", "tokens"]
    assert list(t3["segment"]) == [
        "premium leaders",
        "efficient giants",
        "long tail",
        "premium specialists",
    ]
    assert t3.set_index("model").loc["openai/gpt-4o-mini", "price_per_m"] == pytest.approx(30.0)
