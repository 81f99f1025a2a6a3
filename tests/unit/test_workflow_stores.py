"""The event-store conformance suite against both of kiln's stores, and what the SQLite one adds:
its data outlives the store, and two stores on one file still record a step once."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.workflows import conformance
from kiln.store import connect
from kiln.workflows import EventStore, MemoryEventStore, NewEvent, Run, SequenceConflict, SqliteEventStore
from kiln.workflows.sqlite import _Write

_files = itertools.count()


@pytest.fixture(scope="module")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], EventStore]:
    folder = tmp_path_factory.mktemp("stores")
    return lambda: SqliteEventStore(folder / f"store-{next(_files)}.db")


CHECK_NAMES = [check.__name__ for check in conformance(MemoryEventStore)]


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_the_memory_store_conforms(name: str) -> None:
    checks = {check.__name__: check for check in conformance(MemoryEventStore)}
    checks[name]()


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_the_sqlite_store_conforms(name: str, sqlite_factory: Callable[[], EventStore]) -> None:
    checks = {check.__name__: check for check in conformance(sqlite_factory)}
    checks[name]()


def test_the_suite_fails_a_store_that_does_not_deduplicate() -> None:
    class Forgetful(MemoryEventStore):
        def create(self, run: Run, started: NewEvent) -> tuple[Run, bool]:
            super().create(run, started)
            return run.changed(last_seq=1), True  # says each create made a run, a second one too

    [check] = [c for c in conformance(Forgetful) if c.__name__ == "create_of_an_existing_id_changes_nothing"]
    with pytest.raises(AssertionError):
        check()


def test_the_suite_fails_a_store_whose_appends_are_not_conditional() -> None:
    class Careless(MemoryEventStore):
        def append(self, run_id, expected_seq, events, update=None):  # type: ignore[no-untyped-def]
            run = self.get(run_id)
            assert run is not None
            return super().append(run_id, run.last_seq, events, update)  # ignores expected_seq

    name = "append_after_a_stale_sequence_is_refused_and_appends_nothing"
    [check] = [c for c in conformance(Careless) if c.__name__ == name]
    with pytest.raises(BaseException, match="DID NOT RAISE"):
        check()


T0 = "2026-01-01T00:00:00.000Z"


def test_a_sqlite_store_reopened_has_everything(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "kiln.db")
    store.create(Run(id="r1", workflow="w", input=[1], created_at=T0, updated_at=T0), NewEvent("started", T0))
    store.append(
        "r1", 1, [NewEvent("completed", T0, data={"output": 2})], {"status": "completed", "output": 2}
    )
    store.close()

    reopened = SqliteEventStore(tmp_path / "kiln.db")
    run = reopened.get("r1")
    assert run is not None
    assert (run.status, run.output, run.input, run.last_seq) == ("completed", 2, [1], 2)
    assert [e.type for e in reopened.events("r1")] == ["started", "completed"]
    reopened.close()


def test_a_sqlite_store_made_before_updated_seq_opens_with_its_runs_as_they_were(tmp_path: Path) -> None:
    # the tables as the store made them before: last_seq on the row, and an index of listings
    conn = sqlite3.connect(tmp_path / "kiln.db")
    conn.executescript(
        """
        CREATE TABLE _kiln_wf_runs (id TEXT PRIMARY KEY, workflow TEXT NOT NULL, status TEXT NOT NULL,
          input TEXT, output TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
          scratchpad TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
          due_at TEXT, owner TEXT, lease_until TEXT, last_seq INTEGER NOT NULL);
        CREATE INDEX _kiln_wf_runs_due ON _kiln_wf_runs (status, due_at);
        CREATE INDEX _kiln_wf_runs_listed ON _kiln_wf_runs (workflow, created_at);
        CREATE TABLE _kiln_wf_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
          step TEXT, data TEXT, at TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
        INSERT INTO _kiln_wf_runs (id, workflow, status, input, attempts, created_at, updated_at, last_seq)
          VALUES ('r1', 'w', 'running', '[1]', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:09.000Z', 2);
        INSERT INTO _kiln_wf_runs (id, workflow, status, input, attempts, created_at, updated_at, last_seq)
          VALUES ('r2', 'w', 'pending', '[2]', 0, '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.000Z', 1);
        INSERT INTO _kiln_wf_events VALUES ('r1', 1, 'started', NULL, NULL, '2026-01-01T00:00:00.000Z'),
          ('r1', 2, 'step_completed', 'a', '{"result":5}', '2026-01-01T00:00:05.000Z'),
          ('r2', 1, 'started', NULL, '{"input":[2]}', '2026-01-01T00:00:01.000Z');
        """
    )
    conn.close()

    store = SqliteEventStore(tmp_path / "kiln.db")
    run = store.get("r1")
    assert run is not None
    assert (run.status, run.input, run.attempts, run.last_seq, run.updated_at) == (
        "running",
        [1],
        1,
        2,
        "2026-01-01T00:00:09.000Z",  # the row's: it changed at the last append
    )
    assert [(e.seq, e.type, e.step, e.data, e.at) for e in store.events("r2")] == [
        (1, "started", None, {"input": [2]}, "2026-01-01T00:00:01.000Z")  # from the row, where it moved
    ]
    [first_only] = [listed for listed in store.runs()[0] if listed.id == "r2"]
    assert (first_only.last_seq, first_only.updated_at) == (1, "2026-01-01T00:00:01.000Z")
    assert store.append("r2", 1, [NewEvent("step_completed", T0, step="a")], {"attempts": 1}) == 2
    later = "2026-01-01T00:00:10.000Z"
    assert store.append("r1", 2, [NewEvent("step_completed", later, step="b", data={"result": 6})]) == 3
    again = store.get("r1")
    assert again is not None
    assert (again.last_seq, again.updated_at) == (3, "2026-01-01T00:00:09.000Z")
    assert store.append("r1", 3, [NewEvent("step_completed", later, step="c")], {"updated_at": later}) == 4
    assert store.get("r1") == again.changed(last_seq=4, updated_at=later)
    assert [(e.seq, e.type, e.step) for e in store.events("r1")] == [
        (1, "started", None),
        (2, "step_completed", "a"),
        (3, "step_completed", "b"),
        (4, "step_completed", "c"),
    ]
    store.close()

    conn = sqlite3.connect(tmp_path / "kiln.db")
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    columns = [row[1] for row in conn.execute("PRAGMA table_info(_kiln_wf_runs)")]
    stored = conn.execute("SELECT run_id, seq FROM _kiln_wf_events ORDER BY run_id, seq").fetchall()
    conn.close()
    assert stored == [("r1", 2), ("r1", 3), ("r1", 4), ("r2", 2)]  # the first events are in the rows
    assert sorted(name for name in indexes if name.startswith("_kiln_wf")) == [
        "_kiln_wf_runs_listed",
        "_kiln_wf_runs_live",  # the index of due runs, of every run, is gone for it
    ]
    assert ("last_seq" in columns, columns[-5:]) == (
        False,
        ["updated_seq", "first_type", "first_step", "first_data", "first_at"],
    )
    SqliteEventStore(tmp_path / "kiln.db").close()  # and it opens again, migrated once


def test_a_sqlite_start_and_an_append_of_an_event_alone_are_one_insert_and_one_with_changes_a_transaction(
    tmp_path: Path,
) -> None:
    store = SqliteEventStore(tmp_path / "kiln.db")
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)  # what the store sends SQLite
    run = Run(id="r1", workflow="w", input=None, created_at=T0, updated_at=T0)
    assert store.create(run, NewEvent("started", T0))[1] is True
    assert [statement.split(" (")[0] for statement in statements] == ["INSERT INTO _kiln_wf_runs"]
    statements.clear()
    assert store.create(run, NewEvent("started", T0))[1] is False  # refused, and the run read
    assert [statement.split(" ")[0] for statement in statements] == ["INSERT", "SELECT"]
    statements.clear()
    at = "2026-01-01T00:00:01.000Z"

    first_try = {"updated_at": at, "attempts": 1}
    store.append("r1", 1, [NewEvent("step_completed", at, step="a", data={"result": 1})], first_try)
    assert [statement.split(" (")[0] for statement in statements] == ["INSERT INTO _kiln_wf_events"]
    statements.clear()
    store.append("r1", 2, [NewEvent("step_completed", at, step="a2", data={"result": 1})], {"updated_at": at})
    assert [statement.split(" ")[0] for statement in statements] == ["BEGIN", "INSERT", "UPDATE", "COMMIT"]
    statements.clear()
    later = "2026-01-01T00:00:02.000Z"  # not the event's time: the row says it
    store.append(
        "r1", 3, [NewEvent("step_completed", at, step="b", data={"result": 2})], {"updated_at": later}
    )
    assert [statement.split(" ")[0] for statement in statements] == ["BEGIN", "INSERT", "UPDATE", "COMMIT"]
    statements.clear()
    store.append(
        "r1", 4, [NewEvent("step_completed", at, step="c"), NewEvent("completed", at)], {"updated_at": at}
    )
    assert [statement.split(" ")[0] for statement in statements] == ["BEGIN", "INSERT", "UPDATE", "COMMIT"]
    store._conn.set_trace_callback(None)
    run = store.get("r1")
    assert run is not None
    assert (run.last_seq, run.updated_at, run.attempts) == (6, at, 1)
    store.close()


def test_sqlite_due_runs_and_live_listings_read_only_the_index_of_live_runs(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "kiln.db")
    for number in range(300):  # finished runs, which the index of live runs does not hold
        run_id = f"done-{number}"
        store.create(
            Run(id=run_id, workflow="w", input=None, created_at=T0, updated_at=T0), NewEvent("started", T0)
        )
        store.append(run_id, 1, [NewEvent("completed", T0)], {"status": "completed"})
    later = "2026-01-01T00:00:05.000Z"
    for run_id, status, due_at in [("sleeper", "sleeping", later), ("new", "pending", None)]:
        run = Run(
            id=run_id, workflow="w", input=None, created_at=T0, updated_at=T0, status=status, due_at=due_at
        )
        store.create(run, NewEvent("started", T0))
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)

    assert [run.id for run in store.due(T0)] == ["new"]
    assert [run.id for run in store.due(later)] == ["new", "sleeper"]  # oldest due first
    assert [run.id for run in store.runs(status="sleeping")[0]] == ["sleeper"]
    assert store.runs(status="completed")[1] == 300
    store._conn.set_trace_callback(None)
    plans = [
        " ".join(
            row[3]  # the plan of the runs' table (a run's last event is one search of the events)
            for row in store._conn.execute(f"EXPLAIN QUERY PLAN {statement}")
            if "_kiln_wf_events" not in row[3] and not row[3].startswith("CORRELATED")
        )
        for statement in statements
    ]
    assert plans == [
        "SCAN _kiln_wf_runs USING INDEX _kiln_wf_runs_live",  # due: in order, no sort
        "SCAN _kiln_wf_runs USING INDEX _kiln_wf_runs_live",
        "SCAN _kiln_wf_runs USING INDEX _kiln_wf_runs_live",  # a live status: its count
        "SCAN _kiln_wf_runs USING INDEX _kiln_wf_runs_live USE TEMP B-TREE FOR ORDER BY",  # and its page
        "SCAN _kiln_wf_runs",  # a finished status: every run
        "SCAN _kiln_wf_runs USE TEMP B-TREE FOR ORDER BY",
    ]
    store.close()


def test_two_sqlite_stores_on_one_file_record_a_step_once(tmp_path: Path) -> None:
    one, two = SqliteEventStore(tmp_path / "kiln.db"), SqliteEventStore(tmp_path / "kiln.db")
    one.create(Run(id="r1", workflow="w", input=None, created_at=T0, updated_at=T0), NewEvent("started", T0))
    _, created = two.create(
        Run(id="r1", workflow="w", input=None, created_at=T0, updated_at=T0), NewEvent("started", T0)
    )
    assert created is False

    one.append("r1", 1, [NewEvent("step_completed", T0, step="a", data={"result": 1})])
    with pytest.raises(SequenceConflict):
        two.append("r1", 1, [NewEvent("step_completed", T0, step="a", data={"result": 2})])
    assert [e.data for e in two.events("r1")] == [None, {"result": 1}]
    one.close()
    two.close()


def test_an_event_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type 'exploded'"):
        NewEvent("exploded", T0)


def test_a_run_as_json_has_the_contracts_fields() -> None:
    run = Run(id="r1", workflow="w", input={"n": 1}, created_at=T0, updated_at=T0, scratchpad={"k": 1})
    assert run.as_json() == {
        "id": "r1",
        "workflow": "w",
        "status": "pending",
        "input": {"n": 1},
        "output": None,
        "error": None,
        "attempts": 0,
        "scratchpad": {"k": 1},
        "created_at": T0,
        "updated_at": T0,
    }


def test_a_sqlite_write_whose_commit_fails_is_rolled_back_and_lets_go_of_the_store(tmp_path: Path) -> None:
    conn = connect(tmp_path / "kiln.db")
    conn.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
    conn.execute(  # checked at COMMIT, not at the insert: so the commit is what fails
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents (id) "
        "DEFERRABLE INITIALLY DEFERRED)"
    )
    lock, committed = threading.Lock(), []
    write = _Write(conn, lock, lambda: committed.append(True))
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), write as held:
        held.execute("INSERT INTO children (id, parent) VALUES (1, 99)")
    assert (conn.in_transaction, lock.locked(), committed) == (False, False, [])
    assert conn.execute("SELECT count(*) FROM children").fetchone()[0] == 0
    with write as held:  # and the next write goes through
        held.execute("INSERT INTO parents (id) VALUES (99)")
        held.execute("INSERT INTO children (id, parent) VALUES (1, 99)")
    assert (conn.execute("SELECT parent FROM children").fetchall(), committed) == ([(99,)], [True])
    conn.close()
