"""Run the study: read -> load -> rollups -> artifacts -> data files, report, manifest.

:func:`run_study` is the one entry point the CLI calls.  :class:`Study` binds the
registered analyses to an engine: base tables and rollups are materialized once,
on first use, and every artifact reads only those.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tokencensus import __version__
from tokencensus.analyses import ARTIFACTS, SECTIONS, Artifact, StudyConfig
from tokencensus.analyses.common import OSS_SOURCE_TYPES
from tokencensus.catalog import Catalog, load_catalog
from tokencensus.engine import connect, get_engine
from tokencensus.engine.base import Engine
from tokencensus.engine.digest import MEMTABLE_PREFIX, expr_digest
from tokencensus.enrich.reference import country_continents
from tokencensus.errors import ConfigError, InputError
from tokencensus.ingest.formats import POS
from tokencensus.ingest.reader import FILE_COL, FileSummary, ReadSummary, read_events
from tokencensus.privacy import apply_privacy, count_suppressed
from tokencensus.progress import Reporter, SilentReporter
from tokencensus.rollup import (
    EVENT_COLUMNS,
    PASS_OUTPUTS,
    ROLLUPS,
    ByWeek,
    Firsts,
    Rollup,
    Sums,
    merge_sums,
    sums_delta,
)
from tokencensus.rollup_cache import (
    CACHE_DIR,
    PARTITION,
    RollupCache,
    StoreWeeks,
    plan_batches,
    rollups_fingerprint,
    trusted_store,
    week_key,
)
from tokencensus.schema import EVENT_SCHEMA

__all__ = ["ArtifactResult", "Reporter", "Study", "StudyResult", "run_study"]


@dataclass
class ArtifactResult:
    artifact: Artifact
    data: pd.DataFrame
    sql: str
    caption: str
    #: Companion tables (F1 release markers, F25 detected cohorts, F27 fit ...).
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Rows masked by the privacy rule (primary and secondary together).
    suppressed: int = 0
    #: Of those, rows masked to protect another (complementary suppression).
    suppressed_secondary: int = 0

    @property
    def suppressed_primary(self) -> int:
        return self.suppressed - self.suppressed_secondary

    @property
    def markers(self) -> pd.DataFrame | None:
        return self.extras.get("markers")


@dataclass
class StudyResult:
    out_dir: Path
    manifest: dict[str, Any]
    results: dict[str, ArtifactResult] = field(default_factory=dict)


class Study:
    """Registered analyses bound to one engine and one set of events."""

    def __init__(
        self,
        backend: ibis.BaseBackend,
        engine: Engine,
        catalog: Catalog,
        config: StudyConfig,
        *,
        keep_rollups: bool = False,
    ) -> None:
        self.backend = backend
        self.engine = engine
        self.catalog = catalog
        self.config = config
        self.tables: dict[str, ibis.Table] = {}
        self.unknown_models = pd.DataFrame(columns=["model", "events", "tokens"])
        self.counts: dict[str, int] = {}
        self.facts: dict[str, Any] = {}
        #: How the events were loaded (the manifest's ``load`` section).
        self.load_info: dict[str, Any] = {}
        #: Results of the artifact expressions run so far, by expression.
        self._results: dict[tuple[Any, bool], tuple[pa.Table, str]] = {}
        self._memtables: dict[str, Any] = {}
        self._released: set[str] = set()
        #: Rollups kept in the engine's database between incremental runs (DuckDB): on,
        #: the rollups are built there; ``_kept`` is what that database held when this
        #: run began, when it was built with the same fingerprint (else None).
        self.keep = keep_rollups and engine.keeps_rollups
        self._kept: dict[str, Any] | None = None
        self._fingerprint = ""
        #: Weeks whose pass outputs this run adds to the kept rollups (new or changed
        #: weeks; None: the rollups are built from all weeks), the weeks whose kept rows
        #: it replaces (those and the removed weeks), and the pass outputs the kept
        #: rollups had for the changed and removed weeks (subtracted from ``Sums``).
        self._delta: list[date] | None = None
        self._replaced: list[date] = []
        self._previous: dict[str, ibis.Table] = {}
        self._keys: dict[str, str] = {}
        self._open_transaction = False
        #: By-week artifact results kept beside the rollups (kept table -> digest of the
        #: expression that computes it from them): those the database held, those this
        #: run keeps.
        self._kept_results: dict[str, str] = {}
        self._keeping_results: dict[str, str] = {}
        #: SQL compiled by the last kept run, by expression digest (every artifact's, and
        #: each by-week result's query over the replaced weeks' rows): reused, not
        #: compiled again, when this run builds the same expression.
        self._kept_sql: dict[str, str] = {}
        self._kept_delta_sql: dict[str, str] = {}
        self._keeping_sql: dict[str, str] = {}
        self._keeping_delta_sql: dict[str, str] = {}
        #: By-week artifacts' recipes (what their expression is built from, see
        #: ``_recipe``) -> the digest of the expression they built: an artifact whose
        #: recipe is kept is updated by the kept SQL without building its expression.
        self._kept_recipes: dict[str, str] = {}
        self._keeping_recipes: dict[str, str] = {}
        #: By-week results of this run, by expression digest (F1 and F2 build the same).
        self._by_digest: dict[str, tuple[pa.Table, str]] = {}
        #: Rollups whose replaced weeks' (or months') rows this run copied for the
        #: by-week (by-month) queries.
        self._week_tables: set[str] = set()
        #: The partition values (months) each kept ``Sums`` rollup with a partition had
        #: replaced by this run's update: the months ``Firsts`` rollups and by-month
        #: results are updated from.
        self._touched: dict[str, list[Any]] = {}
        #: Artifacts' pooled contexts (see ``Artifact.context``), computed once per run.
        self._contexts: dict[str, ibis.Table] = {}
        self.results_info: dict[str, list[str]] = {"updated": [], "computed": []}
        if self.keep:
            self._fingerprint = rollups_fingerprint(catalog, config)
            state = engine.read_kept(backend)
            if state is not None and state.get("fingerprint") == self._fingerprint:
                self._kept = state
                self._kept_results = dict(state.get("results", {}))
                self._kept_sql = dict(state.get("sql", {}))
                self._kept_delta_sql = dict(state.get("delta_sql", {}))
                self._kept_recipes = dict(state.get("recipes", {}))

    # ---------------------------------------------------------------- loading
    def load_staged(self, path: str) -> None:
        """Read staged Parquet and drop duplicate ids (the first copy, by file and position, wins)."""
        raw = self.engine.read_parquet(self.backend, [path], "staged_events")
        rank = ibis.row_number().over(group_by="id", order_by=[raw[FILE_COL], raw[POS]])
        unique = raw.mutate(_rank=rank).filter(ibis._._rank == 0).drop("_rank", FILE_COL, POS)
        events = self.engine.materialize(self.backend, "events", unique)
        staged = int(raw.count().to_pyarrow().as_py())
        self._load_pass_in_engine(events)
        self.engine.release(self.backend, "events")
        self._count_events(staged, mode="validated")

    def load_events_table(self, table: pa.Table) -> None:
        """Use an in-memory canonical table (unique ids) as the events: tests, simulations."""
        events = self.engine.load_arrow(self.backend, "raw_events", table)
        self._load_pass_in_engine(events)
        self._count_events(table.num_rows, mode="in-memory")

    def load_store(
        self,
        store: StoreWeeks,
        cache: RollupCache,
        *,
        incremental: bool = False,
        reporter: Reporter | None = None,
    ) -> None:
        """Read a trusted store's week files directly, pass by pass, through the rollup cache.

        Weeks whose cached outputs match their files and the window are reused when
        ``incremental``; every other week is read once, in passes of at most
        ``engine.batch_events`` events.  On an engine that appends, each pass adds its
        outputs to the engine tables as it computes them; the cache is written from
        those only when ``incremental`` (a plain run never reads it, and writing it
        cost 15 % of a plain 100M run), so only reused weeks are read from the cache.
        Other engines write every week's outputs to the cache and read them back once
        all passes are done.
        """
        keys = {w: week_key(store, w, self.config) for w in store.files}
        reused = cache.reusable(keys) if incremental else set()
        todo = [w for w in sorted(keys) if w not in reused]
        batches = plan_batches(todo, store.rows, self.engine.batch_events)
        in_engine = self.engine.appends
        cached = incremental or not in_engine
        if reporter is not None:
            reporter.start("Reading the store", total=sum(store.rows[w] for w in todo))
        for n, weeks in enumerate(batches):
            events = self.engine.read_parquet(
                self.backend, store.paths(weeks), "events", columns=EVENT_COLUMNS
            )
            folder = cache.batch_folder(n)
            one_week = weeks[0] if len(weeks) == 1 else None  # a trusted store's week folder
            for name, expr in self._pass(events, one_week).items():
                if in_engine:  # computed once: kept, then written from the engine table
                    table = self._append(name, expr)
                    expr = table.filter(table.week.between(weeks[0], weeks[-1]))
                if cached:
                    part = expr.mutate(**{PARTITION: expr.week.cast("string")})
                    self.engine.write_parquet(
                        self.backend, part, folder / name, PARTITION,
                        values=[str(w) for w in weeks],
                    )  # fmt: skip
            if cached:
                cache.record(weeks, keys, folder)
            if reporter is not None:
                reporter.advance(sum(store.rows[w] for w in weeks))
        if reporter is not None:
            reporter.finish()
        kept_info = self._plan_kept(keys, cache)  # before the commit drops the old grain
        if cached:  # a plain DuckDB run leaves an existing cache as it was
            cache.commit(keys)
        self._keys = {str(w): k for w, k in sorted(keys.items())}
        from_cache = sorted(reused)
        if self._delta is not None:  # only the new and changed weeks' pass outputs
            from_cache = [w for w in self._delta if w in reused]
        for name, schema in _pass_schemas().items():
            files = cache.files(name, from_cache if in_engine else sorted(keys))
            if files:
                table = self.engine.read_parquet(
                    self.backend, files, f"{name}_files", columns=schema.names
                )
                if in_engine:
                    self._append(name, table)
                else:
                    self.tables[name] = self.engine.materialize(self.backend, name, table)
            if name not in self.tables:
                self.tables[name] = self.engine.load_arrow(
                    self.backend, name, schema.to_pyarrow().empty_table()
                )
        self.load_info = {
            "mode": "trusted-store",
            "store": str(store.root),
            "generator": store.generator,
            "weeks": len(keys),
            "weeks_read": len(todo),
            "weeks_reused": len(reused),
            "passes": len(batches),
            "rollup_cache": str(cache.folder) if cached else None,
        }
        if kept_info is not None:
            self.load_info["kept_rollups"] = kept_info
        self._count_events(store.events, mode="trusted-store")

    def _plan_kept(self, keys: dict[date, str], cache: RollupCache) -> str | None:
        """Whether this run updates the kept rollups or rebuilds them (and why).

        The kept rollups record the key of every week they were built from.  New weeks
        are added; a changed or removed week has its rows replaced, and what its old
        pass outputs gave is subtracted from ``Sums`` rollups: those old outputs are read
        here, from the rollup cache, before this run's commit drops them.  Another
        fingerprint (catalog, label mapping, rollup code), a missing rollup or a kept
        week whose old outputs are no longer cached rebuilds them all from the grain.
        """
        if not self.keep:
            return None
        if self._kept is None:
            return "built from every week (none kept with this catalog, mapping and code)"
        if not set(ROLLUPS) <= set(self._kept.get("tables", [])):
            self._kept = None
            return "rebuilt: the kept database lacks a rollup"
        old: dict[str, str] = self._kept.get("weeks", {})
        now = {str(w): k for w, k in keys.items()}
        changed = sorted(date.fromisoformat(w) for w, k in old.items() if now.get(w) != k)
        gone = [w for w in changed if not cache.holds(w, old[str(w)])]
        if gone:
            self._kept = None
            return f"rebuilt: the cached grain kept week {gone[0]} was built from is gone"
        added = sorted(w for w in keys if str(w) not in old)
        removed = [w for w in changed if w not in keys]
        self._delta = sorted([*added, *(w for w in changed if w in keys)])
        self._replaced = sorted([*self._delta, *removed])
        for name, schema in _pass_schemas().items() if changed else ():
            files = cache.files(name, changed, previous=True)
            if files:
                table = self.engine.read_parquet(
                    self.backend, files, f"previous_{name}_files", columns=schema.names
                )
                self._previous[name] = self.engine.materialize(
                    self.backend, f"previous_{name}", table
                )
            else:  # no old rows of that output: an empty stand-in
                self._previous[name] = self.engine.load_arrow(
                    self.backend, f"previous_{name}", schema.to_pyarrow().empty_table()
                )
        return (
            f"updated: {len(added)} week(s) added, {len(changed) - len(removed)} changed, "
            f"{len(removed)} removed"
        )

    def _append(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Add ``expr``'s rows to the engine table ``name`` (made by the first call)."""
        if name in self.tables:
            self.tables[name] = self.engine.append(self.backend, name, expr)
        else:
            self.tables[name] = self.engine.materialize(self.backend, name, expr)
        return self.tables[name]

    def load_aggregates(self, weekly: pa.Table, *, source: str, store: Path) -> None:
        """Use week x model totals (an aggregate-only store) as the fine grain.

        Aggregates carry no request-level fields: finish reason, country and language are
        null, BYOK is false, users are unknown (so no cell is masked) and there is no
        classified sample.  Only the artifacts in ``AGGREGATE_ARTIFACTS`` are computed.
        """
        import pyarrow.compute as pc

        schemas = _pass_schemas()
        # users are unknown in aggregates: user_id stays null (nullable here)
        grain_schema = pa.schema(
            [f.with_nullable(True) for f in schemas["events_grain"].to_pyarrow()]
        )
        weeks = weekly.column("week").to_pylist()
        start, end = self.config.start, self.config.end
        inside = [
            (start is None or w + timedelta(days=6) >= start) and (end is None or w <= end)
            for w in weeks
        ]
        n = weekly.num_rows
        columns = {
            "week": weekly.column("week"),
            "month": pa.array([w.replace(day=1) for w in weeks], pa.date32()),
            "in_window": pa.array(inside, pa.bool_()),
            "user_id": pa.nulls(n, pa.string()),
        }
        for name in grain_schema.names:
            if name not in columns:
                columns[name] = weekly.column(name)
        grain = pa.table(columns).select(grain_schema.names).cast(grain_schema)
        self.tables["events_grain"] = self.engine.load_arrow(self.backend, "events_grain", grain)
        self.tables["sampled_events"] = self.engine.load_arrow(
            self.backend, "sampled_events", schemas["sampled_events"].to_pyarrow().empty_table()
        )
        self.load_info = {"mode": "aggregates", "store": str(store), "aggregate_source": source}
        requests = int(pc.sum(weekly.column("requests")).as_py() or 0)
        self._count_events(requests, mode="aggregates")

    def _pass(self, events: ibis.Table, week: date | None = None) -> dict[str, ibis.Table]:
        """What one pass over raw events produces (see :data:`PASS_OUTPUTS`; ``week``: the
        one ISO week all of them fall in)."""
        return {name: func(events, self.config, week) for name, func in PASS_OUTPUTS.items()}

    def _load_pass_in_engine(self, events: ibis.Table) -> None:
        """One pass over all of ``events``, its outputs kept as engine tables."""
        for name, expr in self._pass(events).items():
            self.tables[name] = self.engine.materialize(self.backend, name, expr)
        self.load_info = {"mode": "in-engine", "passes": 1}

    def _count_events(self, staged: int, *, mode: str) -> None:
        weeks = self.table("week_models")
        row = weeks.aggregate(
            total=weeks.requests.sum(), inside=weeks.requests.sum(where=weeks.in_window)
        ).to_pyarrow()
        total = int(row.column("total")[0].as_py() or 0)
        inside = int(row.column("inside")[0].as_py() or 0)
        self.counts = {
            "staged": staged,
            "duplicates": staged - total,
            "events": inside,
            "outside_window": total - inside,
        }
        self.load_info["input"] = mode
        self._load_reference_tables()

    def _load_reference_tables(self) -> None:
        weeks = self.table("week_models")
        per_model = (
            weeks.group_by("model")
            .agg(events=weeks.requests.sum(), tokens=weeks.tokens.sum())
            .to_pyarrow()
            .to_pandas()
        )
        # the model strings of changed and removed weeks' old pass outputs too: what they
        # gave a kept Sums rollup (through the model attributes) is subtracted key by key
        raws = list(per_model["model"])
        if "events_grain" in self._previous:
            old = self._previous["events_grain"].select("model").distinct().to_pyarrow()
            seen = set(raws)
            raws += sorted(m for m in old.column(0).to_pylist() if m not in seen)
        slugs = [self.catalog.resolve(m) for m in raws]
        model_map = pa.table(
            {"raw": pa.array(raws, pa.string()), "slug": pa.array(slugs, pa.string())}
        )
        unknown = per_model.loc[[s is None for s in slugs[: len(per_model)]]]
        self.unknown_models = unknown.sort_values(["tokens", "model"], ascending=[False, True])
        load = self.engine.load_arrow
        self.tables["model_map"] = load(self.backend, "model_map", model_map)
        self.tables["models"] = load(self.backend, "models", self.catalog.to_arrow())
        countries = country_continents()
        self.tables["countries"] = load(
            self.backend,
            "countries",
            pa.table({"country": list(countries), "continent": list(countries.values())}),
        )
        self.tables["label_paths"] = load(self.backend, "label_paths", self._label_paths())
        self.tables["retention_targets"] = load(
            self.backend, "retention_targets", self._retention_targets()
        )
        self.facts = self._facts()

    def _label_paths(self) -> pa.Table:
        """Every classifier path in the sample, mapped to its tag and category."""
        from tokencensus.enrich.classify.taxonomy import load_mapping

        sampled = self.tables["sampled_events"].filter(ibis._.categories.notnull())
        labels = sampled.select(label=sampled.categories.unnest())
        paths = labels.select(path=labels.label.path).distinct().to_pyarrow()
        mapping = load_mapping(self.config.label_mapping)
        names = [p for p in paths.column("path").to_pylist() if p is not None]
        resolved = [mapping.resolve(p) for p in names]
        return pa.table(
            {
                "path": pa.array(names, pa.string()),
                "tag": pa.array([t for t, _ in resolved], pa.string()),
                "category": pa.array([c for _, c in resolved], pa.string()),
            }
        )

    def _retention_targets(self) -> pa.Table:
        """The models F25 follows: requested id, display name, and the catalog family."""
        rows: dict[str, list[str]] = {"model": [], "name": [], "family": []}
        for requested in self.config.retention_models:
            slug = self.catalog.resolve(requested)
            if slug is None or slug in rows["model"]:  # each model once (F25 counts rows)
                continue
            info = self.catalog.get(slug)
            variant_of = info["variant_of"]
            rows["model"].append(slug)
            rows["name"].append(str(info["name"]))
            rows["family"].append(variant_of if isinstance(variant_of, str) else slug)
        return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})

    def _facts(self) -> dict[str, Any]:
        """Run facts that captions quote ({events}, {sample_events}, ...)."""
        weeks = self.table("week_models").filter(ibis._.in_window)
        row = weeks.aggregate(first=weeks.week.min(), last=weeks.week.max()).to_pyarrow()
        first, last = row.column("first")[0].as_py(), row.column("last")[0].as_py()
        sample = int(self.table("sample_weeks").events.sum().to_pyarrow().as_py() or 0)
        return {
            "events": f"{self.counts['events']:,}",
            "sample_events": f"{sample:,}",
            "first_week": first if first is not None else "–",
            "last_week": last if last is not None else "–",
            "weeks": ((last - first).days // 7 + 1) if first is not None else 0,
            "min_users": self.config.min_users,
            "recent_weeks": self.config.recent_weeks,
            "label_threshold": self.config.label_threshold,
        }

    def headline(self) -> dict[str, Any]:
        """Run-level numbers for the report's front page."""
        wf = self.table("weekly_facts")
        known_tokens = ibis.ifelse(wf.known, wf.tokens, 0)
        oss = wf.source_type.isin(OSS_SOURCE_TYPES)
        row = (
            self._fetch(
                wf.aggregate(
                    events=wf.requests.sum(),
                    tokens=wf.tokens.sum(),
                    known_tokens=known_tokens.sum(),
                    oss_tokens=ibis.ifelse(oss, wf.tokens, 0).sum(),
                    chinese_oss_tokens=ibis.ifelse(
                        wf.source_type == "Chinese OSS", wf.tokens, 0
                    ).sum(),
                    models=wf.model.nunique(where=wf.known),
                    authors=wf.author.nunique(where=wf.known),
                )
            )
            .to_pandas()
            .iloc[0]
        )
        known = int(row["known_tokens"] or 0)
        return {
            "events": int(row["events"] or 0),
            "tokens": int(row["tokens"] or 0),
            "models": int(row["models"] or 0),
            "authors": int(row["authors"] or 0),
            "oss_share": float(row["oss_tokens"]) / known if known else None,
            "chinese_oss_share": float(row["chinese_oss_tokens"]) / known if known else None,
            **self._headline_usage(wf),
        }

    def _fetch(self, expr: ibis.Table) -> pa.Table:
        """A small query's rows; in a kept run by the SQL kept for it (see ``_compiled``)."""
        if not self.keep:
            return expr.to_pyarrow()
        expr = _named_memtables(expr, self._memtables)
        return self.engine.execute(self.backend, expr, sql=self._compiled(expr)[1])[0]

    # ------------------------------------------------- headline: usage (report front page)
    def _headline_usage(self, wf: ibis.Table) -> dict[str, Any]:
        """Reasoning, tool-call and programming shares and the median cost per 1M tokens.

        Reasoning share: tokens of catalog reasoning models over known tokens (F10's rule).
        Tool-call share: tokens of requests that finished with a tool call over all tokens
        (F12's rule).  Programming share: the sample estimate over named categories with its
        95% interval (F19's rule, pooled over the window).  Median cost: the median across
        known models of spend / tokens x 1e6, BYOK and free models left out (F27's points).
        """
        from tokencensus.analyses.common import sample_shares
        from tokencensus.enrich.classify.taxonomy import OTHERS

        row = self._fetch(
            wf.aggregate(
                tokens=wf.tokens.sum(),
                known_tokens=ibis.ifelse(wf.known, wf.tokens, 0).sum(),
                reasoning_tokens=ibis.ifelse(wf.known & wf.reasoning, wf.tokens, 0).sum(),
                tool_tokens=ibis.ifelse(wf.finish_reason == "tool_calls", wf.tokens, 0).sum(),
            )
        ).to_pylist()[0]
        tokens, known = int(row["tokens"] or 0), int(row["known_tokens"] or 0)
        paid = (
            wf.filter(wf.known & ~wf.is_byok)
            .group_by("model")
            .agg(tokens=wf.tokens.sum(), cost_usd=wf.cost_usd.sum())
        )
        paid = paid.filter((paid.tokens > 0) & (paid.cost_usd > 0))
        per_m = paid.select(cost_per_m=(paid.cost_usd / paid.tokens * 1e6).cast("float64"))
        costs = self._fetch(per_m).column("cost_per_m").to_pylist()
        out: dict[str, Any] = {
            "reasoning_share": int(row["reasoning_tokens"] or 0) / known if known else None,
            "tool_call_share": int(row["tool_tokens"] or 0) / tokens if tokens else None,
            "median_cost_per_m": float(pd.Series(costs).median()) if costs else None,
            "programming_share": None,
            "programming_share_low": None,
            "programming_share_high": None,
            "programming_sample_events": 0,
        }
        labels = self.table("sampled_labels")
        named = labels.filter(labels.category != OTHERS).mutate(window=ibis.literal("all"))
        prog = sample_shares(named, ["window"], "category", levels=["Programming"])
        rows = self._fetch(prog.filter(prog.category == "Programming")).to_pylist()
        if rows and rows[0]["share"] is not None:
            out["programming_share"] = float(rows[0]["share"])
            out["programming_share_low"] = rows[0]["share_low"]
            out["programming_share_high"] = rows[0]["share_high"]
            out["programming_sample_events"] = int(rows[0]["sample_events"] or 0)
        return out

    # ---------------------------------------------------------------- binding
    def table(self, name: str) -> ibis.Table:
        """A base table or a rollup (materialized on first use)."""
        if name in self.tables:
            return self.tables[name]
        if name in self._released:
            raise RuntimeError(
                f"{name!r} was released after the rollups were built; build every rollup "
                "a run needs before Study.release_pass_outputs()"
            )
        if name not in ROLLUPS:
            raise KeyError(f"no table or rollup named {name!r}")
        spec = ROLLUPS[name]
        if self.keep and not self._open_transaction:
            self.engine.begin(self.backend)
            self._open_transaction = True
        if self._delta is not None and spec.upkeep is not None:
            self.tables[name] = self._update_kept(spec)
        else:
            expr = spec.func(**{p: self._bind(p) for p in spec.params})
            self.tables[name] = self.engine.materialize(self.backend, name, expr, kept=self.keep)
            if self.keep and isinstance(spec.upkeep, ByWeek):
                self._compiled(self._upkeep_rows(spec))  # kept for the next run's update
            elif self.keep and isinstance(spec.upkeep, Firsts):
                self._compiled(self._firsts_rows(spec))
        return self.tables[name]

    def _upkeep_rows(self, spec: Rollup) -> ibis.Table:
        """``spec``'s rows of the weeks this run adds (:meth:`_delta_weeks`)."""
        rows = spec.func(**{p: self._bind(p, self._delta_weeks()) for p in spec.params})
        return _named_memtables(rows, self._memtables)

    def _update_kept(self, spec: Rollup) -> ibis.Table:
        """The kept rollup ``spec`` with the new and changed weeks in, the removed out."""
        assert self._delta is not None
        if not self._replaced:
            return self.backend.table(spec.name)
        new = self._upkeep_rows(spec)
        if isinstance(spec.upkeep, ByWeek):
            return self.engine.replace_partitions(
                self.backend, spec.name, "week", self._replaced, new, sql=self._compiled(new)[1]
            )
        if isinstance(spec.upkeep, Firsts):
            since = self._replaced_months([spec.upkeep.source])
            if since is None:  # nothing it is grouped from changed
                return self.backend.table(spec.name)
            sql = self._compiled(self._firsts_rows(spec))[1]
            return self.engine.replace_since(
                self.backend, spec.name, spec.upkeep.column, since, sql
            )
        assert isinstance(spec.upkeep, Sums)
        old = None
        if self._previous:
            old = spec.func(**{p: self._previous_rows(p) for p in spec.params})
        kept = self.backend.table(spec.name)
        if spec.upkeep.partition is None:  # added in place, key by key
            delta = sums_delta(kept.columns, new, spec.upkeep, old)
            keys = [c for c in kept.columns if c not in spec.upkeep.sums]
            return self.engine.add_sums(self.backend, spec.name, keys, spec.upkeep.sums, delta)
        merged, touched = merge_sums(kept, new, spec.upkeep, old)
        self._touched[spec.name] = touched
        return self.engine.replace_partitions(
            self.backend, spec.name, spec.upkeep.partition, touched, merged
        )

    def _firsts_rows(self, spec: Rollup) -> ibis.Table:
        """The rows a ``Firsts`` rollup takes in: grouped from its source's rows of the
        touched months on (copied by :meth:`_replaced_months`), less the keys the kept rows
        left by the delete (those first seen before) hold; compiled against the names of
        the copy and of the kept table, so the SQL is the same from one run to the next."""
        assert isinstance(spec.upkeep, Firsts)
        source = spec.upkeep.source

        def bind(p: str) -> Any:
            if p == source:
                return ibis.table(self.table(p).schema(), name=_month_table(p))
            return self._bind(p)

        rows = spec.func(**{p: bind(p) for p in spec.params})
        kept = ibis.table(rows.schema(), name=spec.name)
        keys = [c for c in rows.columns if c != spec.upkeep.column]
        return _named_memtables(rows.anti_join(kept, keys), self._memtables)

    def _replaced_months(self, rollups: Sequence[str]) -> Any:
        """The earliest month this run's update touched in the kept month-partitioned
        ``rollups`` (None: none), once they are up to date and their rows of that month
        and later ones are copied (:func:`_month_table`)."""
        for p in rollups:
            self.table(p)  # updated first: the months it touched
        touched = [v for p in rollups for v in self._touched.get(p, [])]
        if not touched:
            return None
        since = min(touched)
        self._copy_rows(rollups, _month_table, "month", since=since)
        return since

    def _copy_rows(
        self,
        rollups: Sequence[str],
        name: Callable[[str], str],
        column: str,
        values: Sequence[Any] = (),
        *,
        since: Any = None,
    ) -> None:
        """The kept ``rollups``' rows whose ``column`` is in ``values`` (or ``since`` and
        later), copied into temp tables named ``name(rollup)``, once a run."""
        todo = [p for p in rollups if p not in self._week_tables]
        if todo:
            tables = {name(p): p for p in todo}
            self.engine.week_tables(self.backend, tables, column, values, since=since)
            self._week_tables.update(todo)

    def _previous_rows(self, param: str) -> Any:
        """What ``param`` held for the changed and removed weeks before this run: their old
        pass outputs, or a by-week rollup computed from them (other tables as they are)."""
        if param in self._previous:
            return self._previous[param]
        if _kept_by_week(param):
            spec = ROLLUPS[param]
            return spec.func(**{p: self._previous_rows(p) for p in spec.params})
        return self._bind(param)

    def commit_kept(self) -> None:
        """Record what the kept rollups now hold and commit them (kept runs only)."""
        if not self.keep:
            return
        if not self._open_transaction:
            self.engine.begin(self.backend)
        state = {
            "fingerprint": self._fingerprint,
            "weeks": self._keys,
            "tables": sorted(ROLLUPS),
            "results": dict(sorted(self._keeping_results.items())),
            "sql": dict(sorted(self._keeping_sql.items())),
            "delta_sql": dict(sorted(self._keeping_delta_sql.items())),
            "recipes": dict(sorted(self._keeping_recipes.items())),
        }
        for stale in sorted(set(self._kept_results) - set(self._keeping_results)):
            self.engine.release(self.backend, stale)  # not run this time: recomputed next
        read = {m for q in self._keeping_delta_sql.values() for m in _MEMTABLE.findall(q)}
        self.engine.drop_kept_memtables(self.backend, read)
        self.engine.commit_kept(self.backend, state)
        self._open_transaction = False

    def release_pass_outputs(self) -> None:
        """Free the pass outputs (``events_grain``, ``sampled_events``): once the rollups
        a run needs are built nothing reads them, and at scale they are the largest
        tables the engine holds (the grain has millions of user x week x model rows)."""
        for name in PASS_OUTPUTS:
            if name in self.tables:
                del self.tables[name]
                self.engine.release_input(self.backend, name)
                self._released.add(name)

    def _bind(self, param: str, weeks: list[date] | ibis.Table | None = None) -> Any:
        """``param``'s table (or the config); with ``weeks`` (dates, or a table of them),
        a pass output's or a by-week rollup's rows of those weeks only (other tables whole)."""
        if param == "config":
            return self.config
        table = self.table(param)
        if weeks is not None and (param in PASS_OUTPUTS or _kept_by_week(param)):
            listed = weeks.week if isinstance(weeks, ibis.Table) else weeks
            return table.filter(table.week.isin(listed))
        return table

    def _delta_weeks(self) -> ibis.Table:
        """The weeks this run adds to the kept rollups, as a table: the rollup upkeep
        filters by it rather than by listed dates, so its expressions, and the SQL kept
        for them, are the same from one run to the next."""
        if "delta_weeks" not in self.tables:
            weeks = pa.table({"week": pa.array(self._delta or [], pa.date32())})
            self.tables["delta_weeks"] = self.engine.load_arrow(self.backend, "delta_weeks", weeks)
        return self.tables["delta_weeks"]

    def expression(self, artifact: Artifact, weeks: list[date] | None = None) -> ibis.Table:
        """``artifact``'s expression over the rollups; with ``weeks`` (``by_week``
        artifacts only), over those weeks' rows: the result's rows of those weeks."""
        if weeks is not None:
            check_by_week(artifact)
        expr = artifact.func(**self._arguments(artifact, lambda p: self._bind(p, weeks)))
        return _named_memtables(expr, self._memtables)

    def _arguments(self, artifact: Artifact, bind: Callable[[str], Any]) -> dict[str, Any]:
        return {p: self._context(artifact) if p == "context" else bind(p) for p in artifact.params}

    def _context(self, artifact: Artifact) -> ibis.Table:
        """``artifact``'s pooled context over every week, run once, as an in-memory table."""
        if artifact.id not in self._contexts:
            assert artifact.context is not None
            expr = artifact.context(**{p: self._bind(p) for p in artifact.context_params})
            expr = _named_memtables(expr, self._memtables)
            sql = self._compiled(expr)[1] if self.keep else None
            arrow, _ = self.engine.execute(self.backend, expr, sql=sql)
            # rows sorted: a context is a set of levels, the same whatever order a query
            # gives them in (a kept result is reused while it is the same); one chunk per
            # column: Spark cannot take an in-memory table of chunked columns
            arrow = arrow.sort_by([(c, "ascending") for c in arrow.column_names])
            self._contexts[artifact.id] = ibis.memtable(arrow.combine_chunks().to_pandas())
        return self._contexts[artifact.id]

    def compute(self, artifact: Artifact, *, with_sql: bool = True) -> ArtifactResult:
        if self.keep and (artifact.by_week or artifact.by_month):
            arrow, sql = self._kept_partitioned(artifact)
        else:
            arrow, sql = self._run(artifact, with_sql)
        df = _sort(arrow.to_pandas(), artifact.order_by).reset_index(drop=True)
        df, masked = apply_privacy(
            df,
            artifact.keys,
            self.config.min_users,
            complement=artifact.complement,
            single_account=artifact.single_account,
        )
        extras: dict[str, pd.DataFrame] = {}
        if artifact.post is not None:
            out = artifact.post(df, self.config)
            df, extras = out if isinstance(out, tuple) else (out, {})
        if artifact.markers:
            extras["markers"] = self._markers(artifact, df)
        if artifact.post is not None:  # count what the final table marks (T3 marks none)
            masked = count_suppressed(df)
        return ArtifactResult(
            artifact=artifact,
            data=df.reset_index(drop=True),
            sql=sql,
            caption=_fill(artifact.caption, self.facts),
            extras=extras,
            suppressed=masked.total,
            suppressed_secondary=masked.secondary,
        )

    def _run(self, artifact: Artifact, with_sql: bool) -> tuple[pa.Table, str]:
        expr = self.expression(artifact)
        # Artifacts that only differ in their pandas ``post`` (F27/F28/T3) or chart (F1/F2)
        # build the same expression: it runs once (the tables it reads do not change
        # once the rollups are built).
        key = (expr.op(), with_sql)
        if key not in self._results:
            if self.keep:
                self._results[key] = self._kept_compute(artifact, expr)
            elif with_sql:
                self._results[key] = self.engine.execute(self.backend, expr)
            else:
                self._results[key] = expr.to_pyarrow(), ""
        return self._results[key]

    def _kept_partitioned(self, artifact: Artifact) -> tuple[pa.Table, str]:
        """A by-week (or by-month) artifact in a kept run.

        Its result is kept beside the rollups, before privacy and ``post``, every week's
        rows.  When the kept rollups were updated (not rebuilt) and the kept result was
        computed from the same expression (matched by :func:`expr_digest`), only the rows
        of the weeks this run replaces are recomputed, by the kept query over copies of
        those weeks' rollup rows (by month: the rows of the earliest month the update
        touched and later ones); otherwise the whole result is computed and kept.  When
        the artifact's recipe is the one the last run recorded, nothing its expression is
        built from changed, so the expression is not built at all (for most artifacts
        that cost more than updating their kept result).
        """
        recipe = self._recipe(artifact)
        digest = self._kept_recipes.get(recipe)
        expr = None
        if digest is None or (
            digest not in self._by_digest and self._kept_delta(artifact, digest) is None
        ):  # the recipe changed, or the kept result cannot be updated: build it
            expr = self.expression(artifact)
            digest = expr_digest(expr)
            if digest is None:
                return self._kept_compute(artifact, expr)
        self._keeping_recipes[recipe] = digest
        if digest not in self._by_digest:  # F2 builds F1's expression: run once
            self._by_digest[digest] = self._kept_result(artifact, digest, expr)
        return self._by_digest[digest]

    def _kept_delta(self, artifact: Artifact, digest: str) -> str | None:
        """The kept query that updates ``artifact``'s kept result with the replaced weeks,
        when that result was made by the expression ``digest`` and can be updated."""
        if self._delta is None or self._kept_results.get(f"result_{artifact.id}") != digest:
            return None
        return self._kept_delta_sql.get(digest) if digest in self._kept_sql else None

    def _kept_result(
        self, artifact: Artifact, digest: str, expr: ibis.Table | None
    ) -> tuple[pa.Table, str]:
        """``artifact``'s kept result brought up to date (``expr``: its expression, when
        built; None only when :meth:`_kept_delta` updates it)."""
        name = f"result_{artifact.id}"
        delta_sql = self._kept_delta(artifact, digest)
        if delta_sql is not None:
            sql = self._kept_sql[digest]
            if artifact.by_month:
                since = self._replaced_months([p for p in artifact.params if _kept_by_month(p)])
                if since is not None:
                    self.engine.replace_since(self.backend, name, "month", since, delta_sql)
            elif self._replaced:
                self._make_week_tables(artifact)
                self.engine.replace_partitions(
                    self.backend, name, "week", self._replaced, expr, sql=delta_sql
                )
            self.results_info["updated"].append(artifact.id)
        else:
            assert expr is not None
            sql = self._compiled(expr)[1]
            self.engine.materialize(self.backend, name, expr, kept=True, sql=sql)
            delta_sql = self.engine.compile(self.backend, self._delta_expression(artifact))
            self.results_info["computed"].append(artifact.id)
        if expr is not None:  # what a later run reads without building it
            self.engine.keep_memtables(self.backend, expr)
        self._keeping_results[name] = digest
        self._keeping_sql[digest] = sql
        self._keeping_delta_sql[digest] = delta_sql
        return self.engine.read_kept_result(self.backend, name, expr), sql

    def _recipe(self, artifact: Artifact) -> str:
        """What ``artifact``'s expression is built from: its function (the package's
        code, and the versions of the libraries that build and compile expressions), the
        config, its context's rows and its input tables' names and schemas."""
        parts = [artifact.id, _code_fingerprint(), repr(self.config)]
        for p in artifact.params:
            if p == "context":
                context = _named_memtables(self._context(artifact), self._memtables)
                parts.append(f"context={context.op().name}")  # named after its rows
            elif p != "config":
                parts.append(f"{p}={self.table(p).schema()!r}")
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def _kept_compute(self, artifact: Artifact, expr: ibis.Table) -> tuple[pa.Table, str]:
        """Run ``artifact`` in a run that keeps its rollups (incremental, DuckDB), by the
        SQL the last kept run compiled for the same expression (see ``_compiled``)."""
        return self.engine.execute(self.backend, expr, sql=self._compiled(expr)[1])

    def _compiled(self, expr: ibis.Table) -> tuple[str | None, str]:
        """``expr``'s digest (None: not digestible) and SQL: what the last kept run
        compiled for the same expression, else compiled now; kept for the next run."""
        digest = expr_digest(expr)
        sql = self._kept_sql.get(digest) if digest else None
        if sql is None:
            sql = self.engine.compile(self.backend, expr)
        if digest is not None:
            self._keeping_sql[digest] = sql
        return digest, sql

    def _delta_expression(self, artifact: Artifact) -> ibis.Table:
        """``artifact`` over the replaced weeks' rows of its rollups (_make_week_tables;
        by month: the replaced months' rows of the rollups kept by month, _replaced_months,
        and the other inputs whole)."""
        if artifact.by_month:
            check_by_month(artifact)
        else:
            check_by_week(artifact)

        def bind(p: str) -> Any:
            if p == "config":
                return self.config
            if artifact.by_month:
                if _kept_by_month(p):
                    return ibis.table(self.table(p).schema(), name=_month_table(p))
                return self._bind(p)
            return ibis.table(self.table(p).schema(), name=_week_table(p))

        return _named_memtables(artifact.func(**self._arguments(artifact, bind)), self._memtables)

    def _make_week_tables(self, artifact: Artifact) -> None:
        """The replaced weeks' rows of the rollups ``artifact`` reads, copied once a run."""
        weekly = [p for p in artifact.params if _kept_by_week(p)]
        self._copy_rows(weekly, _week_table, "week", self._delta or [])

    def _markers(self, artifact: Artifact, df: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for slug in artifact.markers:
            model = self.catalog.resolve(slug)
            if model is None:
                continue
            info = self.catalog.get(model)
            released = info["release_date"]
            if isinstance(released, date):
                rows.append({"model": model, "label": info["name"], "release_date": released})
        out = pd.DataFrame(rows, columns=["model", "label", "release_date"])
        if "week" in df.columns and len(df):
            weeks = pd.to_datetime(df["week"])
            released = pd.to_datetime(out["release_date"])
            out = out[(released >= weeks.min()) & (released <= weeks.max() + pd.Timedelta(days=6))]
        return out.reset_index(drop=True)


_MEMTABLE = re.compile(MEMTABLE_PREFIX + r"[0-9a-f]+")


@functools.cache
def _code_fingerprint() -> str:
    """A digest of the package's code and of the libraries that build, name and compile
    expressions: any change to either and kept expressions are built again."""
    import importlib.metadata

    digest = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    for lib in ("ibis-framework", "sqlglot", "duckdb", "pandas", "pyarrow", "numpy"):
        digest.update(f"{lib}={importlib.metadata.version(lib)}".encode())
    return digest.hexdigest()


def _week_table(rollup: str) -> str:
    return f"replaced_weeks_{rollup}"


def _month_table(rollup: str) -> str:
    return f"replaced_months_{rollup}"


def _kept_by_week(name: str) -> bool:
    spec = ROLLUPS.get(name)
    return spec is not None and isinstance(spec.upkeep, ByWeek)


def _kept_by_month(name: str) -> bool:
    spec = ROLLUPS.get(name)
    return spec is not None and isinstance(spec.upkeep, Sums) and spec.upkeep.partition == "month"


#: Reference tables fixed by the catalog and the config (both in the kept rollups'
#: fingerprint): a kept result may read them whole.
FIXED_REFERENCES = frozenset({"models", "countries", "label_paths", "retention_targets"})


def check_by_month(artifact: Artifact) -> None:
    """A ``by_month`` artifact reads rollups kept by month, ``Firsts`` rollups, reference
    tables the catalog and config fix, and ``config``."""
    if not artifact.by_month:
        raise ValueError(f"artifact {artifact.id} is not registered by_month")
    other = [
        p
        for p in artifact.params
        if p != "config"
        and p not in FIXED_REFERENCES
        and not _kept_by_month(p)
        and not (p in ROLLUPS and isinstance(ROLLUPS[p].upkeep, Firsts))
    ]
    if other or not any(_kept_by_month(p) for p in artifact.params):
        raise ValueError(
            f"artifact {artifact.id} is registered by_month but reads "
            f"{', '.join(other) or 'no rollup kept by month'}: it may read rollups kept by "
            "month (Sums partitioned by month), Firsts rollups, the catalog's and config's "
            f"reference tables ({', '.join(sorted(FIXED_REFERENCES))}) and config"
        )


def check_by_week(artifact: Artifact) -> None:
    """A ``by_week`` artifact reads only rollups kept by week, and ``config``."""
    if not artifact.by_week:
        raise ValueError(f"artifact {artifact.id} is not registered by_week")
    other = [p for p in artifact.params if p not in ("config", "context") and not _kept_by_week(p)]
    if other:
        raise ValueError(
            f"artifact {artifact.id} is registered by_week but reads {', '.join(other)}, "
            "which are not rollups kept by week (ByWeek upkeep)"
        )


@functools.cache
def _pass_schemas() -> dict[str, ibis.Schema]:
    """The schema of each pass output (to read cached outputs, or stand in for empty ones)."""
    schema = ibis.Schema.from_pyarrow(EVENT_SCHEMA)
    events = ibis.table({c: schema[c] for c in EVENT_COLUMNS}, name="events")
    return {name: func(events, StudyConfig(), None).schema() for name, func in PASS_OUTPUTS.items()}


def _named_memtables(expr: ibis.Table, seen: dict[str, Any]) -> ibis.Table:
    """``expr`` with each in-memory table named after its schema and rows.

    Ibis names memtables at random, so two artifacts building the same query would not
    compare equal (nor show the same SQL); named by content (one table per name, kept in
    ``seen``), they do.
    """
    import ibis.expr.operations as ops

    op = expr.op()
    memtables = op.find(ops.InMemoryTable)
    if not memtables:
        return expr
    renamed = {}
    for mt in memtables:
        frame = mt.data.to_frame()
        digest = hashlib.sha256(repr(tuple(mt.schema.items())).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(repr(list(frame.columns)).encode())
        name = f"{MEMTABLE_PREFIX}{digest.hexdigest()[:24]}"
        renamed[mt] = seen.setdefault(name, mt.copy(name=name))
    return op.replace(renamed).to_expr()


class _Facts(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(caption: str, facts: dict[str, Any]) -> str:
    return caption.format_map(_Facts(facts))


def _sort(df: pd.DataFrame, order_by: Sequence[str]) -> pd.DataFrame:
    cols = [c.lstrip("-") for c in order_by]
    if not cols:
        return df
    ascending = [not c.startswith("-") for c in order_by]
    return df.sort_values(cols, ascending=ascending, kind="stable", na_position="last")


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(time.perf_counter() - t0, 3)


def _write_table(df: pd.DataFrame, base: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, base.with_suffix(".parquet"), compression="zstd")
    df.to_csv(base.with_suffix(".csv"), index=False, date_format="%Y-%m-%d")


def run_study(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    engine: str = "duckdb",
    engine_options: dict[str, Any] | None = None,
    catalog_files: Sequence[str | Path] = (),
    catalog: Catalog | None = None,
    config: StudyConfig | None = None,
    artifacts: Sequence[str] | None = None,
    reporter: Reporter | None = None,
    write_report: bool = True,
    reference: bool = True,
    figures: bool = True,
    pdf: bool = False,
    incremental: bool = False,
    trust_store: bool = True,
    aggregate_source: str | None = None,
) -> StudyResult:
    """Read ``inputs``, run every (or the chosen) artifact, write ``out_dir``.

    One tokencensus store as the input is read directly (its rows were validated and
    deduplicated when written; ``trust_store=False`` validates it like any file), with
    its per-week rollups kept in ``out_dir/rollup-cache``; ``incremental`` reuses
    those of unchanged weeks.  Other inputs are validated, staged and deduplicated.
    The catalog is the shipped one plus ``catalog_files``, unless ``catalog`` is given.
    A store holding only aggregate rows (no events) feeds the artifacts that need no
    per-request data (``aggregate_source`` picks the source when it holds several).
    With ``write_report``: ``index.html``, plus ``figures/<ID>.png|svg`` (``figures``) and
    ``report.pdf`` (``pdf``); ``reference`` draws the paper's published values on the charts.
    """
    config = config or StudyConfig()
    reporter = reporter or SilentReporter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    chosen = _choose(artifacts)
    eng = get_engine(engine)
    if catalog is None:
        catalog = load_catalog(*catalog_files)

    aggregates = aggregate_store(inputs, aggregate_source)
    if aggregates is not None:
        return _run_on_aggregates(aggregates, out, eng, engine, engine_options, catalog, config,
                                  chosen, reporter, timings, t_start, write_report, reference,
                                  figures, pdf)  # fmt: skip
    store, why_not = trusted_store(inputs) if trust_store else (None, "validation was asked for")
    if incremental and store is None:
        raise ConfigError(
            f"--incremental needs one tokencensus store as the input (here: {why_not}); "
            "it reuses the rollups of the store's unchanged weeks."
        )
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=out) as staging:
        if store is None:
            with _timed(timings, "read"):
                reporter.start("Reading and validating inputs")
                summary = read_events(
                    inputs,
                    Path(staging),
                    out / "quarantine.jsonl",
                    on_rows=lambda _f, n: reporter.advance(n),
                )
                reporter.finish()
            if summary.loaded == 0:
                raise InputError(_nothing_loaded(summary))
        else:
            summary = _store_summary(store, out)
        keep = incremental and store is not None and eng.keeps_rollups
        backend = _connect(eng, engine, engine_options, out / CACHE_DIR if keep else None)
        try:
            study = Study(backend, eng, catalog, config, keep_rollups=keep)
            with _timed(timings, "load"):
                if store is None:
                    reporter.start("Loading events into " + eng.name)
                    study.load_staged(str(Path(staging) / "*.parquet"))
                    reporter.finish()
                    study.load_info["validated_because"] = why_not
                else:
                    study.load_store(
                        store,
                        RollupCache(out / CACHE_DIR),
                        incremental=incremental,
                        reporter=reporter,
                    )
            if study.counts["events"] == 0:
                raise InputError(
                    f"None of the {summary.loaded:,} valid events falls inside the window "
                    f"{config.start or '...'} to {config.end or '...'}; widen --start/--end."
                )
            results, headline = _compute_all(study, chosen, reporter, timings)
        finally:
            eng.close(backend)

    return _write_outputs(
        summary, study, eng, catalog, config, results, headline, out, timings, t_start,
        write_report=write_report, reference=reference, figures=figures, pdf=pdf,
        reporter=reporter,
    )  # fmt: skip


def _connect(
    eng: Engine, engine: str, options: dict[str, Any] | None, kept_in: Path | None
) -> ibis.BaseBackend:
    """The engine's backend; with ``kept_in``, on the database kept there between runs."""
    if kept_in is None:
        return connect(engine, **(options or {}))
    return eng.connect_kept(kept_in, **(options or {}))


def _write_outputs(
    summary: ReadSummary,
    study: Study,
    eng: Engine,
    catalog: Catalog,
    config: StudyConfig,
    results: dict[str, ArtifactResult],
    headline: dict[str, Any],
    out: Path,
    timings: dict[str, float],
    t_start: float,
    *,
    write_report: bool,
    reference: bool,
    figures: bool,
    pdf: bool,
    reporter: Reporter,
) -> StudyResult:
    """Data files, SQL, the manifest and (optionally) the report of a finished study."""
    with _timed(timings, "write"):
        (out / "data").mkdir(exist_ok=True)
        (out / "sql").mkdir(exist_ok=True)
        for aid, res in results.items():
            _write_table(res.data, out / "data" / aid)
            for name, extra in res.extras.items():
                extra.to_csv(
                    out / "data" / f"{aid}_{name}.csv", index=False, date_format="%Y-%m-%d"
                )
            (out / "sql" / f"{aid}.sql").write_text(res.sql + "\n", encoding="utf-8")
    manifest = _manifest(summary, study, eng, catalog, config, results)
    manifest["headline"] = headline
    result = StudyResult(out_dir=out, manifest=manifest, results=results)
    if write_report:
        from tokencensus.report.publish import publish_report

        publish_report(
            result,
            out,
            reference=reference,
            figures=figures,
            pdf=pdf,
            timings=timings,
            reporter=reporter,
        )
    timings["total"] = round(time.perf_counter() - t_start, 3)
    manifest["timings_s"] = timings
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return result


def aggregate_store(
    inputs: Sequence[str | Path], source: str | None = None
) -> tuple[Path, str, pa.Table] | None:
    """(store, source, week x model rows) when the one input is a store of aggregates only."""
    from tokencensus.rollup_cache import _store_root
    from tokencensus.store import Store

    if len(inputs) != 1:
        return None
    root = _store_root(inputs[0])
    if root is None:
        return None
    store = Store.open(root)
    if store.files("events") or not store.files("aggregates"):
        return None
    from tokencensus.ingest.aggregates import weekly_rows

    rows = store.read("aggregates")
    sources = sorted(set(rows.column("source").to_pylist()))
    if source is None:
        if len(sources) > 1:
            raise ConfigError(
                f"Store {root} holds aggregates from several sources ({', '.join(sources)}), "
                "which describe different populations; choose one with --aggregate-source."
            )
        source = sources[0]
    return root, source, weekly_rows(rows, source)


def _run_on_aggregates(
    aggregates: tuple[Path, str, pa.Table],
    out: Path,
    eng: Engine,
    engine: str,
    engine_options: dict[str, Any] | None,
    catalog: Catalog,
    config: StudyConfig,
    chosen: list[Artifact],
    reporter: Reporter,
    timings: dict[str, float],
    t_start: float,
    write_report: bool,
    reference: bool,
    figures: bool,
    pdf: bool,
) -> StudyResult:
    """The study on an aggregate-only store: the artifacts week x model sums can feed."""
    from tokencensus.ingest.aggregates import AGGREGATE_ARTIFACTS, EVENT_ONLY_ARTIFACTS

    root, source, weekly = aggregates
    summary = ReadSummary(
        files=[FileSummary(path=str(root), format=f"aggregates:{source}", read=weekly.num_rows,
                           loaded=weekly.num_rows)],
        staging_dir=root,
        quarantine_path=out / "quarantine.jsonl",
        quarantined=0,
        quarantine_reasons={},
        quarantine_examples=[],
    )  # fmt: skip
    runnable = [a for a in chosen if a.id in AGGREGATE_ARTIFACTS]
    backend = connect(engine, **(engine_options or {}))
    try:
        study = Study(backend, eng, catalog, config)
        with _timed(timings, "load"):
            study.load_aggregates(weekly, source=source, store=root)
        if study.counts["events"] == 0 and not weekly.num_rows:
            raise InputError(f"Store {root} holds no aggregate rows from {source}.")
        results, headline = _compute_all(study, runnable, reporter, timings)
    finally:
        eng.close(backend)
    skipped = {a.id: EVENT_ONLY_ARTIFACTS.get(a.id, "request-level data") for a in chosen
               if a.id not in AGGREGATE_ARTIFACTS}  # fmt: skip
    result = _write_outputs(
        summary, study, eng, catalog, config, results, headline, out, timings, t_start,
        write_report=False, reference=reference, figures=figures, pdf=pdf, reporter=reporter,
    )  # fmt: skip
    result.manifest["not_computable"] = {
        aid: f"needs {why}, which aggregate rows do not carry" for aid, why in skipped.items()
    }
    if write_report:
        from tokencensus.report.publish import publish_report

        publish_report(result, out, reference=reference, figures=figures, pdf=pdf,
                       timings=timings, reporter=reporter)  # fmt: skip
    (out / "manifest.json").write_text(
        json.dumps(result.manifest, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return result


def _choose(artifacts: Sequence[str] | None) -> list[Artifact]:
    if not artifacts:
        return list(ARTIFACTS.values())
    chosen = []
    for aid in artifacts:
        key = aid.strip().upper()
        if key not in ARTIFACTS:
            from tokencensus.errors import did_you_mean

            raise ConfigError(
                f"Unknown artifact {aid!r}.{did_you_mean(key, ARTIFACTS)} "
                f"Known: {', '.join(ARTIFACTS)}."
            )
        chosen.append(ARTIFACTS[key])
    return chosen


#: Rollups :meth:`Study.headline` reads, built whichever artifacts a run chose.
HEADLINE_ROLLUPS = frozenset({"weekly_facts", "sampled_labels"})


def _compute_all(
    study: Study, chosen: list[Artifact], reporter: Reporter, timings: dict[str, float]
) -> tuple[dict[str, ArtifactResult], dict[str, Any]]:
    with _timed(timings, "rollups"):
        needed = {p for a in chosen for p in (*a.params, *a.context_params) if p in ROLLUPS}
        needed |= HEADLINE_ROLLUPS
        if study.keep:  # the kept database holds every rollup, whichever artifacts ran
            needed = set(ROLLUPS)
        reporter.start("Building rollups", total=len(needed))
        for name in ROLLUPS:
            if name in needed:
                study.table(name)
                reporter.advance()
        study.release_pass_outputs()
        reporter.finish()
    results: dict[str, ArtifactResult] = {}
    with _timed(timings, "analyses"):
        reporter.start("Computing artifacts", total=len(chosen))
        for a in chosen:
            results[a.id] = study.compute(a)
            reporter.advance()
        headline = study.headline()
        # the kept rollups and by-week results change together, in one transaction (with
        # the SQL of this run's queries, the headline's included)
        study.commit_kept()
        reporter.finish()
    return results, headline


def _store_summary(store: StoreWeeks, out: Path) -> ReadSummary:
    """The read summary of a trusted store (nothing validated, nothing quarantined)."""
    files = [
        FileSummary(
            path=str(store.root), format="tokencensus-store", read=store.events, loaded=store.events
        )
    ]
    return ReadSummary(
        files=files,
        staging_dir=store.root,
        quarantine_path=out / "quarantine.jsonl",
        quarantined=0,
        quarantine_reasons={},
        quarantine_examples=[],
    )


def _nothing_loaded(summary: ReadSummary) -> str:
    lines = [
        f"No usable events: read {summary.read:,} records from {len(summary.files)} file(s), "
        f"all {summary.quarantined:,} rejected. Reasons are in {summary.quarantine_path}."
    ]
    lines += [f"  {e}" for e in summary.quarantine_examples[:5]]
    return "\n".join(lines)


def _load_section(study: Study) -> dict[str, Any]:
    info = dict(study.load_info)
    if study.keep:
        done = study.results_info
        info["kept_results"] = (
            f"{len(done['updated'])} kept artifact result(s) updated with the replaced "
            f"weeks only, {len(done['computed'])} computed over every week"
        )
    if info.get("mode") == "trusted-store":
        info["validation"] = (
            "skipped: a tokencensus store's rows were validated and deduplicated by id "
            "when they were written"
        )
    return info


def _manifest(
    summary: ReadSummary,
    study: Study,
    eng: Engine,
    catalog: Catalog,
    config: StudyConfig,
    results: dict[str, ArtifactResult],
) -> dict[str, Any]:
    weeks = sorted(
        {
            pd.Timestamp(w).date()
            for r in results.values()
            if "week" in r.data
            for w in r.data["week"]
        }
    )
    unknown = study.unknown_models
    return {
        "tokencensus_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "engine": eng.name,
        "inputs": [vars(f) for f in summary.files],
        "load": _load_section(study),
        "rows": {
            "read": summary.read,
            "quarantined": summary.quarantined,
            "duplicates": study.counts["duplicates"],
            "loaded": summary.loaded - study.counts["duplicates"],
            "outside_window": study.counts["outside_window"],
            "events": study.counts["events"],
        },
        "quarantine": {
            "file": str(summary.quarantine_path) if summary.quarantined else None,
            "reasons": summary.quarantine_reasons,
            "examples": summary.quarantine_examples,
        },
        "unknown_models": {
            "models": len(unknown),
            "events": int(unknown["events"].sum()) if len(unknown) else 0,
            "tokens": int(unknown["tokens"].sum()) if len(unknown) else 0,
            "list": [
                {"model": m, "events": int(e), "tokens": int(t)}
                for m, e, t in zip(
                    unknown["model"], unknown["events"], unknown["tokens"], strict=True
                )
            ],
        },
        "window": {
            "start": str(config.start) if config.start else None,
            "end": str(config.end) if config.end else None,
            "first_week": str(weeks[0]) if weeks else None,
            "last_week": str(weeks[-1]) if weeks else None,
            "weeks": len(weeks),
        },
        "catalog": {"models": len(catalog), "extra_files": list(catalog.sources)},
        "sections": [s.key for s in SECTIONS.values()],
        "artifacts": [
            {
                "id": aid,
                "title": r.artifact.title,
                "caption": r.caption,
                "rows": len(r.data),
                "suppressed": r.suppressed,
                "suppressed_primary": r.suppressed_primary,
                "suppressed_secondary": r.suppressed_secondary,
                "data": f"data/{aid}.csv",
                "extras": [f"data/{aid}_{name}.csv" for name in r.extras],
            }
            for aid, r in results.items()
        ],
        "privacy": {
            "min_users": config.min_users,
            "suppressed_cells": sum(r.suppressed for r in results.values()),
            "primary_cells": sum(r.suppressed_primary for r in results.values()),
            "secondary_cells": sum(r.suppressed_secondary for r in results.values()),
            "exceptions": [
                {
                    "artifact": aid,
                    "columns": list(r.artifact.single_account),
                    "rule": "describes one account by construction; published only where "
                    f"the row's users reach {config.min_users}",
                }
                for aid, r in results.items()
                if r.artifact.single_account
            ],
        },
    }
