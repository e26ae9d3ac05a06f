"""By-week artifact results: the contract, and results kept between incremental runs.

An artifact registered ``by_week`` promises that its rows for a week come from that
week's rows of its inputs alone.  The contract is checked directly (the result over
every week equals the results over slices of weeks, stacked), and the results an
incremental run keeps and updates week by week are checked against fresh runs, through
added, changed and removed weeks, including weeks that bring levels no earlier week had.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from tests.engine.frames import assert_same_frame
from tests.engine.test_loading import _half_week, _view, _weeks
from tokencensus.analyses import ARTIFACTS
from tokencensus.rollup_cache import CACHE_DIR
from tokencensus.study import check_by_month, check_by_week, run_study

BY_WEEK = [a.id for a in ARTIFACTS.values() if a.by_week]
BY_MONTH = [a.id for a in ARTIFACTS.values() if a.by_month]
#: By-week artifacts given a context pooled over every week (their top models): with the
#: context computed from each slice instead, slicing must change them, or the contract
#: check proves nothing.
POOLED = [a.id for a in ARTIFACTS.values() if a.context is not None]


@pytest.fixture(scope="module")
def study(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tokencensus.analyses import StudyConfig
    from tokencensus.catalog import load_catalog
    from tokencensus.engine import connect, get_engine
    from tokencensus.rollup_cache import RollupCache, trusted_store
    from tokencensus.study import Study

    store, _ = trusted_store([demo_store])
    assert store is not None
    eng = get_engine("duckdb")
    backend = connect("duckdb")
    s = Study(backend, eng, load_catalog(), StudyConfig())
    s.load_store(store, RollupCache(tmp_path_factory.mktemp("cache")))
    yield s
    eng.close(backend)


def _slices(study: Any) -> list[list[Any]]:
    wf = study.table("weekly_facts")
    weeks = sorted(wf.select("week").distinct().to_pyarrow().column(0).to_pylist())
    size = -(-len(weeks) // 8)
    return [weeks[i : i + size] for i in range(0, len(weeks), size)]


def _stacked(
    study: Any, aid: str, slices: list[list[Any]], *, sliced_context: bool = False
) -> pd.DataFrame:
    artifact = ARTIFACTS[aid]
    frames = []
    for weeks in slices:
        if sliced_context:  # the context pooled over the slice's weeks only
            assert artifact.context is not None
            ctx = artifact.context(**{p: study._bind(p, weeks) for p in artifact.context_params})
            args = {p: study._bind(p, weeks) for p in artifact.params if p != "context"}
            expr = artifact.func(**args, context=ibis.memtable(ctx.to_pyarrow()))
        else:
            expr = study.expression(artifact, weeks)
        frames.append(expr.to_pyarrow().to_pandas())
    return pd.concat(frames, ignore_index=True)


def _whole(study: Any, aid: str) -> pd.DataFrame:
    return study.expression(ARTIFACTS[aid]).to_pyarrow().to_pandas()


@pytest.mark.parametrize("aid", BY_WEEK)
def test_by_week_results_stack_week_slices(study: Any, aid: str) -> None:
    """The contract itself: over eight slices of weeks, stacked, the result is the same."""
    check_by_week(ARTIFACTS[aid])
    slices = _slices(study)
    stacked = _stacked(study, aid, slices)
    assert_same_frame(_whole(study, aid), stacked, tuple(ARTIFACTS[aid].keys), aid)


@pytest.mark.parametrize("aid", POOLED)
def test_pooled_results_do_not_stack(study: Any, aid: str) -> None:
    """The check above can fail: ranked over each slice instead of the whole window, the
    top models differ, and so do the stacked results."""
    whole = _whole(study, aid)
    sliced = _stacked(study, aid, _slices(study), sliced_context=True)
    with pytest.raises(AssertionError):
        assert_same_frame(whole, sliced, tuple(ARTIFACTS[aid].keys), aid)


def test_by_week_inputs_are_checked() -> None:
    assert len(BY_WEEK) >= 20
    t2 = dataclasses.replace(ARTIFACTS["T2"], by_week=True)  # reads user_languages
    with pytest.raises(ValueError, match="user_languages"):
        check_by_week(t2)
    with pytest.raises(ValueError, match="not registered by_week"):
        check_by_week(ARTIFACTS["F11"])
    assert set(POOLED) == {"F3", "F13"}


def test_by_month_results_stack_month_slices(study: Any) -> None:
    """The by-month contract: over slices of months of the rollups kept by month (the
    first months whole), stacked, the result is the same; and slicing the first months
    too would change it (the check can fail)."""
    assert BY_MONTH == ["F25"]
    for aid in BY_MONTH:
        artifact = ARTIFACTS[aid]
        check_by_month(artifact)
        umm = study.table("user_model_month")
        months = sorted(umm.select("month").distinct().to_pyarrow().column(0).to_pylist())
        assert len(months) >= 3
        cuts = [months[: len(months) // 3], months[len(months) // 3 :]]
        frames = []
        for part in cuts:
            args = {p: study._bind(p) for p in artifact.params}
            args["user_model_month"] = umm.filter(umm.month.isin(part))
            frames.append(artifact.func(**args).to_pyarrow().to_pandas())
        whole = _whole(study, aid)
        assert_same_frame(whole, pd.concat(frames, ignore_index=True), artifact.keys, aid)
        firsts = study.table("cohort_firsts")
        sliced = []
        for part in cuts:
            args = {p: study._bind(p) for p in artifact.params}
            args["user_model_month"] = umm.filter(umm.month.isin(part))
            args["cohort_firsts"] = firsts.filter(firsts.first_month.isin(part))
            sliced.append(artifact.func(**args).to_pyarrow().to_pandas())
        with pytest.raises(AssertionError):
            assert_same_frame(whole, pd.concat(sliced, ignore_index=True), artifact.keys, aid)


def test_by_month_inputs_are_checked() -> None:
    t2 = dataclasses.replace(ARTIFACTS["T2"], by_week=False, by_month=True)
    with pytest.raises(ValueError, match="user_languages"):
        check_by_month(t2)
    with pytest.raises(ValueError, match="not registered by_month"):
        check_by_month(ARTIFACTS["F1"])


def _new_levels(result: Any, weeks: list[Path]) -> set[tuple[str, ...]]:
    """(artifact, level...) of rows in ``weeks`` whose levels no other week has."""
    days = {pd.Timestamp(w.name[5:]) for w in weeks}
    found = set()
    for aid, r in result.results.items():
        dims = [k for k in ARTIFACTS[aid].keys if k != "week"]
        if not ARTIFACTS[aid].by_week or not dims:
            continue
        inside = pd.to_datetime(r.data["week"]).isin(days)
        rows = r.data[dims].astype(str)
        before = set(map(tuple, rows[~inside].values))
        found |= {(aid, *row) for row in map(tuple, rows[inside].values) if row not in before}
    return found


def _same(a: Any, b: Any) -> None:
    assert list(a.results) == list(b.results)
    for aid in a.results:
        assert_same_frame(a.results[aid].data, b.results[aid].data, ARTIFACTS[aid].keys, aid)
        assert a.results[aid].sql == b.results[aid].sql, aid
        assert a.results[aid].suppressed == b.results[aid].suppressed, aid


def _kept(result: Any) -> tuple[str, str]:
    load = result.manifest["load"]
    return load["kept_rollups"], load["kept_results"]


def _updated(total: int) -> set[str]:
    """The kept-results notes of a run that updated every by-week result but those whose
    context (top models) the new weeks changed: they are computed whole."""
    return {
        f"{total - k} kept artifact result(s) updated with the replaced weeks only, "
        f"{k} computed over every week"
        for k in range(len(POOLED) + 1)
    }


def test_kept_results_follow_added_changed_and_removed_weeks(
    demo_store: Path, tmp_path: Path
) -> None:
    """Results kept by an incremental run, updated with the replaced weeks only, equal a
    fresh run's (privacy applied, SQL shown) after weeks are added, one grows, one goes."""
    chosen = [*BY_WEEK, *BY_MONTH, "F11", "T1", "T2", "F27"]  # and some always computed whole
    weeks = _weeks(demo_store)
    full = run_study([demo_store], tmp_path / "full", artifacts=chosen, write_report=False)
    assert _new_levels(full, weeks[-3:]), "the added weeks should bring new levels"

    view = _view(demo_store, tmp_path / "store", weeks[:-3])
    half = _half_week(weeks[-4], tmp_path / "half" / weeks[-4].name)
    (view / "events" / weeks[-4].name).unlink()
    (view / "events" / weeks[-4].name).symlink_to(half, target_is_directory=True)
    out = tmp_path / "out"
    first = run_study([view], out, artifacts=chosen, write_report=False, incremental=True)
    computed = len(set(BY_WEEK) - {"F2"}) + len(BY_MONTH)  # F2 runs F1's expression
    assert _kept(first)[1] == f"0 kept artifact result(s) updated with the replaced " \
        f"weeks only, {computed} computed over every week"  # fmt: skip

    (view / "events" / weeks[-4].name).unlink()
    for week in weeks[-4:]:
        (view / "events" / week.name).symlink_to(week, target_is_directory=True)
    grown = run_study([view], out, artifacts=chosen, write_report=False, incremental=True)
    assert _kept(grown)[0] == "updated: 3 week(s) added, 1 changed, 0 removed"
    assert _kept(grown)[1] in _updated(computed)
    _same(full, grown)

    (view / "events" / weeks[-2].name).unlink()
    removed = run_study([view], out, artifacts=chosen, write_report=False, incremental=True)
    assert _kept(removed)[0] == "updated: 0 week(s) added, 0 changed, 1 removed"
    assert _kept(removed)[1] in _updated(computed)
    fresh = run_study([view], tmp_path / "fresh", artifacts=chosen, write_report=False)
    _same(fresh, removed)


