"""Loading: the trusted-store path, passes in batches of weeks, and the incremental cache.

Each check runs a handful of artifacts that together read every rollup (F1: weekly_facts
and user_weekly, T2: user_languages, F25: user_model_month, F6: sampled_labels, T1:
user_models).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.engine.frames import ATOL, RTOL, assert_same_frame
from tokencensus.analyses import ARTIFACTS, StudyConfig
from tokencensus.engine import get_engine
from tokencensus.errors import ConfigError
from tokencensus.rollup import PASS_OUTPUTS, ROLLUPS, events_grain
from tokencensus.rollup_cache import CACHE_DIR, plan_batches, trusted_store
from tokencensus.study import run_study

EVERY_ROLLUP = ["F1", "T2", "F25", "F6", "T1"]


def _view(store: Path, dest: Path, weeks: list[Path]) -> Path:
    """A store whose week folders link to ``store``'s files."""
    (dest / "events").mkdir(parents=True)
    shutil.copy(store / "tokencensus-store.json", dest / "tokencensus-store.json")
    for week in weeks:
        (dest / "events" / week.name).symlink_to(week, target_is_directory=True)
    return dest


def _weeks(store: Path) -> list[Path]:
    return sorted((store / "events").glob("week=*"))


def _same_results(a: Any, b: Any) -> None:
    assert list(a.results) == list(b.results)
    for aid in a.results:
        keys = tuple(ARTIFACTS[aid].keys)
        assert_same_frame(a.results[aid].data, b.results[aid].data, keys, aid)
    assert a.manifest["rows"]["events"] == b.manifest["rows"]["events"]
    for key, value in a.manifest["headline"].items():
        other = b.manifest["headline"][key]
        if isinstance(value, float):
            assert other == pytest.approx(value, rel=RTOL, abs=ATOL), key
        else:
            assert other == value, key


@pytest.fixture(scope="module")
def full(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("full")
    return run_study([demo_store], out, artifacts=EVERY_ROLLUP, write_report=False)


def test_store_is_read_directly(full: Any, demo_store: Path) -> None:
    load = full.manifest["load"]
    assert load["mode"] == "trusted-store"
    assert load["weeks_read"] == load["weeks"] == len(_weeks(demo_store))
    assert "validated and deduplicated" in load["validation"]
    assert full.manifest["rows"]["read"] == full.manifest["rows"]["events"] == 100_000
    assert not (full.out_dir / "quarantine.jsonl").exists()
    # a plain DuckDB run never reads the rollup cache, so it writes none either
    assert load["rollup_cache"] is None
    assert not (full.out_dir / CACHE_DIR).exists()


def test_plain_run_leaves_an_existing_cache_alone(demo_store: Path, tmp_path: Path) -> None:
    first = run_study([demo_store], tmp_path, artifacts=["T2"], write_report=False,
                      incremental=True)  # fmt: skip
    assert first.manifest["load"]["rollup_cache"] == str(tmp_path / CACHE_DIR)
    index = (tmp_path / CACHE_DIR / "index.json").read_text()
    gens = sorted(p.name for p in (tmp_path / CACHE_DIR).iterdir() if p.is_dir())
    run_study([demo_store], tmp_path, artifacts=["T2"], write_report=False)
    assert (tmp_path / CACHE_DIR / "index.json").read_text() == index
    assert sorted(p.name for p in (tmp_path / CACHE_DIR).iterdir() if p.is_dir()) == gens
    again = run_study([demo_store], tmp_path, artifacts=["T2"], write_report=False,
                      incremental=True)  # fmt: skip
    assert again.manifest["load"]["weeks_read"] == 0


def test_store_events_folder_is_the_store(demo_store: Path, tmp_path: Path) -> None:
    """'study STORE/events' (what 'simulate' prints) reads the store directly too."""
    res = run_study([demo_store / "events"], tmp_path, artifacts=["T2"], write_report=False)
    assert res.manifest["load"]["mode"] == "trusted-store"


def test_validated_path_gives_the_same_numbers(full: Any, demo_store: Path, tmp_path: Path) -> None:
    checked = run_study(
        [demo_store], tmp_path, artifacts=EVERY_ROLLUP, write_report=False, trust_store=False
    )
    assert checked.manifest["load"]["input"] == "validated"
    assert checked.manifest["load"]["validated_because"] == "validation was asked for"
    _same_results(full, checked)


def test_many_small_passes_give_the_same_numbers(
    full: Any, demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_engine("duckdb"), "batch_events", 7_000)
    small = run_study([demo_store], tmp_path, artifacts=EVERY_ROLLUP, write_report=False)
    assert small.manifest["load"]["passes"] > 10
    _same_results(full, small)


def test_incremental_reads_only_the_new_week(full: Any, demo_store: Path, tmp_path: Path) -> None:
    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-1])
    out = tmp_path / "out"
    first = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert first.manifest["load"]["weeks_read"] == len(weeks) - 1
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)
    again = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    load = again.manifest["load"]
    assert (load["weeks_read"], load["weeks_reused"]) == (1, len(weeks) - 1)
    _same_results(full, again)
    # nothing changed: nothing is read
    same = run_study([view], out, artifacts=["T2"], write_report=False, incremental=True)
    assert same.manifest["load"]["weeks_read"] == 0
    # a rewritten week file is read again
    part = next((weeks[3]).glob("part-*.parquet"))
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = run_study([view], out, artifacts=["T2"], write_report=False, incremental=True)
    assert touched.manifest["load"]["weeks_read"] == 1
    index = json.loads((out / CACHE_DIR / "index.json").read_text())
    assert len(index["weeks"]) == len(weeks)
    live = {e["dir"].split("/")[0] for e in index["weeks"].values()}
    assert {p.name for p in (out / CACHE_DIR).iterdir() if p.is_dir()} == live


