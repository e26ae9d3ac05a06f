"""The store: idempotent by id, atomic commits (crash anywhere), one writer at a time."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.ingest.helpers import SALT, events, generation, run_ingest, store_snapshot, write_jsonl
from tokencensus.errors import ConfigError, InputError
from tokencensus.ingest.pipeline import IngestOptions, ingest
from tokencensus.schema import OPTIONAL_DEFAULTS
from tokencensus.store import (
    EVENT_SCHEMA,
    Store,
    StoreError,
    StoreLockedError,
    Transaction,
    expand_store_specs,
)

ROOT = Path(__file__).resolve().parents[2]


def _ids(store: Path) -> list[str]:
    return sorted(events(store).column("id").to_pylist())


# -------------------------------------------------------------- idempotence
def test_same_file_twice_adds_nothing(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "day1.jsonl", [generation(i) for i in range(50)])
    store = tmp_path / "store"
    first = run_ingest(src, "openrouter", store)
    before = store_snapshot(store)
    again = run_ingest(src, "openrouter", store)
    assert (first.added, again.added, again.read) == (50, 0, 0)
    assert again.skipped_inputs == [str(src)]
    after = store_snapshot(store)
    assert {k: v for k, v in after.items() if k.startswith("events/")} == {
        k: v for k, v in before.items() if k.startswith("events/")
    }


def test_same_records_in_another_file_are_already_present(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(
        write_jsonl(tmp_path / "a.jsonl", [generation(i) for i in range(30)]), "openrouter", store
    )
    files = sorted((store / "events").rglob("*.parquet"))
    copy = write_jsonl(tmp_path / "b.jsonl", [generation(i) for i in reversed(range(30))])
    summary = run_ingest(copy, "openrouter", store)
    assert (summary.read, summary.added, summary.already_present) == (30, 0, 30)
    assert sorted((store / "events").rglob("*.parquet")) == files  # no empty part files


def test_a_new_days_file_adds_only_its_events(tmp_path: Path) -> None:
    store = tmp_path / "store"
    day1 = [generation(i, day="2025-05-12") for i in range(20)]
    day2 = [generation(i, day="2025-05-12") for i in range(15, 20)]  # late copies of day 1
    day2 += [generation(i, day="2025-05-13") for i in range(100, 140)]
    run_ingest(write_jsonl(tmp_path / "d1.jsonl", day1), "openrouter", store)
    summary = run_ingest(write_jsonl(tmp_path / "d2.jsonl", day2), "openrouter", store)
    assert (summary.added, summary.already_present) == (40, 5)
    ids = _ids(store)
    assert len(ids) == len(set(ids)) == 60


def test_duplicates_inside_one_input_load_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    recs = [generation(i) for i in range(10)]
    recs += [dict(generation(3), total_cost=9.0)]  # a second copy: the first one wins
    summary = run_ingest(write_jsonl(tmp_path / "d.jsonl", recs), "openrouter", store)
    assert (summary.added, summary.duplicates_in_input) == (10, 1)
    row = next(r for r in events(store).to_pylist() if r["id"] == "gen-3")
    assert row["cost_usd"] == pytest.approx(0.0004)


def _at(i: int, stamp: str, **extra: object) -> dict:
    return {**generation(i), "created_at": stamp, **extra}


SUNDAY_LAST, MONDAY_FIRST = "2025-05-18T23:59:59Z", "2025-05-19T00:00:01Z"


def test_the_same_id_in_two_weeks_of_one_input_loads_once(tmp_path: Path) -> None:
    """Sun 23:59:59 and Mon 00:00:01 are two ISO weeks: the first copy still wins."""
    store = tmp_path / "store"
    recs = [_at(1, SUNDAY_LAST), generation(2), _at(1, MONDAY_FIRST, total_cost=9.0)]
    summary = run_ingest(write_jsonl(tmp_path / "d.jsonl", recs), "openrouter", store)
    assert (summary.read, summary.added, summary.duplicates_in_input) == (3, 2, 1)
    rows = {r["id"]: r for r in events(store).to_pylist()}
    assert sorted(rows) == ["gen-1", "gen-2"]
    assert str(rows["gen-1"]["created_at"]) == "2025-05-18 23:59:59"  # the first copy
    # the later copy comes first in its own week's file: arrival order, not week order, decides
    recs = [_at(7, MONDAY_FIRST), _at(8, SUNDAY_LAST), _at(7, SUNDAY_LAST)]
    summary = run_ingest(write_jsonl(tmp_path / "e.jsonl", recs), "openrouter", store)
    assert (summary.added, summary.duplicates_in_input) == (2, 1)
    rows = {r["id"]: r for r in events(store).to_pylist()}
    assert str(rows["gen-7"]["created_at"]) == "2025-05-19 00:00:01"


@pytest.mark.parametrize("indexed", [True, False], ids=["id-index", "no-index"])
def test_an_id_stored_in_another_week_is_already_present(tmp_path: Path, indexed: bool) -> None:
    """Re-ingested with a corrected timestamp (another week): the stored copy stays the only
    one, and a study counts one event.  A store without the id index (written by the simulator
    or an older version) is checked through its parts' id column instead."""
    store = tmp_path / "store"
    run_ingest(
        write_jsonl(tmp_path / "a.jsonl", [_at(1, SUNDAY_LAST), generation(2)]),
        "openrouter",
        store,
    )
    if not indexed:
        import shutil

        shutil.rmtree(store / "ids")
    fixed = [_at(1, MONDAY_FIRST), _at(2, "2025-06-30T10:00:00Z"), generation(3)]
    summary = run_ingest(write_jsonl(tmp_path / "b.jsonl", fixed), "openrouter", store)
    assert (summary.read, summary.added, summary.already_present) == (3, 1, 2)
    assert _ids(store) == ["gen-1", "gen-2", "gen-3"]
    rows = {r["id"]: r for r in events(store).to_pylist()}
    assert str(rows["gen-1"]["created_at"]) == "2025-05-18 23:59:59"
    from tokencensus.study import run_study

    result = run_study([store], tmp_path / "out", artifacts=["F1"], write_report=False)
    assert result.manifest["rows"]["events"] == 3


