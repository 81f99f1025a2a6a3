"""The conformance suite of workflow event stores, written once for every store.

``conformance(store_factory)`` returns the checks, each a function of no arguments that takes a
fresh store from ``store_factory()`` and raises ``AssertionError`` when the store breaks the
:class:`kiln.workflows.EventStore` contract. A project runs them against its own store::

    from harness.workflows import conformance

    @pytest.mark.parametrize("check", conformance(MyStore), ids=lambda check: check.__name__)
    def test_my_store_conforms(check):
        check()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from kiln.workflows import EventStore, NewEvent, Run, SequenceConflict, UnknownRun

__all__ = ["conformance"]

T0 = "2026-01-01T00:00:00.000Z"
T1 = "2026-01-01T00:00:01.000Z"
T2 = "2026-01-01T00:00:02.000Z"
T3 = "2026-01-01T00:00:03.000Z"
Check = Callable[[], None]


def _run(run_id: str = "r1", workflow: str = "double", input: Any = None, **fields: Any) -> Run:
    given = {"n": 21} if input is None else input
    return Run(id=run_id, workflow=workflow, input=given, created_at=T0, updated_at=T0, **fields)


def _started(at: str = T0) -> NewEvent:
    return NewEvent("started", at, data={"input": {"n": 21}})


def _step(name: str, result: Any, at: str = T1) -> NewEvent:
    return NewEvent("step_completed", at, step=name, data={"result": result})


def _together(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(i)`` in ``count`` threads released at once; their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def work(index: int) -> None:
        barrier.wait(timeout=10)
        try:
            results[index] = action(index)
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def conformance(store_factory: Callable[[], EventStore]) -> list[Check]:
    """The checks, bound to ``store_factory``; each one's ``__name__`` says what it checks."""

    def create_stores_the_run_and_its_started_event() -> None:
        store = store_factory()
        run, created = store.create(_run(), _started())
        assert created is True
        assert (run.id, run.status, run.last_seq) == ("r1", "pending", 1)
        stored = store.get("r1")
        assert stored is not None
        assert (stored.workflow, stored.input, stored.created_at, stored.last_seq) == (
            "double",
            {"n": 21},
            T0,
            1,
        )
        [event] = store.events("r1")
        assert (event.run_id, event.seq, event.type, event.at, event.data) == (
            "r1",
            1,
            "started",
            T0,
            {"input": {"n": 21}},
        )

    def create_stores_every_field_of_the_run_as_given() -> None:
        store = store_factory()
        given = _run(
            status="running",
            output={"kept": [1]},
            error="an earlier try",
            attempts=2,
            scratchpad={"seen": True},
            due_at=T2,
            owner="w1",
            lease_until=T3,
        ).changed(updated_at=T1)
        run, created = store.create(given, _started())
        assert created is True
        assert run == given.changed(last_seq=1)
        assert store.get("r1") == given.changed(last_seq=1)

    def create_of_an_existing_id_changes_nothing() -> None:
        store = store_factory()
        store.create(_run(), _started())
        store.append("r1", 1, [_step("start", 42)], {"status": "running"})
        again, created = store.create(_run(input={"n": 99}), _started(T3))
        assert created is False
        assert (again.input, again.status, again.last_seq) == ({"n": 21}, "running", 2)
        assert [e.type for e in store.events("r1")] == ["started", "step_completed"]

    def concurrent_creates_of_one_id_make_one_run() -> None:
        store = store_factory()
        results = _together(16, lambda i: store.create(_run(input={"n": i}), _started()))
        assert [created for _, created in results].count(True) == 1, results
        winner = next(run for run, created in results if created)
        assert all(run.input == winner.input for run, _ in results)
        assert len(store.events("r1")) == 1

    def append_numbers_events_and_updates_the_run() -> None:
        store = store_factory()
        store.create(_run(), _started())
        last = store.append(
            "r1",
            1,
            [_step("start", 42), NewEvent("sleeping", T1, step="nap", data={"until": T3})],
            {"status": "sleeping", "due_at": T3, "updated_at": T1, "attempts": 1},
        )
        assert last == 3
        run = store.get("r1")
        assert run is not None
        assert (run.last_seq, run.status, run.due_at, run.updated_at, run.attempts) == (
            3,
            "sleeping",
            T3,
            T1,
            1,
        )
        assert [(e.seq, e.type, e.step) for e in store.events("r1")] == [
            (1, "started", None),
            (2, "step_completed", "start"),
            (3, "sleeping", "nap"),
        ]

    def updated_at_is_what_the_last_append_that_set_it_set() -> None:
        store = store_factory()
        store.create(_run(), _started())
        seen: list[tuple[int, str, str]] = []
        for events, update in (
            ([_step("a", 1, at=T1)], {"updated_at": T1, "attempts": 1}),  # the engine's step, a first try
            ([_step("a2", 1, at=T2)], {"updated_at": T2, "attempts": 1}),  # and another
            ([_step("a3", 1, at=T1)], {"updated_at": T1}),  # an event at its time
            ([_step("b", 2, at=T2)], {}),  # an event, and the time left as it was
            ([], {"updated_at": T3, "status": "running"}),  # no event
            ([_step("c", 3, at=T2)], {"updated_at": T2}),  # a time earlier than the last
            ([_step("d", 4, at=T3)], {"updated_at": T1}),  # a time other than the event's
            ([_step("e", 5, at=T3)], {"updated_at": T3}),
        ):
            last = store.append("r1", seen[-1][0] if seen else 1, events, update)
            run = store.get("r1")
            assert run is not None
            assert last == run.last_seq
            seen.append((run.last_seq, run.updated_at, run.status))
        assert seen == [
            (2, T1, "pending"),
            (3, T2, "pending"),
            (4, T1, "pending"),
            (5, T1, "pending"),
            (5, T3, "running"),
            (6, T2, "running"),
            (7, T1, "running"),
            (8, T3, "running"),
        ]
        assert [run.updated_at for run in store.runs()[0]] == [T3]

    def attempts_are_what_the_last_append_that_set_them_set() -> None:
        store = store_factory()
        store.create(_run(), _started())
        seen: list[int] = []
        last = 1
        for events, update in (
            ([_step("a", 1, at=T1)], {"updated_at": T1, "attempts": 3, "status": "running"}),
            ([_step("b", 2, at=T1)], {"updated_at": T1, "attempts": 1}),  # the engine's first try
            ([NewEvent("sleeping", T2, step="nap")], {"updated_at": T2, "status": "sleeping"}),
            ([_step("c", 3, at=T2)], {"updated_at": T2, "attempts": 2}),
            ([_step("d", 4, at=T2)], {"updated_at": T2}),  # an event, the tries left as they were
            ([], {"status": "running"}),
            ([_step("e", 5, at=T3)], {"updated_at": T3, "attempts": 1}),
            ([_step("f", 6, at=T3)], {"updated_at": T3, "attempts": 1}),
            ([], {"status": "completed", "updated_at": T3}),
        ):
            last = store.append("r1", last, events, update)
            run = store.get("r1")
            assert run is not None
            seen.append(run.attempts)
        assert seen == [3, 1, 1, 2, 2, 2, 1, 1, 1]
        [listed], _ = store.runs()
        assert (listed.attempts, listed.status, listed.last_seq) == (1, "completed", 8)

    def an_append_of_many_events_numbers_them_all_in_order() -> None:
        store = store_factory()
        store.create(_run(), _started())
        many = [_step(f"s{number}", number) for number in range(120)]
        assert store.append("r1", 1, many, {"status": "running"}) == 121
        events = store.events("r1")
        assert [(event.seq, event.step, event.data) for event in events[1:]] == [
            (number + 2, f"s{number}", {"result": number}) for number in range(120)
        ]
        with pytest.raises(SequenceConflict):  # stale, with as many again: none of them goes in
            store.append("r1", 1, many, {"status": "completed"})
        run = store.get("r1")
        assert run is not None
        assert (run.last_seq, run.status, len(store.events("r1"))) == (121, "running", 121)

    def append_after_a_stale_sequence_is_refused_and_appends_nothing() -> None:
        store = store_factory()
        store.create(_run(), _started())
        store.append("r1", 1, [_step("start", 42)])
        with pytest.raises(SequenceConflict) as conflict:
            store.append("r1", 1, [_step("start", 43)], {"status": "completed"})
        assert (conflict.value.run_id, conflict.value.expected, conflict.value.actual) == ("r1", 1, 2)
        assert [e.data for e in store.events("r1")][1:] == [{"result": 42}]
        assert store.get("r1").status == "pending"  # type: ignore[union-attr]

    def append_after_a_sequence_not_yet_reached_is_refused_and_appends_nothing() -> None:
        store = store_factory()
        store.create(_run(), _started())
        # an event alone (a first try), one with its time only, and one with a change
        for update in ({"updated_at": T1, "attempts": 1}, {"updated_at": T1}, {"status": "running"}):
            with pytest.raises(SequenceConflict) as conflict:
                store.append("r1", 3, [_step("later", 1, at=T1)], update)
            assert (conflict.value.run_id, conflict.value.expected, conflict.value.actual) == ("r1", 3, 1)
        assert [e.seq for e in store.events("r1")] == [1]
        assert store.get("r1") == store.create(_run(), _started())[0]

    def concurrent_appends_at_one_sequence_record_one() -> None:
        store = store_factory()
        store.create(_run(), _started())
        results = _together(8, lambda i: store.append("r1", 1, [_step("start", i)], {"attempts": i}))
        assert results.count(2) == 1, results
        assert all(isinstance(r, SequenceConflict) for r in results if r != 2), results
        run = store.get("r1")
        assert run is not None
        events = store.events("r1")
        assert len(events) == 2
        assert events[1].data == {"result": run.attempts}
        assert run.attempts == results.index(2)

    def concurrent_event_only_appends_at_one_sequence_record_one() -> None:
        store = store_factory()
        store.create(_run(), _started())
        results = _together(
            8, lambda i: store.append("r1", 1, [_step(f"s{i}", i)], {"updated_at": T1, "attempts": 1})
        )
        assert results.count(2) == 1, results
        assert all(isinstance(r, SequenceConflict) for r in results if r != 2), results
        assert [event.step for event in store.events("r1")] == [None, "s" + str(results.index(2))]

    def append_to_an_unknown_run_is_refused() -> None:
        store = store_factory()
        with pytest.raises(UnknownRun) as unknown:
            store.append("nobody", 0, [_step("start", 1)])
        assert unknown.value.run_id == "nobody"
        assert store.events("nobody") == []

    def append_cannot_change_what_is_not_its_to_change() -> None:
        store = store_factory()
        store.create(_run(), _started())
        for update in ({"workflow": "other"}, {"status": "exploded"}):
            with pytest.raises(ValueError, match=r"workflow|exploded"):
                store.append("r1", 1, [_step("start", 1)], update)
        run = store.get("r1")
        assert run is not None
        assert (run.workflow, run.status, run.last_seq) == ("double", "pending", 1)

    def json_values_come_back_as_they_went_in() -> None:
        store = store_factory()
        store.create(_run(), _started())
        value: dict[str, Any] = {"list": [1, 2.5, "three", None, True], "nested": {"deep": ["é", {"x": -1}]}}
        pad: dict[str, Any] = {"n": 42, "seen": ["a"]}
        store.append(
            "r1",
            1,
            [_step("start", value)],
            {"output": value, "scratchpad": pad, "error": "boom", "status": "completed"},
        )
        value["list"].append("changed after the append")  # the store keeps its own copies
        pad["seen"].append("changed after the append")
        run = store.get("r1")
        assert run is not None
        assert run.output == {"list": [1, 2.5, "three", None, True], "nested": {"deep": ["é", {"x": -1}]}}
        assert (run.scratchpad, run.error, run.status) == ({"n": 42, "seen": ["a"]}, "boom", "completed")
        assert store.events("r1")[1].data == {"result": run.output}

    def a_value_that_is_not_json_is_refused_and_stores_nothing() -> None:
        store = store_factory()
        with pytest.raises(TypeError):
            store.create(_run("bad", input={"when": object()}), _started())
        assert (store.get("bad"), store.events("bad")) == (None, [])
        store.create(_run(), _started())
        with pytest.raises(TypeError):
            store.append("r1", 1, [_step("a", 1)], {"output": {1, 2}, "status": "completed"})
        with pytest.raises(TypeError):
            store.append("r1", 1, [_step("a", {1, 2})], {"status": "completed"})
        run = store.get("r1")
        assert run is not None
        assert (run.status, run.output, run.last_seq) == ("pending", None, 1)
        assert [event.type for event in store.events("r1")] == ["started"]

    def events_after_a_sequence_number() -> None:
        store = store_factory()
        store.create(_run(), _started())
        store.append("r1", 1, [_step("a", 1), _step("b", 2), _step("c", 3)])
        assert [e.step for e in store.events("r1", after=2)] == ["b", "c"]
        assert store.events("r1", after=4) == []
        assert [e.seq for e in store.events("r1", after=-1)] == [1, 2, 3, 4]
        read = store.events("r1")
        read[1].data["result"] = "changed by a reader"  # each read is the reader's own copy
        assert [e.data for e in store.events("r1", after=1)] == [{"result": 1}, {"result": 2}, {"result": 3}]

    def runs_read_back_are_the_readers_own() -> None:
        store = store_factory()
        given = _run(input={"tags": ["a"]}, scratchpad={"seen": ["x"]})
        created, _ = store.create(given, _started())
        given.input["tags"].append("changed by the creator")
        given.scratchpad["seen"].append("changed by the creator")
        created.input["tags"].append("changed by the creator")
        first = store.get("r1")
        assert first is not None
        assert (first.input, first.scratchpad) == ({"tags": ["a"]}, {"seen": ["x"]})
        store.append("r1", 1, [], {"output": {"n": [1]}})
        readers = [
            store.get("r1"),
            store.runs()[0][0],
            store.due("2026-01-02T00:00:00.000Z")[0],
            store.claim("r1", "w1", "2026-01-03T00:00:00.000Z", "2026-01-02T00:00:00.000Z"),
        ]
        for run in readers:
            assert run is not None
            run.input["tags"].append("changed by a reader")
            run.output["n"].append(2)
            run.scratchpad["seen"].append("y")
        again = store.get("r1")
        assert again is not None
        assert (again.input, again.output, again.scratchpad) == ({"tags": ["a"]}, {"n": [1]}, {"seen": ["x"]})

    def runs_are_listed_newest_first_and_filtered() -> None:
        store = store_factory()
        for index, (workflow, stamp) in enumerate([("double", T0), ("triple", T1), ("double", T2)]):
            store.create(
                Run(id=f"r{index}", workflow=workflow, input=None, created_at=stamp, updated_at=stamp),
                _started(stamp),
            )
        store.append("r2", 1, [NewEvent("completed", T3, data={"output": 1})], {"status": "completed"})
        listed, total = store.runs()
        assert ([run.id for run in listed], total) == (["r2", "r1", "r0"], 3)
        assert [run.id for run in store.runs(workflow="double")[0]] == ["r2", "r0"]
        assert store.runs(status="completed") == ([store.get("r2")], 1)
        assert store.runs(workflow="double", status="pending") == ([store.get("r0")], 1)
        assert store.runs(workflow="triple", status="completed") == ([], 0)
        page, total = store.runs(limit=1, offset=1)
        assert ([run.id for run in page], total) == (["r1"], 3)

    def runs_made_at_one_time_are_listed_last_made_first_fifty_at_most_due_a_hundred() -> None:
        store = store_factory()
        for index in range(101):
            store.create(_run(f"r{index:03d}"), _started())  # every one created at T0
        listed, total = store.runs()
        assert (len(listed), total) == (50, 101)
        assert [run.id for run in listed[:3]] == ["r100", "r099", "r098"]
        due = [run.id for run in store.due(T0)]
        assert (len(due), due[:3], due[-1]) == (100, ["r000", "r001", "r002"], "r099")  # first made first

    def due_runs_are_the_unfinished_ones_whose_time_came() -> None:
        store = store_factory()
        for run_id in ("pending", "sleeps", "retries", "done", "failed"):
            store.create(_run(run_id), _started())
        store.create(_run("born-done", status="completed"), _started())
        store.append(
            "sleeps", 1, [NewEvent("sleeping", T0, step="nap")], {"status": "sleeping", "due_at": T2}
        )
        store.append("retries", 1, [], {"status": "retrying", "due_at": T1})
        store.append("done", 1, [NewEvent("completed", T0)], {"status": "completed"})
        store.append("failed", 1, [NewEvent("failed", T0)], {"status": "failed"})
        store.append("pending", 1, [NewEvent("scratchpad", T0, step="k")], {"scratchpad": {"k": 1}})
        assert [run.id for run in store.due(T0)] == ["pending"]
        assert [run.id for run in store.due(T1)] == ["pending", "retries"]
        assert [run.id for run in store.due(T3)] == ["pending", "retries", "sleeps"]
        assert [run.id for run in store.due(T3, limit=1)] == ["pending"]
        store.append("failed", 2, [], {"status": "pending"})  # due by its status, whatever it was
        assert [run.id for run in store.due(T0)] == ["pending", "failed"]

    def the_next_due_time_is_the_earliest_sleep_retry_or_hold_end_to_come() -> None:
        store = store_factory()
        assert store.next_due(T0) is None  # no runs
        t4, t5 = "2026-01-01T00:00:04.000Z", "2026-01-01T00:00:05.000Z"
        for run_id in ("pending", "sleeps", "retries-held", "running-held", "done"):
            store.create(_run(run_id), _started())
        assert store.next_due(T0) is None  # a pending run is due already: nothing comes
        store.append(
            "sleeps", 1, [NewEvent("sleeping", T0, step="nap")], {"status": "sleeping", "due_at": T3}
        )
        assert store.next_due(T0) == T3
        store.append("done", 1, [NewEvent("completed", T0)], {"status": "completed", "due_at": T1})
        assert store.next_due(T0) == T3  # a finished run never comes due, whatever its due_at
        store.append("retries-held", 1, [], {"status": "retrying", "due_at": T1})
        assert store.next_due(T0) == T1
        assert store.claim("retries-held", "worker-a", until=t4, now=T1)  # held past its due time
        assert store.next_due(T0) == T3  # due when the hold ends, the later of the two
        assert store.claim("running-held", "worker-a", until=T2, now=T0)
        assert store.next_due(T0) == T2  # a hold's end: another worker may take the run over
        assert (store.next_due(T2), store.next_due(T3), store.next_due(t4)) == (T3, t4, None)  # after it
        assert store.claim("sleeps", "worker-b", until=t5, now=T3)
        assert store.next_due(T3) == t4

    def a_claim_holds_a_run_for_one_owner_until_it_runs_out() -> None:
        store = store_factory()
        store.create(_run(), _started())
        held = store.claim("r1", "worker-a", until=T2, now=T0)
        assert held is not None
        assert (held.id, held.status, held.owner, held.lease_until) == ("r1", "pending", "worker-a", T2)
        assert store.claim("r1", "worker-b", until=T3, now=T1) is None
        assert store.due(T1) == []  # held: nobody else takes it up
        assert store.claim("r1", "worker-a", until=T3, now=T1)  # the owner renews
        assert store.claim("r1", "worker-b", until=T3, now=T2) is None
        assert [run.id for run in store.due(T3)] == ["r1"]  # the lease ran out: due again
        assert store.claim("r1", "worker-b", until="2026-01-01T00:00:09.000Z", now=T3)  # takeover
        run = store.get("r1")
        assert run is not None
        assert (run.owner, run.lease_until) == ("worker-b", "2026-01-01T00:00:09.000Z")

    def a_claim_takes_only_a_run_that_is_due_and_unfinished() -> None:
        store = store_factory()
        for run_id in ("sleeps", "done", "failed"):
            store.create(_run(run_id), _started())
        store.append("sleeps", 1, [], {"status": "sleeping", "due_at": T2})
        store.append("done", 1, [NewEvent("completed", T0)], {"status": "completed"})
        store.append("failed", 1, [NewEvent("failed", T0)], {"status": "failed"})
        assert store.claim("sleeps", "worker-a", until=T3, now=T1) is None  # not due yet
        assert store.claim("done", "worker-a", until=T3, now=T1) is None
        assert store.claim("failed", "worker-a", until=T3, now=T1) is None
        assert [store.get(run_id).owner for run_id in ("sleeps", "done", "failed")] == [None] * 3  # type: ignore[union-attr]
        woken = store.claim("sleeps", "worker-a", until=T3, now=T2)  # due at T2: taken at T2
        assert woken is not None
        assert (woken.status, woken.due_at, woken.owner, woken.last_seq) == ("sleeping", T2, "worker-a", 1)

    def release_frees_a_run_only_for_its_owner() -> None:
        store = store_factory()
        store.create(_run(), _started())
        store.claim("r1", "worker-a", until=T3, now=T0)
        store.release("r1", "worker-b")
        assert store.get("r1").owner == "worker-a"  # type: ignore[union-attr]
        store.release("r1", "worker-a")
        run = store.get("r1")
        assert run is not None
        assert (run.owner, run.lease_until) == (None, None)
        assert store.claim("r1", "worker-b", until=T3, now=T0)

    def an_unknown_run_is_nothing() -> None:
        store = store_factory()
        assert store.get("nobody") is None
        assert store.events("nobody") == []
        assert store.claim("nobody", "worker-a", until=T1, now=T0) is None
        store.release("nobody", "worker-a")  # no error
        assert store.runs() == ([], 0)

    return [
        create_stores_the_run_and_its_started_event,
        create_stores_every_field_of_the_run_as_given,
        create_of_an_existing_id_changes_nothing,
        concurrent_creates_of_one_id_make_one_run,
        append_numbers_events_and_updates_the_run,
        updated_at_is_what_the_last_append_that_set_it_set,
        attempts_are_what_the_last_append_that_set_them_set,
        an_append_of_many_events_numbers_them_all_in_order,
        append_after_a_stale_sequence_is_refused_and_appends_nothing,
        append_after_a_sequence_not_yet_reached_is_refused_and_appends_nothing,
        concurrent_appends_at_one_sequence_record_one,
        concurrent_event_only_appends_at_one_sequence_record_one,
        append_to_an_unknown_run_is_refused,
        append_cannot_change_what_is_not_its_to_change,
        json_values_come_back_as_they_went_in,
        a_value_that_is_not_json_is_refused_and_stores_nothing,
        events_after_a_sequence_number,
        runs_read_back_are_the_readers_own,
        runs_made_at_one_time_are_listed_last_made_first_fifty_at_most_due_a_hundred,
        runs_are_listed_newest_first_and_filtered,
        due_runs_are_the_unfinished_ones_whose_time_came,
        the_next_due_time_is_the_earliest_sleep_retry_or_hold_end_to_come,
        a_claim_holds_a_run_for_one_owner_until_it_runs_out,
        a_claim_takes_only_a_run_that_is_due_and_unfinished,
        release_frees_a_run_only_for_its_owner,
        an_unknown_run_is_nothing,
    ]
