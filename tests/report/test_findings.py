"""F25's detected cohort patterns and F27's fitted elasticity, stated in their blocks."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from tokencensus.analyses import StudyConfig
from tokencensus.report.findings import pattern_rules
from tokencensus.report.html import report_html

BUNDLE = "/* the chart library */"


def _block(html: str, aid: str) -> str:
    start = html.index(f'<section class="artifact" id="{aid}"')
    end = html.index("</section>", start)
    return html[start:end]


def _text(fragment: str) -> str:
    return re.sub(r"<[^>]+>", " ", fragment)


def _with_patterns(run):
    f25 = run.results["F25"]
    found = pd.DataFrame(
        {"model": ["anthropic/claude-sonnet-4"], "cohort_month": ["2025-05-01"], "month_offset": [5],
         "retention": [0.41], "later_cohorts": [3], "later_median": [0.22], "margin": [0.19]}
    )  # fmt: skip
    boom = pd.DataFrame(
        {"model": ["deepseek/deepseek-r1"], "cohort_month": ["2025-01-01"], "trough_offset": [2],
         "trough": [0.10], "rise_offset": [4], "retention": [0.18], "rise": [0.08]}
    )  # fmt: skip
    extras = {**f25.extras, "foundational": found, "boomerang": boom}
    results = {**run.results, "F25": replace(f25, extras=extras)}
    return replace(run, results=results)


def test_f25_lists_detected_cohorts_under_their_rules(fixture_run):
    names = dict(zip(fixture_run.results["F25"].data["model"], fixture_run.results["F25"].data["name"], strict=False))  # fmt: skip
    block = _block(report_html(_with_patterns(fixture_run), bundle=BUNDLE), "F25")
    assert 'id="F25-patterns"' in block
    found_rule, boom_rule = pattern_rules()
    text = " ".join(_text(block).split())
    assert " ".join(found_rule.split()) in text and " ".join(boom_rule.split()) in text
    assert "at least 10 points" in found_rule and "largest of 5, 4, 3" in found_rule
    assert "at least 5 points above its lowest value since month 1" in boom_rule
    assert "at least 50 users" in found_rule
    row = f"{names['anthropic/claude-sonnet-4']} 2025-05 5 41.0% 22.0% 3 +19.0 pp"
    assert row in text
    assert f"{names['deepseek/deepseek-r1']} 2025-01 10.0% at month 2 4 18.0% +8.0 pp" in text


def test_f25_says_when_nothing_was_detected(fixture_run):
    # the committed fixture run detects neither pattern (its tables are empty)
    assert fixture_run.results["F25"].extras["foundational"].empty
    text = _text(_block(report_html(fixture_run, bundle=BUNDLE), "F25"))
    assert "No foundational cohort detected." in text and "No boomerang rise detected." in text
    assert "Rule." in text


def test_rules_follow_the_config():
    found, boom = pattern_rules(
        StudyConfig(foundational_margin=0.15, foundational_offsets=(6, 3), boomerang_rise=0.08,
                    min_cohort_users=20)
    )  # fmt: skip
    assert "at least 15 points" in found and "largest of 6, 3" in found and "20 users" in found
    assert "at least 8 points" in boom


def test_f27_states_the_fitted_elasticity(fixture_run):
    fit = fixture_run.results["F27"].extras["fit"].iloc[0]
    block = _block(report_html(fixture_run, bundle=BUNDLE), "F27")
    sentence = re.search(r'<p class="caption fit" id="F27-fit">(.*?)</p>', block).group(1)
    assert sentence == (
        f"Fitted log-log line over {int(fit['n'])} models: slope (price elasticity of usage) "
        f"{fit['slope']:.3f}, 95% interval {fit['slope_low']:.3f} to {fit['slope_high']:.3f}, "
        f"R² = {fit['r2']:.3f}; a 10% lower price goes with 0.48% more usage along the line."
    )
    assert (round(fit["slope"], 3), round(fit["r2"], 3)) == (-0.045, 0.003)  # the fixture's


def test_f27_without_a_fit_says_why(fixture_run):
    f27 = fixture_run.results["F27"]
    nan = pd.DataFrame([{"n": 2, "slope": float("nan"), "slope_low": float("nan"),
                         "slope_high": float("nan"), "intercept": float("nan"), "r2": float("nan")}])  # fmt: skip
    run = replace(
        fixture_run, results={**fixture_run.results, "F27": replace(f27, extras={"fit": nan})}
    )
    block = _block(report_html(run, bundle=BUNDLE), "F27")
    assert "No fitted line over 2 models: the fit needs at least three models" in block
    assert "slope (price elasticity" not in block