def test_every_part_has_an_id_index(tmp_path: Path) -> None:
    """``ids/<table>/week=W/<part>`` holds the 64-bit hashes of the part's ids, committed with it."""
    import pyarrow.parquet as pq

    store = tmp_path / "store"
    recs = [_at(1, SUNDAY_LAST), _at(2, MONDAY_FIRST), _at(3, MONDAY_FIRST)]
    run_ingest(write_jsonl(tmp_path / "d.jsonl", recs), "openrouter", store)
    parts = sorted((store / "events").rglob("part-*.parquet"))
    assert len(parts) == 2
    for part in parts:
        index = store / "ids" / part.relative_to(store)
        assert pq.read_table(index).num_rows == pq.read_metadata(part).num_rows
        assert pq.read_schema(index).names == ["id_hash"]


def test_weeks_are_monday_partitions(tmp_path: Path) -> None:
    store = tmp_path / "store"
    recs = [
        generation(1, day="2025-05-18"),
        generation(2, day="2025-05-19"),
        generation(3, day="2025-05-25"),
    ]
    run_ingest(write_jsonl(tmp_path / "w.jsonl", recs), "openrouter", store)
    weeks = sorted(p.name for p in (store / "events").iterdir())
    assert weeks == ["week=2025-05-12", "week=2025-05-19"]
    meta = json.loads((store / "tokencensus-store.json").read_text())
    assert (meta["format"], meta["version"]) == ("tokencensus-events", 1)
    assert "salt" not in json.dumps(meta).replace("salt_check", "")
    for part in (store / "events").rglob("*.parquet"):
        import pyarrow.parquet as pq

        assert pq.read_schema(part).names == EVENT_SCHEMA.names


