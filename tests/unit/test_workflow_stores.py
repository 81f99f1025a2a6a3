"""The event-store conformance suite against both of kiln's stores, and what the SQLite one adds:
its data outlives the store, and two stores on one file still record a step once."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.workflows import conformance
from kiln.workflows import EventStore, MemoryEventStore, NewEvent, Run, SequenceConflict, SqliteEventStore

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