def test_incremental_recomputes_weeks_the_window_cuts(demo_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_study([demo_store], out, artifacts=["T2"], write_report=False, incremental=True)
    config = StudyConfig(start=date(2025, 1, 15), end=date(2025, 6, 10))
    inc = run_study(
        [demo_store], out, artifacts=EVERY_ROLLUP, write_report=False, config=config,
        incremental=True,
    )  # fmt: skip
    mondays = [date.fromisoformat(w.name[5:]) for w in _weeks(demo_store)]
    inside = [m for m in mondays if config.start <= m and m + timedelta(days=6) <= config.end]
    # weeks the window cuts or leaves out are recomputed, whole weeks inside it reused
    assert inc.manifest["load"]["weeks_read"] == len(mondays) - len(inside)
    assert inc.manifest["load"]["weeks_reused"] == len(inside) > 0
    fresh = run_study(
        [demo_store], tmp_path / "fresh", artifacts=EVERY_ROLLUP, write_report=False,
        config=config,
    )  # fmt: skip
    _same_results(fresh, inc)
    assert inc.manifest["rows"]["outside_window"] > 0


@pytest.mark.parametrize(
    "window",
    [(None, None), (date(2025, 3, 5), date(2025, 6, 4)), (date(2025, 7, 1), None)],
    ids=["no-window", "window-cuts-weeks", "weeks-before-the-window"],
)
def test_one_week_grain_takes_its_constant_keys_as_given(
    demo_store: Path, window: tuple[date | None, date | None]
) -> None:
    """A pass over one week folder groups by fewer keys (week, month inside one month,
    window flag when the window does not cut the week) and gives the same grain rows as
    the general pass over every week: weeks inside a month, across two, cut by the
    window or outside it."""
    import duckdb
    import ibis

    config = StudyConfig(start=window[0], end=window[1])
    store, why = trusted_store([demo_store])
    assert store is not None, why
    con = ibis.duckdb.from_connection(duckdb.connect())
    mondays = sorted(store.files)
    picked = [m for m in mondays if (m + timedelta(days=6)).month != m.month][:3]
    picked += [m for m in mondays if (m + timedelta(days=6)).month == m.month][:3]
    if window[0] is not None:  # the weeks the window's edges cut
        edges = [w for w in window if w is not None]
        picked += [m for m in mondays for w in edges if m <= w < m + timedelta(days=7)]
    every = events_grain(con.read_parquet([str(p) for p in store.paths()]), config)
    for monday in picked:
        one = con.read_parquet([str(p) for p in store.files[monday]])
        for name, func in PASS_OUTPUTS.items():
            folded, general = func(one, config, monday), func(one, config, None)
            assert folded.schema() == general.schema(), name
        sql = str(ibis.to_sql(events_grain(one, config, monday), dialect="duckdb"))
        if (monday + timedelta(days=6)).month == monday.month:
            assert "DATE_TRUNC" not in sql, "week and month are constants here"
        got = events_grain(one, config, monday).to_pandas()
        want = every.filter(every.week == monday).to_pandas()
        assert len(got) == len(want) > 0, monday
        keys = [c for c in want.columns if c in got.columns and want[c].dtype == object]
        keys += ["week", "month", "in_window", "is_byok"]
        assert_same_frame(got, want, tuple(dict.fromkeys(keys)), str(monday))


def test_a_week_folder_with_events_of_another_week_is_validated(
    full: Any, demo_store: Path, tmp_path: Path
) -> None:
    """A pass over one week folder takes its week as given, so a store whose file sits in
    the wrong week folder is not trusted: it is validated, with the file named, and gives
    the same numbers."""
    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-2])
    moved = sorted(weeks[-1].glob("*.parquet"))[0]
    (view / "events" / weeks[-2].name).mkdir()
    for part in sorted(weeks[-2].glob("*.parquet")):
        (view / "events" / weeks[-2].name / part.name).symlink_to(part)
    (view / "events" / weeks[-2].name / "part-moved.parquet").symlink_to(moved)
    res = run_study([view], tmp_path / "out", artifacts=EVERY_ROLLUP, write_report=False)
    why = res.manifest["load"]["validated_because"]
    assert "part-moved.parquet holds events outside its week folder" in why
    _same_results(full, res)