def test_changed_salt_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(write_jsonl(tmp_path / "a.jsonl", [generation(1)]), "openrouter", store)
    options = IngestOptions(salt=b"a-different-salt-0123456789")
    with pytest.raises(ConfigError, match=r"The salt differs from the one store .* was built with"):
        ingest(
            str(write_jsonl(tmp_path / "b.jsonl", [generation(2)])), "openrouter", store, options
        )
    assert _ids(store) == ["gen-1"]


def test_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "data.txt").write_text("hi")
    with pytest.raises(StoreError, match="exists and is not a tokencensus store"):
        run_ingest(write_jsonl(tmp_path / "a.jsonl", [generation(1)]), "openrouter", tmp_path / "x")
    with pytest.raises(StoreError, match="is not a tokencensus store"):
        Store.open(tmp_path / "x")


def test_newer_store_version_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Store.create(store)
    meta = json.loads((store / "tokencensus-store.json").read_text())
    meta["version"] = 99
    (store / "tokencensus-store.json").write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="newer than this tokencensus reads"):
        Store.open(store)


def test_study_reads_a_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(
        write_jsonl(tmp_path / "a.jsonl", [generation(i) for i in range(12)]), "openrouter", store
    )
    specs = expand_store_specs([store])
    assert [Path(p).parent.name for p in specs] == ["week=2025-05-12"]
    from tokencensus.study import run_study

    result = run_study([store], tmp_path / "out", artifacts=["F1"], write_report=False)
    assert result.manifest["rows"]["events"] == 12


def test_aggregate_only_store_explains_what_it_cannot_compute(tmp_path: Path) -> None:
    from tests.ingest.helpers import FIXTURES

    store = tmp_path / "store"
    run_ingest(FIXTURES / "openrouter" / "rankings-2025-11-30.json", "openrouter", store)
    with pytest.raises(InputError, match=r"only 3 aggregate rows.*F25 \(need user ids"):
        expand_store_specs([store])


# ------------------------------------------------------------- interruption
def test_crash_before_the_commit_point_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    run_ingest(
        write_jsonl(tmp_path / "a.jsonl", [generation(i) for i in range(20)]), "openrouter", store
    )
    before = store_snapshot(store)

    def crash(self: Transaction) -> None:
        assert any(self.staging.rglob("part-*.parquet"))  # everything written aside
        raise RuntimeError("power cut")

    monkeypatch.setattr(Transaction, "_before_commit_point", crash)
    more = write_jsonl(tmp_path / "b.jsonl", [generation(i) for i in range(10, 40)])
    with pytest.raises(RuntimeError, match="power cut"):
        run_ingest(more, "openrouter", store)
    assert store_snapshot(store) == before
    monkeypatch.undo()
    summary = run_ingest(more, "openrouter", store)
    assert (summary.added, summary.already_present) == (20, 10)


CHILD = textwrap.dedent(
    """
    import os, sys
    import tokencensus.store as st
    from tokencensus.ingest.pipeline import IngestOptions, ingest

    mode, src, store = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "before-commit":
        st.Transaction._before_commit_point = lambda self: os._exit(9)
    elif mode == "mid-apply":
        real, calls = os.replace, []

        def replace(a, b):
            calls.append(b)
            real(a, b)
            if any("/events/week=" in str(c) and "_staging" not in str(c) for c in calls):
                # the journal and one part are published
                os._exit(9)

        st.os.replace = replace
    ingest(src, "openrouter", store, IngestOptions(salt=SALT))
    """
)