def _spans_two_months(week: Path) -> bool:
    monday = date.fromisoformat(week.name[5:])
    return (monday + timedelta(days=6)).month != monday.month


def test_a_by_month_result_is_updated_from_the_first_month_a_week_touches(
    demo_store: Path, tmp_path: Path
) -> None:
    """F25's cohorts, kept, are updated (never computed whole) from the earliest month the
    replaced weeks touch: a week added at the end, an early week removed (users first
    seen in it move to a later cohort, so rows of later months change too) and put back
    each give a fresh run's numbers."""
    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-1])
    out = tmp_path / "out"
    cold = run_study([view], out, artifacts=BY_MONTH, write_report=False, incremental=True)
    assert _kept(cold)[1].endswith(f", {len(BY_MONTH)} computed over every week")
    updated = (
        f"{len(BY_MONTH)} kept artifact result(s) updated with the replaced weeks only, "
        "0 computed over every week"
    )
    # a mid-2025 week that spans two months: users first seen in it move to a later
    # cohort, in both of its months (an update from its later month only would miss some)
    early = next(w for w in reversed(weeks[:-24]) if _spans_two_months(w))
    steps = [
        lambda: (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True),
        lambda: (view / "events" / early.name).unlink(),
        lambda: (view / "events" / early.name).symlink_to(early, target_is_directory=True),
    ]
    before = None
    for i, step in enumerate(steps):
        step()
        kept = run_study([view], out, artifacts=BY_MONTH, write_report=False, incremental=True)
        assert _kept(kept)[1] == updated, i
        fresh = run_study([view], tmp_path / f"fresh{i}", artifacts=BY_MONTH, write_report=False)
        _same(fresh, kept)
        f25 = fresh.results["F25"].data
        if i == 1:  # rows of months after the removed week's changed too
            assert before is not None
            j = before.merge(f25, on=["model", "cohort_month", "month_offset"])
            month = pd.to_datetime(j["cohort_month"]) + pd.to_timedelta(
                j["month_offset"] * 31, unit="D"
            )
            later = j[month > pd.Timestamp(early.name[5:]) + pd.Timedelta(days=40)]
            moved = later[(later["cohort_users_x"] != later["cohort_users_y"])
                          & later["cohort_users_x"].notna() & later["cohort_users_y"].notna()]  # fmt: skip
            assert len(moved), "the removed week should move users between cohorts"
        before = f25