def test_a_week_file_without_time_statistics_is_not_trusted(
    demo_store: Path, tmp_path: Path
) -> None:
    """Without ``created_at`` statistics a file's week cannot be checked from its footer,
    so the store is not trusted, and the reason names the file and row group."""
    import pyarrow.parquet as pq

    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:3])
    assert trusted_store([view])[0] is not None
    folder = view / "events" / weeks[3].name
    folder.mkdir()
    source = sorted(weeks[3].glob("*.parquet"))[0]
    pq.write_table(pq.read_table(source), folder / "part-nostats.parquet", write_statistics=False)
    found, why = trusted_store([view])
    assert found is None
    assert "part-nostats.parquet has no created_at statistics in row group 0" in why


def test_incremental_needs_a_store(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("id,created_at,user_id,model,prompt_tokens,completion_tokens,cost_usd\n")
    with pytest.raises(ConfigError, match="--incremental needs one tokencensus store as the input"):
        run_study([events], tmp_path / "out", incremental=True, write_report=False)


def test_plan_batches_groups_consecutive_weeks() -> None:
    weeks = [date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20), date(2025, 1, 27)]
    rows = dict(zip(weeks, [5, 4, 9, 1], strict=True))
    assert plan_batches(weeks, rows, 9) == [weeks[:2], weeks[2:3], weeks[3:]]
    assert plan_batches(weeks, rows, None) == [weeks]
    assert plan_batches([], rows, 9) == []


def test_nothing_reads_raw_events() -> None:
    """Rollups read pass outputs; analyses read rollups: raw events are read once."""
    for spec in ROLLUPS.values():
        assert "events" not in spec.params, spec.name
    for artifact in ARTIFACTS.values():
        assert "events" not in artifact.params, artifact.id


def test_pass_outputs_are_freed_and_headline_survives(
    full: Any, demo_store: Path, tmp_path: Path
) -> None:
    """After the rollups are built the pass outputs are dropped; a run of one artifact
    that reads neither sampled_labels nor weekly_facts still gets the whole headline."""
    from tokencensus.catalog import load_catalog
    from tokencensus.engine import connect
    from tokencensus.rollup_cache import RollupCache, trusted_store
    from tokencensus.study import Study

    one = run_study([demo_store], tmp_path / "one", artifacts=["T2"], write_report=False)
    assert one.manifest["headline"] == pytest.approx(full.manifest["headline"])

    store, _ = trusted_store([demo_store])
    assert store is not None
    eng = get_engine("duckdb")
    backend = connect("duckdb")
    try:
        study = Study(backend, eng, load_catalog(), StudyConfig())
        study.load_store(store, RollupCache(tmp_path / "cache"))
        study.table("weekly_facts")
        study.release_pass_outputs()
        tables = {
            r[0] for r in backend.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        assert "weekly_facts" in tables and "events_grain" not in tables
        assert study.table("weekly_facts").count().to_pyarrow().as_py() > 0
        with pytest.raises(RuntimeError, match="released"):
            study.table("user_weekly")
    finally:
        eng.close(backend)


def _kept(result: Any) -> str:
    return str(result.manifest["load"].get("kept_rollups", ""))


def test_incremental_adds_new_weeks_to_the_kept_rollups(
    full: Any, demo_store: Path, tmp_path: Path
) -> None:
    """Weeks added to a store are added to the rollups an incremental run kept (across a
    month boundary, every rollup upkeep: by week, sums by month, sums); same numbers."""
    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-5])
    out = tmp_path / "out"
    first = run_study([view], out, artifacts=["T2"], write_report=False, incremental=True)
    assert _kept(first).startswith("built from every week")
    assert (out / CACHE_DIR / "rollups.duckdb").exists()
    for week in weeks[-5:-1]:
        (view / "events" / week.name).symlink_to(week, target_is_directory=True)
    added = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(added) == "updated: 4 week(s) added, 0 changed, 0 removed"
    assert added.manifest["load"]["weeks_read"] == 4
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)
    again = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(again) == "updated: 1 week(s) added, 0 changed, 0 removed"
    _same_results(full, again)
    same = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(same) == "updated: 0 week(s) added, 0 changed, 0 removed"
    _same_results(full, same)


