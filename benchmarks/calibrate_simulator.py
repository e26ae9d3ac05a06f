"""Calibrate the simulator: measure every published number straight from simulated events.

Simulates a run (or reads an existing store), computes each artifact of FIGURES.md with
DuckDB exactly as FIGURES.md defines it (token volume = prompt + completion, ISO weeks,
window 2024-11-03 .. 2025-11-30 for model-level analyses, categories from sampled events
with labels >= 0.5 weighted by confidence, effective cost without BYOK, monthly cohorts
over all months), in the data contracts the study's artifacts use, and scores them with
the same statements as the demo's scorecard.  This is how ``simulate/data/platform.toml``
was tuned; it is also a reference implementation to compare the study's artifacts with.

    python benchmarks/calibrate_simulator.py --events 1000000 --seed 0
    python benchmarks/calibrate_simulator.py --store demo/store --only F1,T1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from tokencensus.catalog import load_catalog
from tokencensus.enrich.classify.taxonomy import OTHERS, load_mapping
from tokencensus.enrich.reference import country_continents
from tokencensus.scorecard import score, summary

WINDOW = ("2024-11-03", "2025-11-30")
RETENTION_MODELS = (
    "anthropic/claude-sonnet-4",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-flash",
    "openai/gpt-4o-mini",
    "meta-llama/llama-4-maverick",
    "google/gemini-2.0-flash-001",
    "deepseek/deepseek-r1",
    "deepseek/deepseek-chat-v3-0324",
)


def connect(events_glob: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(
        f"""
        CREATE VIEW raw AS SELECT * FROM read_parquet('{events_glob}', hive_partitioning=false)
        """
    )
    cat = load_catalog().models
    models = cat[["slug", "author", "source_type", "size_class", "reasoning", "open_weights"]]
    con.register("models_df", models)
    con.execute("CREATE TABLE models AS SELECT * FROM models_df")
    cc = country_continents()
    con.register(
        "countries_df", pd.DataFrame({"country": list(cc), "continent": list(cc.values())})
    )
    con.execute("CREATE TABLE countries AS SELECT * FROM countries_df")
    con.execute(
        f"""
        CREATE TABLE ev AS
        SELECT e.*, CAST(date_trunc('week', created_at) AS DATE) AS week,
               strftime(created_at, '%Y-%m') AS month,
               prompt_tokens + completion_tokens AS tokens,
               m.author, m.source_type, m.size_class, m.reasoning, m.open_weights,
               coalesce(c.continent, 'Unknown') AS region,
               created_at >= TIMESTAMP '{WINDOW[0]}' AND created_at < TIMESTAMP '{WINDOW[1]}' + INTERVAL 1 DAY AS in_window
        FROM raw e LEFT JOIN models m ON e.model = m.slug
        LEFT JOIN countries c ON e.billing_country = c.country
        """
    )
    paths = con.sql(
        "SELECT DISTINCT l.path FROM (SELECT unnest(categories) AS l FROM ev WHERE sampled)"
    ).fetchall()
    mapping = load_mapping()
    rows = [(p, *mapping.resolve(p)) for (p,) in paths]
    con.register("map_df", pd.DataFrame(rows, columns=["path", "tag", "category"]))
    con.execute("CREATE TABLE pathmap AS SELECT * FROM map_df")
    # labels >= 0.5, weights conf / sum(conf); events without a kept label -> Others
    con.execute(
        f"""
        CREATE TABLE labels AS
        WITH l AS (
            SELECT e.id, e.week, e.tokens, e.prompt_tokens, e.completion_tokens, e.cost_usd,
                   e.is_byok, e.author, e.source_type, e.model, u.l.path AS path,
                   u.l.confidence AS conf
            FROM ev e, LATERAL (SELECT unnest(e.categories) AS l) u
            WHERE e.sampled AND e.in_window AND u.l.confidence >= 0.5
        ), w AS (
            SELECT l.*, p.tag, p.category, conf / sum(conf) OVER (PARTITION BY id) AS weight,
                   first(p.category ORDER BY (p.category = '{OTHERS}'), conf DESC)
                       OVER (PARTITION BY id) AS primary_category
            FROM l JOIN pathmap p USING (path)
        )
        SELECT * FROM w
        UNION ALL
        SELECT e.id, e.week, e.tokens, e.prompt_tokens, e.completion_tokens, e.cost_usd,
               e.is_byok, e.author, e.source_type, e.model, NULL, NULL, '{OTHERS}/Other',
               '{OTHERS}', 1.0, '{OTHERS}'
        FROM ev e
        WHERE e.sampled AND e.in_window AND NOT EXISTS (
            SELECT 1 FROM (SELECT unnest(e.categories) AS l) u WHERE u.l.confidence >= 0.5)
        """
    )
    return con


def _shares(
    df: pd.DataFrame, dim: str, value: str = "tokens", exclude=("Unknown", OTHERS)
) -> pd.DataFrame:
    keep = ~df[dim].isin(exclude)
    total = df[keep].groupby("week")[value].transform("sum")
    df = df.copy()
    df["share"] = (df[value] / df["week"].map(df[keep].groupby("week")[value].sum())).where(keep)
    del total
    return df


def q(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


def frames(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    W = "in_window"
    out: dict[str, pd.DataFrame] = {}
    st = q(
        con,
        f"SELECT week, coalesce(source_type,'Unknown') source_type, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} GROUP BY ALL ORDER BY ALL",
    )
    out["F1"] = out["F2"] = _shares(st, "source_type")
    out["T1"] = q(
        con,
        f"SELECT author, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} AND source_type IN ('Chinese OSS','RoW OSS') GROUP BY 1 ORDER BY 2 DESC",
    )
    f3 = q(
        con,
        f"""
        WITH oss AS (SELECT week, model, tokens FROM ev WHERE {W} AND source_type IN ('Chinese OSS','RoW OSS')),
        top AS (SELECT model FROM oss GROUP BY 1 ORDER BY sum(tokens) DESC, model LIMIT 15)
        SELECT week, CASE WHEN model IN (SELECT model FROM top) THEN model ELSE 'Other OSS' END model,
               sum(tokens)::DOUBLE tokens FROM oss GROUP BY ALL ORDER BY ALL""",
    )
    out["F3"] = _shares(f3, "model", exclude=())
    f4 = q(
        con,
        f"SELECT week, size_class, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} AND source_type IN ('Chinese OSS','RoW OSS') GROUP BY ALL ORDER BY ALL",
    )
    out["F4"] = _shares(f4, "size_class", exclude=("unknown",))
    out["F5"] = q(
        con,
        f"SELECT week, size_class, count(DISTINCT model) models FROM ev WHERE {W} AND source_type IN ('Chinese OSS','RoW OSS') AND tokens > 0 GROUP BY ALL ORDER BY ALL",
    )

    # categories (split rule)
    def cat(where, dims):
        return q(
            con,
            f"SELECT week, {dims} category, sum(tokens * weight) tokens FROM labels WHERE {where} GROUP BY ALL ORDER BY ALL",
        )

    out["F6"] = _shares(cat("source_type IN ('Chinese OSS','RoW OSS')", ""), "category")
    out["F7"] = _shares(cat("source_type = 'Chinese OSS'", ""), "category")
    for aid, c in (("F8", "Programming"), ("F9", "Roleplay")):
        df = q(
            con,
            f"SELECT week, coalesce(source_type,'Unknown') source_type, sum(tokens*weight) tokens FROM labels WHERE category = '{c}' GROUP BY ALL ORDER BY ALL",
        )
        out[aid] = _shares(df, "source_type")
    f10 = q(
        con,
        f"SELECT week, coalesce(reasoning, false) reasoning, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} GROUP BY ALL ORDER BY ALL",
    )
    out["F10"] = _shares(f10, "reasoning", exclude=())
    out["F11"] = _shares(
        q(
            con,
            f"SELECT week, model, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} AND reasoning GROUP BY ALL ORDER BY ALL",
        ),
        "model",
        exclude=(),
    )
    out["F12"] = q(
        con,
        f"""
        WITH t AS (SELECT week, sum(tokens)::DOUBLE total, sum(tokens) FILTER (finish_reason='tool_calls')::DOUBLE tool FROM ev WHERE {W} GROUP BY 1),
        u AS (SELECT week, max(s) top FROM (SELECT week, user_id, sum(tokens)::DOUBLE s FROM ev WHERE {W} AND finish_reason='tool_calls' GROUP BY 1,2) GROUP BY 1)
        SELECT t.week, tool tokens, tool/total share, u.top/tool top_user_share FROM t JOIN u USING (week) ORDER BY 1""",
    )
    out["F13"] = _shares(
        q(
            con,
            f"SELECT week, model, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} AND finish_reason='tool_calls' GROUP BY ALL ORDER BY ALL",
        ),
        "model",
        exclude=(),
    )
    out["F14"] = q(
        con,
        f"SELECT week, avg(prompt_tokens) mean_prompt_tokens FROM ev WHERE {W} GROUP BY 1 ORDER BY 1",
    )
    out["F15"] = q(
        con,
        f"SELECT week, avg(completion_tokens) mean_completion_tokens, avg(reasoning_tokens) mean_reasoning_tokens FROM ev WHERE {W} GROUP BY 1 ORDER BY 1",
    )
    out["F17"] = q(
        con,
        f"SELECT week, avg(tokens) mean_sequence_tokens FROM ev WHERE {W} GROUP BY 1 ORDER BY 1",
    )
    out["F16"] = q(
        con,
        f"SELECT week, category, sum(prompt_tokens*weight)/sum(weight) mean_prompt_tokens FROM labels WHERE category <> '{OTHERS}' GROUP BY ALL ORDER BY ALL",
    )
    out["F18"] = q(
        con,
        f"""
        SELECT week, 'Programming' series, sum(tokens*weight)/sum(weight) mean_sequence_tokens FROM labels WHERE category='Programming' GROUP BY 1
        UNION ALL SELECT week, 'All', avg(tokens) FROM ev WHERE {W} AND week >= (SELECT min(week) FROM labels) GROUP BY 1 ORDER BY 1, 2""",
    )
    f19 = cat("true", "")
    f19 = _shares(f19, "category")
    out["F19"] = f19[f19["category"] == "Programming"][["week", "tokens", "share"]].reset_index(
        drop=True
    )
    f20 = q(
        con,
        "SELECT week, author, sum(cost_usd*weight) spend_usd FROM labels WHERE category='Programming' AND author <> 'xAI' GROUP BY ALL ORDER BY ALL",
    )
    out["F20"] = _shares(f20, "author", "spend_usd")
    prim = q(
        con,
        "SELECT primary_category category, tag, sum(tokens*weight) tokens FROM labels WHERE primary_category <> 'Others' GROUP BY ALL ORDER BY ALL",
    )
    prim["share"] = prim["tokens"] / prim.groupby("category")["tokens"].transform("sum")
    out["F21"] = out["F29"] = prim
    auth = q(
        con,
        "SELECT week, author, category, sum(tokens*weight) tokens FROM labels GROUP BY ALL ORDER BY ALL",
    )
    keep = auth["category"] != OTHERS
    auth["share"] = (
        auth["tokens"] / auth[keep].groupby(["week", "author"])["tokens"].transform("sum")
    ).where(keep)
    out["F22"] = out["F23"] = auth
    out["F24"] = _shares(
        q(
            con,
            f"SELECT week, region, sum(cost_usd) spend_usd FROM ev WHERE {W} GROUP BY ALL ORDER BY ALL",
        ),
        "region",
        "spend_usd",
    )
    t2 = q(
        con,
        f"SELECT coalesce(prompt_language,'Unknown') language, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} GROUP BY 1 ORDER BY 2 DESC",
    )
    t2["share"] = t2["tokens"] / t2["tokens"].sum()
    out["T2"] = t2
    models = ", ".join(f"'{m}'" for m in RETENTION_MODELS)
    out["F25"] = q(
        con,
        f"""
        WITH act AS (SELECT DISTINCT model, user_id, month FROM ev WHERE model IN ({models})),
        first AS (SELECT model, user_id, min(month) cohort FROM act GROUP BY 1,2),
        j AS (SELECT f.model, f.cohort, f.user_id,
                     (CAST(left(a.month,4) AS INT)*12 + CAST(right(a.month,2) AS INT))
                   - (CAST(left(f.cohort,4) AS INT)*12 + CAST(right(f.cohort,2) AS INT)) k
              FROM first f JOIN act a USING (model, user_id)),
        sizes AS (SELECT model, cohort, count(*) n FROM first GROUP BY 1,2)
        SELECT j.model, j.cohort cohort_month, k month_offset, s.n cohort_users,
               count(*) active_users, count(*)/any_value(s.n) retention
        FROM j JOIN sizes s USING (model, cohort) GROUP BY ALL ORDER BY ALL""",
    )
    f26 = q(
        con,
        "SELECT category, sum(cost_usd*weight)/sum(tokens*weight)*1e6 cost_per_m_usd, sum(tokens*weight) tokens FROM labels WHERE NOT is_byok GROUP BY 1 ORDER BY 3 DESC",
    )
    out["F26"] = f26
    out["F27"] = out["T3"] = q(
        con,
        f"SELECT model, author, open_weights, sum(cost_usd)/sum(tokens)*1e6 cost_per_m_usd, sum(tokens)::DOUBLE tokens FROM ev WHERE {W} AND NOT is_byok AND author IS NOT NULL GROUP BY ALL HAVING sum(tokens) > 0 ORDER BY tokens DESC",
    )
    return out


def study_frames(store: Path) -> dict[str, pd.DataFrame]:
    """The study's own artifacts on the store (the demo's settings), extras included."""
    from datetime import date

    from tokencensus.analyses import StudyConfig
    from tokencensus.scorecard import result_frames
    from tokencensus.study import run_study

    config = StudyConfig(
        start=date.fromisoformat(WINDOW[0]), end=date.fromisoformat(WINDOW[1]), min_users=0
    )
    with tempfile.TemporaryDirectory(prefix="calibrate-study-") as out:
        result = run_study([store / "events"], out, config=config, write_report=False)
    return result_frames(result.results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", help="read this simulated store instead of simulating")
    ap.add_argument("--only", help="comma-separated artifact ids to show")
    ap.add_argument("--all", action="store_true", help="show passing statements too")
    ap.add_argument("--csv", help="write the scorecard here")
    ap.add_argument("--keep", help="simulate into this folder and keep it")
    ap.add_argument(
        "--study",
        action="store_true",
        help="score the study's own artifacts (slower) instead of the DuckDB reference ones",
    )
    ap.add_argument(
        "--full-categories",
        action="store_true",
        help="label events from the first day (diagnostics: category trends before May 2025)",
    )
    args = ap.parse_args(argv)
    tmp = None
    if args.store:
        store = Path(args.store)
    else:
        import dataclasses

        from tokencensus.simulate import load_platform, simulate

        platform = load_platform()
        if args.full_categories:
            sim = dict(platform.simulation, categories_from=platform.simulation["start"])
            platform = dataclasses.replace(platform, simulation=sim)
        if args.keep:
            store = Path(args.keep)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="calibrate-")
            store = Path(tmp.name)
        t0 = time.perf_counter()
        simulate(args.events, store, seed=args.seed, platform=platform, overwrite=True)
        print(
            f"simulated {args.events:,} events in {time.perf_counter() - t0:.1f}s", file=sys.stderr
        )
    t0 = time.perf_counter()
    if args.study:
        fr = study_frames(store)
    else:
        con = connect(str(store / "events" / "**" / "*.parquet"))
        fr = frames(con)
    card = score(fr)
    print(f"measured in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    if args.csv:
        card.to_csv(args.csv, index=False)
    show = card if args.all else card[card["status"] != "pass"]
    if args.only:
        keep = {a.strip().upper() for a in args.only.split(",")}
        show = card[card["artifact"].isin(keep)]
    for r in show.itertuples(index=False):
        mark = {"pass": " ok ", "fail": "FAIL", "not measurable": " -- "}[r.status]
        print(
            f"{mark} {r.id:<34} {str(r.published)[:28]:<28} {str(r.measured)[:60]:<60} {r.note[:50]}"
        )
    s = summary(card)
    print(
        f"\n{s['passed']} / {s['measurable']} measurable statements pass ({s['not_measurable']} not measurable)"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