def test_kept_results_of_other_sql_or_skipped_artifacts_are_recomputed(
    demo_store: Path, tmp_path: Path
) -> None:
    """A kept result is reused only if the same SQL made it (another config, say) and the
    run before kept it (an artifact left out of a run is computed whole when it returns)."""
    from tokencensus.analyses import StudyConfig

    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-1])
    out = tmp_path / "out"
    run_study([view], out, artifacts=["F1", "F20"], write_report=False, incremental=True)
    only = run_study([view], out, artifacts=["F1"], write_report=False, incremental=True)
    assert _kept(only)[1].startswith("1 kept artifact result(s) updated")
    assert "result_F20" not in _kept_tables(out / CACHE_DIR / "rollups.duckdb")
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)
    config = StudyConfig(spend_share_excluded_authors=())
    back = run_study(
        [view], out, artifacts=["F1", "F20"], write_report=False, incremental=True, config=config
    )
    assert _kept(back)[1] == (
        "1 kept artifact result(s) updated with the replaced weeks only, 1 computed over every week"
    )
    fresh = run_study([view], tmp_path / "fresh", artifacts=["F1", "F20"], write_report=False,
                      config=config)  # fmt: skip
    _same(fresh, back)
    tables = _kept_tables(out / CACHE_DIR / "rollups.duckdb")
    assert {"result_F1", "result_F20"} <= tables