def _half_week(week: Path, dest: Path) -> Path:
    """A copy of a week folder holding the first half of its events."""
    import pyarrow.parquet as pq

    dest.mkdir(parents=True)
    for part in sorted(week.glob("part-*.parquet")):
        table = pq.read_table(part)
        pq.write_table(table.slice(0, table.num_rows // 2), dest / part.name)
    return dest


def test_kept_rollups_take_changed_and_removed_weeks(
    full: Any, demo_store: Path, tmp_path: Path
) -> None:
    """A week that grew (a partial week ingested again) replaces its kept rows and its old
    sums are subtracted; a removed week leaves them; both give a fresh run's numbers."""
    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-1])
    last = view / "events" / weeks[-1].name
    _half_week(weeks[-1], tmp_path / "half" / weeks[-1].name)
    last.symlink_to(tmp_path / "half" / weeks[-1].name, target_is_directory=True)
    out = tmp_path / "out"
    partial = run_study([view], out, artifacts=["T2"], write_report=False, incremental=True)
    assert partial.manifest["rows"]["events"] < full.manifest["rows"]["events"]
    last.unlink()
    last.symlink_to(weeks[-1], target_is_directory=True)
    grown = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(grown) == "updated: 0 week(s) added, 1 changed, 0 removed"
    assert grown.manifest["load"]["weeks_read"] == 1
    _same_results(full, grown)

    last.unlink()
    shrunk = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(shrunk) == "updated: 0 week(s) added, 0 changed, 1 removed"
    fresh = run_study(
        [view], tmp_path / "fresh", artifacts=EVERY_ROLLUP, write_report=False
    )  # fmt: skip
    _same_results(fresh, shrunk)


def test_kept_rollups_are_rebuilt_when_their_grain_or_the_catalog_changes(
    full: Any, demo_store: Path, tmp_path: Path
) -> None:
    from tokencensus.catalog import load_catalog

    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks)
    out = tmp_path / "out"
    run_study([view], out, artifacts=["T2"], write_report=False, incremental=True)
    # a touched week whose old grain was deleted from the cache (disk cleaned up, say)
    part = next((weeks[5]).glob("part-*.parquet"))
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    for gen in (out / CACHE_DIR).glob("g*"):
        shutil.rmtree(gen)
    touched = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(touched).startswith(f"rebuilt: the cached grain kept week {weeks[5].name[5:]}")
    _same_results(full, touched)
    catalog = load_catalog()
    catalog.models.loc[catalog.models.index[0], "author"] = "Someone Else"
    other = run_study(
        [view], out, artifacts=["T2"], write_report=False, incremental=True, catalog=catalog
    )
    assert _kept(other).startswith("built from every week")


def test_a_failed_run_leaves_the_kept_rollups_as_they_were(
    full: Any, demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept rollups and their record change in one transaction: a run that fails
    after adding a week to some rollups leaves them all as the last good run left them."""
    from tokencensus.study import Study

    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-1])
    out = tmp_path / "out"
    run_study([view], out, artifacts=["T2"], write_report=False, incremental=True)
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)

    def fail(self: Study) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(Study, "commit_kept", fail)
        with pytest.raises(RuntimeError, match="disk full"):
            run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    after = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert _kept(after) == "updated: 1 week(s) added, 0 changed, 0 removed"
    _same_results(full, after)


def test_a_damaged_kept_database_is_rebuilt(full: Any, demo_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_study([demo_store], out, artifacts=["T2"], write_report=False, incremental=True)
    (out / CACHE_DIR / "rollups.duckdb").write_bytes(b"not a database" * 1000)
    again = run_study(
        [demo_store], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True
    )
    assert _kept(again).startswith("built from every week")
    assert again.manifest["load"]["weeks_read"] == 0  # the grain cache is still good
    _same_results(full, again)


def test_kept_rollups_in_use_elsewhere_are_a_clear_error(demo_store: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tokencensus.errors import EngineError

    out = tmp_path / "out"
    run_study([demo_store], out, artifacts=["T2"], write_report=False, incremental=True)
    kept = out / CACHE_DIR / "rollups.duckdb"
    with subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(kept)],
        stdout=subprocess.PIPE, text=True,
    ) as holder:  # fmt: skip
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
            with pytest.raises(EngineError, match="open in another process"):
                run_study([demo_store], out, artifacts=["T2"], write_report=False, incremental=True)
            assert kept.stat().st_size > 100_000  # left alone
        finally:
            holder.kill()
