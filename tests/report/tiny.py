"""A tiny hand-made study result: three artifacts with known numbers, a fixed manifest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from tokencensus.analyses import ARTIFACTS
from tokencensus.study import ArtifactResult, StudyResult

WEEKS = [date(2025, 5, 5), date(2025, 5, 12), date(2025, 5, 19)]


def f1_data() -> pd.DataFrame:
    rows = []
    for i, week in enumerate(WEEKS):
        for source, share in (
            ("Closed", 0.70 - 0.05 * i),
            ("Chinese OSS", 0.12),
            ("RoW OSS", 0.18 + 0.05 * i),
        ):
            rows.append(
                {
                    "week": week,
                    "source_type": source,
                    "tokens": share * 1000,
                    "share": share,
                    "users": 20,
                    "suppressed": False,
                }
            )
    rows.append(
        {
            "week": WEEKS[2],
            "source_type": "Unknown",
            "tokens": None,
            "share": None,
            "users": None,
            "suppressed": True,
        }
    )
    return pd.DataFrame(rows)


def tiny_result(*, scorecard: bool = True) -> StudyResult:
    markers = pd.DataFrame(
        [
            {
                "model": "deepseek/deepseek-r1",
                "label": "DeepSeek: R1",
                "release_date": date(2025, 5, 14),
            }
        ]
    )
    t1 = pd.DataFrame(
        {
            "author": ["DeepSeek", "Qwen", "通义千问 Lab"],
            "tokens": [900, 500, 100],
            "users": [30, 20, 12],
            "suppressed": [False] * 3,
        }
    )
    t3 = pd.DataFrame(
        {"segment": ["premium leaders"], "model": ["anthropic/claude-sonnet-4"], "name": ["Anthropic: Claude Sonnet 4"],
         "price_per_m": [1.94], "usage_log": [6.84], "tokens": [7.0e12]}
    )  # fmt: skip
    results = {
        "F1": ArtifactResult(
            ARTIFACTS["F1"], f1_data(), "SELECT 1 AS f1", "F1 caption.", {"markers": markers}, 1
        ),
        "T1": ArtifactResult(
            ARTIFACTS["T1"], t1, "SELECT 2 AS t1", "T1 caption <b>escaped</b>.", {}, 0
        ),
        "T3": ArtifactResult(ARTIFACTS["T3"], t3, "SELECT 3 AS t3", "T3 caption.", {}, 0),
    }
    manifest = {
        "tokencensus_version": "0.0.test",
        "created_at": "2025-12-01T00:00:00+00:00",
        "engine": "duckdb",
        "rows": {"read": 12, "quarantined": 1, "duplicates": 2, "loaded": 9, "outside_window": 0, "events": 9},
        "unknown_models": {"models": 1, "events": 1, "tokens": 10, "list": [{"model": "x/unknown", "events": 1, "tokens": 10}]},
        "window": {"start": None, "end": None, "first_week": "2025-05-05", "last_week": "2025-05-19", "weeks": 3},
        "privacy": {"min_users": 10, "suppressed_cells": 1},
        "headline": {
            "events": 9, "tokens": 3000, "models": 3, "authors": 3, "oss_share": 0.35, "chinese_oss_share": 0.12,
            "reasoning_share": 0.4, "tool_call_share": 0.1, "median_cost_per_m": 0.73, "programming_share": 0.5,
            "programming_share_low": 0.4, "programming_share_high": 0.6, "programming_sample_events": 40,
        },
        "artifacts": [{"id": k, "caption": v.caption, "suppressed": v.suppressed} for k, v in results.items()],
    }  # fmt: skip
    if scorecard:
        manifest["scorecard"] = {
            "summary": {"statements": 2, "measurable": 2, "passed": 1, "failed": 1, "not_measurable": 0, "pass_rate": 0.5},
            "rows": [
                {"id": "F1.chinese_mean", "artifact": "F1", "statement": "Chinese OSS weekly share, mean over the window",
                 "kind": "share_pp", "published": "13.0%", "measured": "12.00%", "tolerance": "±2 pp", "status": "pass", "note": ""},
                {"id": "F1.closed_mean", "artifact": "F1", "statement": "Closed weekly share, mean over the window",
                 "kind": "approx_pp", "published": "≈ 70%", "measured": "65.00%", "tolerance": "±5 pp", "status": "fail",
                 "note": "known miss of the demo platform: the tiny platform has no closed models."},
            ],
        }  # fmt: skip
    return StudyResult(out_dir=Path("."), manifest=manifest, results=results)