def _kept_tables(path: Path) -> set[str]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _compiles(monkeypatch: pytest.MonkeyPatch, reading: str | None = None) -> list[Any]:
    """The expressions DuckDB compiles from now on (``reading``: only those that read
    the table of that name)."""
    from tokencensus.engine.duckdb import DuckDBEngine

    compiled: list[Any] = []
    real = DuckDBEngine.compile

    def counted(self: DuckDBEngine, backend: Any, expr: Any) -> str:
        tables = {t.name for t in expr.op().find(ibis.expr.operations.DatabaseTable)}
        if reading is None or reading in tables:
            compiled.append(expr)
        return real(self, backend, expr)

    monkeypatch.setattr(DuckDBEngine, "compile", counted)
    return compiled


def test_a_kept_run_reuses_the_sql_it_compiled(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiling costs more than running on small rollups: the next kept run building the
    same expressions compiles none of them, and its results and SQL are the same."""

    chosen = ["F1", "F3", "F12", "F20", "T2", "F27"]
    out = tmp_path / "out"
    first = run_study([demo_store], out, artifacts=chosen, write_report=False, incremental=True)
    compiled = _compiles(monkeypatch)
    again = run_study([demo_store], out, artifacts=chosen, write_report=False, incremental=True)
    assert compiled == []
    _same(first, again)


def test_the_weekly_rollup_update_reuses_the_sql_kept_for_it(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run that builds the kept rollups compiles each by-week rollup's update for the
    next run (it filters by a table of the added weeks, not by their dates), so adding
    a week compiles no rollup update, and the numbers equal a fresh run's."""
    from tests.engine.test_loading import EVERY_ROLLUP, _same_results

    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-1])
    out = tmp_path / "out"
    run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)
    updates = _compiles(monkeypatch, reading="delta_weeks")
    added = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert added.manifest["load"]["kept_rollups"].startswith("updated: 1 week(s) added")
    assert updates == []
    fresh = run_study([view], tmp_path / "fresh", artifacts=EVERY_ROLLUP, write_report=False)
    _same_results(fresh, added)
    # a run that only removes a week (no pass reads events: empty stand-ins) builds the
    # same update expressions, so adding the week back compiles none either
    (view / "events" / weeks[-1].name).unlink()
    run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)
    updates.clear()
    again = run_study([view], out, artifacts=EVERY_ROLLUP, write_report=False, incremental=True)
    assert updates == []
    _same_results(fresh, again)