def _child(mode: str, src: Path, store: Path) -> subprocess.CompletedProcess:
    code = f"SALT = {SALT!r}\n" + CHILD
    return subprocess.run(
        [sys.executable, "-c", code, mode, str(src), str(store)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_process_killed_before_the_commit_point(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_ingest(
        write_jsonl(tmp_path / "a.jsonl", [generation(i) for i in range(20)]), "openrouter", store
    )
    before = store_snapshot(store)
    more = write_jsonl(
        tmp_path / "b.jsonl",
        [generation(i, day=d) for i in range(10, 40) for d in ("2025-05-13", "2025-06-02")][::2],
    )
    proc = _child("before-commit", more, store)
    assert proc.returncode == 9, proc.stderr
    assert store_snapshot(store) == before  # the staged parts are invisible
    assert any((store / "_staging").rglob("*.parquet"))
    Store.open(store)  # a reader does not need the leftovers
    summary = run_ingest(more, "openrouter", store)  # the next writer removes them and commits
    assert not any((store / "_staging").rglob("*"))
    ids = _ids(store)
    assert len(ids) == len(set(ids)) == 20 + summary.added


def test_process_killed_while_publishing_is_rolled_forward(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Store.create(store)
    recs = [
        generation(i, day=d) for i in range(30) for d in ("2025-05-12", "2025-05-19", "2025-05-26")
    ]
    src = write_jsonl(
        tmp_path / "a.jsonl", [dict(r, id=f"{r['id']}-{r['created_at'][:10]}") for r in recs]
    )
    proc = _child("mid-apply", src, store)
    assert proc.returncode == 9, proc.stderr
    assert list((store / "_txn").glob("*.commit.json"))  # committed, not fully published
    assert len(list((store / "events").rglob("*.parquet"))) == 1
    st = Store.open(store)  # the next reader finishes the journal
    assert st.count() == 90
    assert not list((store / "_txn").glob("*.commit.json"))
    again = run_ingest(src, "openrouter", store)
    assert again.skipped_inputs == [str(src)]  # the manifest was committed with the rows
    ids = _ids(store)
    assert len(ids) == len(set(ids)) == 90


def test_ingest_killed_at_a_random_moment(tmp_path: Path) -> None:
    """SIGKILL while writing aside: the store is unchanged; the rerun gives the exact result."""
    store = tmp_path / "store"
    recs = [
        generation(i, day=f"2025-05-{12 + i % 14:02d}", user=f"u{i % 97}") for i in range(20_000)
    ]
    src = write_jsonl(tmp_path / "big.jsonl", recs)
    env = {**os.environ, "TOKENCENSUS_SALT": SALT.decode()}
    cmd = [
        sys.executable,
        "-m",
        "tokencensus",
        "ingest",
        str(src),
        "-f",
        "openrouter",
        "--into",
        str(store),
        "-q",
    ]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not any((store / "_staging").rglob("week=*.parquet")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the ingest never started staging"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the ingest finished before it could be killed"
    if (store / "tokencensus-store.json").exists():
        assert Store.open(store).count() in (0, 20_000)
    summary = run_ingest(src, "openrouter", store)
    count = Store.open(store).count()
    assert count == 20_000
    assert summary.added in (0, 20_000)
    ids = events(store).column("id")
    assert pc.count_distinct(ids).as_py() == 20_000


# -------------------------------------------------------------- concurrency
def test_a_second_ingest_is_refused_while_one_runs(tmp_path: Path) -> None:
    store = tmp_path / "store"
    src = write_jsonl(tmp_path / "a.jsonl", [generation(1)])
    st = Store.create(store)
    with (
        st.transaction(),
        pytest.raises(
            StoreLockedError, match=r"being written by another ingest \(pid \d+ on .* since"
        ),
    ):
        run_ingest(src, "openrouter", store)
    assert run_ingest(src, "openrouter", store).added == 1


HOLD = textwrap.dedent(
    """
    import sys, time
    from tokencensus.store import Store
    with Store.create(sys.argv[1]).transaction():
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def test_concurrent_ingests_are_refused_or_queued(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Store.create(store)
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store), "1.5"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        src = write_jsonl(tmp_path / "a.jsonl", [generation(i) for i in range(5)])
        with pytest.raises(StoreLockedError, match=f"pid {holder.pid}"):
            run_ingest(src, "openrouter", store)
        options = IngestOptions(salt=SALT, wait=30)
        t0 = time.monotonic()
        summary = ingest(str(src), "openrouter", store, options)  # waits for the holder
        assert summary.added == 5 and time.monotonic() - t0 > 0.3


def test_parallel_cli_ingests_never_interleave(tmp_path: Path) -> None:
    store = tmp_path / "store"
    a = write_jsonl(tmp_path / "a.jsonl", [generation(i) for i in range(0, 600)])
    b = write_jsonl(tmp_path / "b.jsonl", [generation(i) for i in range(400, 1000)])
    env = {**os.environ, "TOKENCENSUS_SALT": SALT.decode()}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tokencensus",
                "ingest",
                str(src),
                "-f",
                "openrouter",
                "--into",
                str(store),
                "--wait",
                "60",
                "--json",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for src in (a, b)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    added = sorted(json.loads(out)["added"] for out, _ in outs)
    assert sum(added) == 1000 and added[0] in (400, 600)
    parts = list((store / "events").rglob("*.parquet"))
    assert len({p.name for p in parts}) == 2  # one transaction each, no mixed part files
    ids = events(store).column("id")
    assert pc.count_distinct(ids).as_py() == len(ids) == 1000


# -------------------------------------------------------------- file layout
def _canonical(rows: list[tuple[str, str, bool, float]]) -> pa.Table:
    """Canonical events (id, created_at, sampled, cost_usd), defaults elsewhere."""
    n = len(rows)
    cols: dict[str, object] = {
        "id": [r[0] for r in rows],
        "created_at": [dt.datetime.fromisoformat(r[1]) for r in rows],
        "user_id": ["u1"] * n,
        "model": ["openai/gpt-4o-mini"] * n,
        "prompt_tokens": [100] * n,
        "completion_tokens": [10] * n,
        "cost_usd": [r[3] for r in rows],
        "sampled": [r[2] for r in rows],
    }
    arrays = []
    for f in EVENT_SCHEMA:
        values = cols.get(f.name, [OPTIONAL_DEFAULTS.get(f.name)] * n)
        arrays.append(pa.array(values, f.type))
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


def _row_groups(store: Path) -> list[list[bool]]:
    out = []
    for part in sorted((store / "events").rglob("part-*.parquet")):
        f = pq.ParquetFile(part)
        out += [
            f.read_row_group(i, columns=["sampled"]).column(0).to_pylist()
            for i in range(f.num_row_groups)
        ]
    return out


@pytest.mark.parametrize("duplicate", [False, True], ids=["new-rows", "with-duplicates"])
def test_the_sample_is_written_in_row_groups_of_its_own(tmp_path: Path, duplicate: bool) -> None:
    """Sampled rows follow the others in separate row groups (a study reading the sample
    skips the rest by statistics), and moving them changes no first-copy decision."""
    day = "2025-05-12T10:00:00"
    rows = [("e1", day, False, 1.0), ("e2", day, True, 2.0), ("e3", day, False, 3.0)]
    if duplicate:  # the first copy (unsampled) arrives before a sampled second copy
        rows += [("e1", day, True, 9.0), ("e4", day, True, 4.0)]
    store = Store.create(tmp_path / "store")
    with store.transaction() as tx:
        tx.add("events", _canonical(rows))
        result = tx.commit()
    assert result.added["events"] == (4 if duplicate else 3)
    groups = _row_groups(store.path)
    assert all(len(set(g)) == 1 for g in groups)  # each group all sampled or all not
    flags = [v for g in groups for v in g]
    assert flags == sorted(flags)  # unsampled first
    got = {r["id"]: (r["sampled"], r["cost_usd"]) for r in events(store.path).to_pylist()}
    assert got["e1"] == (False, 1.0)  # the first copy won
    assert got["e2"] == (True, 2.0)
