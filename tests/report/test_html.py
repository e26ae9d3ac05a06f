"""The page: a snapshot of a tiny report, and its structure on a real run.

Refresh the snapshot after an intended change with
``TOKENCENSUS_UPDATE_SNAPSHOTS=1 pytest tests/report/test_html.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.report.tiny import tiny_result
from tokencensus.analyses import ARTIFACTS, PAPER_ORDER, SECTIONS
from tokencensus.chartspec import TableOnly
from tokencensus.report.front import HEADLINE_CARDS
from tokencensus.report.html import report_html

SNAPSHOTS = Path(__file__).parent / "snapshots"
BUNDLE = "/* the chart library */"


def _pretty(html: str) -> str:
    """One element per line, JSON payloads indented: a readable, diffable snapshot."""
    html = re.sub(r"(<script type=\"application/json\" id=\"[^\"]+\">)(.*?)(</script>)",
                  lambda m: m.group(1) + "\n" + json.dumps(json.loads(m.group(2).replace("<\\/", "</")), indent=1, ensure_ascii=False) + "\n" + m.group(3),
                  html, flags=re.S)  # fmt: skip
    return re.sub(r">(<(?!/(?:td|th|a|strong|em|code|summary|button)))", ">\n\\1", html)


def _json(html: str, element_id: str):
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert m, element_id
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_snapshot_of_a_tiny_report():
    html = _pretty(report_html(tiny_result(), bundle=BUNDLE))
    path = SNAPSHOTS / "tiny_report.html"
    if os.environ.get("TOKENCENSUS_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8")


def test_tiny_report_structure():
    html = report_html(tiny_result(), bundle=BUNDLE)
    assert html.count(BUNDLE) == 1
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert '<link rel="icon" href="data:,">' in html  # no favicon request
    # front page: every headline number, the input summary, the scorecard summary
    for key, *_ in HEADLINE_CARDS:
        assert f'data-key="{key}"' in html
    assert "40.0%–60.0%, n = 40" in html  # programming share with its interval
    assert "$0.73" in html
    assert "x/unknown" in html and "quarantine.jsonl" in html
    assert "1 / 2" in html and 'id="section-scorecard"' in html
    # blocks: chart, caption (escaped), method, data with CSV, query
    assert 'id="chart-F1"' in html and 'id="chart-T1"' in html and 'id="chart-T3"' not in html
    assert "T1 caption &lt;b&gt;escaped&lt;/b&gt;." in html
    assert "1 row(s) describe fewer than 10 distinct users" in html
    assert (
        "Dashed references: the paper&#x27;s published values" in html
        or "Dashed references: the paper's published values" in html
    )
    assert html.count('data-csv="') == 3 and html.count("<pre><code>SELECT") == 3
    assert "Paper vs. this run: 1 of 2 reproduced" in html
    # one copy of each drawn table; specs carry only guide rows
    tables, specs = _json(html, "tc-tables"), _json(html, "tc-specs")
    assert set(specs) == {"F1", "T1"} and set(tables) == {"F1", "T1", "T3"}
    assert all(spec["datasets"]["data"] == [] for spec in specs.values())
    assert len(tables["F1"]["rows"]) == 10


def test_no_reference_leaves_the_paper_out():
    html = report_html(tiny_result(scorecard=False), reference=False, bundle=BUNDLE)
    assert "paper:" not in html and "Dashed references" not in html
    assert 'id="section-scorecard"' not in html and 'class="scorecard-summary"' not in html
    # the reading hint and the footer mention dashed references only when some are drawn
    assert "Dashed lines" not in html and "dashed" not in html.lower()
    drawn = report_html(tiny_result(scorecard=False), bundle=BUNDLE)
    assert "Dashed lines are the paper" in drawn
    assert "the dashed paper references come from its published numbers" in drawn


def test_scorecard_misses_carry_their_reason():
    html = report_html(tiny_result(), bundle=BUNDLE)
    card = html[html.index('id="section-scorecard"') :]
    why = "known miss of the demo platform: the tiny platform has no closed models."
    # the misses list: id, published, measured and why; the table's note column
    misses = card[card.index('class="note misses"') : card.index('class="table-wrap"')]
    assert "<strong>F1.closed_mean</strong> (published ≈ 70%, measured 65.00%) — " + why in misses
    assert "F1.chinese_mean" not in misses
    assert "<th>note</th>" in card and f'<td class="why">{why}</td>' in card
    # the artifact block repeats it next to its statement
    block = html[html.index('<section class="artifact" id="F1"') : html.index('id="T1"')]
    assert f'<td class="why">{why}</td>' in block


def test_real_run_reads_like_the_paper(fixture_run):
    html = report_html(fixture_run, bundle=BUNDLE)
    ids = re.findall(r'<section class="artifact" id="([A-Z]\d+)"', html)
    assert ids == [a for a in PAPER_ORDER if a in ARTIFACTS]
    sections = re.findall(r'<section id="section-(\w+)" class="paper-section">', html)
    assert sections == list(SECTIONS)
    charts = set(re.findall(r'id="chart-([A-Z]\d+)"', html))
    assert charts == {a for a, art in ARTIFACTS.items() if not isinstance(art.chart, TableOnly)}
    assert "No chart" not in html
    # sampled artifacts say how large the sample is and how wide the intervals are
    f19 = html[html.index('id="F19"') : html.index('id="F20"')]
    assert "From the prompt sample:" in f19 and "95% intervals" in f19
    assert "paper: " in json.dumps(_json(html, "tc-specs")["F1"])
    # F18's weekly ratio band is one reference in the method line; F21's levels are listed
    f18 = html[html.index('id="F18"') : html.index('id="F19"')]
    assert f18.count("Programming 3-4x All") == 1
    f21 = html[html.index('id="F21"') : html.index('id="F22"')]
    assert "Roleplay: Games/Roleplaying Games ≈ 58-60%" in f21


@pytest.mark.parametrize("aid", sorted(ARTIFACTS))
def test_fixture_run_matches_the_registry(fixture_run, aid):
    """The committed fixture still has every artifact and the columns its chart reads
    (rebuild it with tests/report/make_fixture.py when this fails)."""
    res = fixture_run.results[aid]
    chart = ARTIFACTS[aid].chart
    wanted = {chart.x, chart.y, chart.color, chart.facet, *chart.tooltip} - {None, ""}
    assert wanted <= set(res.data.columns)