def test_an_unchanged_by_week_artifact_is_updated_without_building_it(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A by-week artifact whose recipe (code, config, context, input schemas) is the one
    the last kept run recorded is updated by its kept SQL, without building its
    expression; a change to any part of the recipe builds it again.  Either way the
    numbers, SQL and suppression counts equal a fresh run's."""
    import tokencensus.study as study_module
    from tokencensus.analyses import StudyConfig
    from tokencensus.study import Study

    chosen = [*BY_WEEK, "T2"]
    weeks = _weeks(demo_store)
    view = _view(demo_store, tmp_path / "store", weeks[:-2])
    out = tmp_path / "out"
    run_study([view], out, artifacts=chosen, write_report=False, incremental=True)
    built: list[str] = []
    real = Study.expression

    def counted(self: Study, artifact: Any, weeks: Any = None) -> Any:
        built.append(artifact.id)
        return real(self, artifact, weeks)

    monkeypatch.setattr(Study, "expression", counted)
    (view / "events" / weeks[-2].name).symlink_to(weeks[-2], target_is_directory=True)
    added = run_study([view], out, artifacts=chosen, write_report=False, incremental=True)
    built_in_add = [a for a in built if a in BY_WEEK]
    fresh = run_study([view], tmp_path / "fresh", artifacts=chosen, write_report=False)
    _same(fresh, added)
    # only those whose context (top models) the added week changed are built
    assert set(built_in_add) <= set(POOLED), built_in_add
    assert _kept(added)[1] in _updated(len(set(BY_WEEK) - {"F2"}))
    kept = out / CACHE_DIR / "rollups.duckdb"
    assert not [t for t in _kept_tables(kept) if t.startswith("tokencensus_memtable_")
                and t not in _memtables_read(kept)]  # fmt: skip

    # another config builds them again (the kept results are still updated by week
    # where the expression is the same)
    built.clear()
    config = StudyConfig(spend_share_excluded_authors=())
    (view / "events" / weeks[-1].name).symlink_to(weeks[-1], target_is_directory=True)
    other = run_study([view], out, artifacts=chosen, write_report=False, incremental=True,
                      config=config)  # fmt: skip
    assert set(BY_WEEK) - {"F2"} <= set(built)
    computed = int(_kept(other)[1].split(", ")[1].split()[0])
    assert 1 <= computed <= 1 + len(POOLED)  # F20's expression changed: computed whole
    _same(run_study([view], tmp_path / "fresh2", artifacts=chosen, write_report=False,
                    config=config), other)  # fmt: skip

    # other code: the same (a fingerprint of the package's sources and libraries)
    built.clear()
    monkeypatch.setattr(study_module, "_code_fingerprint", lambda: "other code")
    (view / "events" / weeks[-1].name).unlink()
    again = run_study([view], out, artifacts=chosen, write_report=False, incremental=True,
                      config=config)  # fmt: skip
    assert set(BY_WEEK) - {"F2"} <= set(built)
    assert _kept(again)[1] in _updated(len(set(BY_WEEK) - {"F2"}))
    _same(run_study([view], tmp_path / "fresh3", artifacts=chosen, write_report=False,
                    config=config), again)  # fmt: skip


def _memtables_read(path: Path) -> set[str]:
    """The in-memory tables the kept by-week queries read."""
    import json
    import re

    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        state = json.loads(con.execute("SELECT state FROM tokencensus_kept_state").fetchone()[0])
    return {
        m for q in state["delta_sql"].values() for m in re.findall(r"tokencensus_memtable_\w+", q)
    }
