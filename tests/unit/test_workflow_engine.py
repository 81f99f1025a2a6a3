"""The workflow engine on both stores: replay, durable sleeps on kiln's clock, retries with
backoff, deduplication, takeover after a lost heartbeat, and the errors that end a run."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from workflow_engines import engine_for

from kiln.clock import Clock
from kiln.workflows import (
    Engine,
    EventStore,
    NewEvent,
    NonRetryableError,
    UnknownWorkflow,
    Workflow,
    definition_of,
    workflow,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
_names = itertools.count()


class Results:
    """What the smoke workflow persists: the stand-in for ``wf.db`` in these tests."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def insert(self, row: dict[str, Any]) -> int:
        self.rows.append(row)
        return len(self.rows)


@workflow("double-and-persist", max_attempts=3)
async def double(wf: Any, input: Any) -> int:
    n = await wf.step("start", lambda: input["n"] * 2)
    for i in range(6):
        await wf.sleep(f"nap-{i}", seconds=10)
    wf.scratchpad["n"] = n
    await wf.step("persist", lambda: wf.db.insert({"run_id": wf.run_id, "n": n}))
    return int(n)


def _run(engine: Engine, run_id: str) -> Any:
    return asyncio.run(engine.run(run_id))


def test_the_smoke_workflow_doubles_sleeps_six_times_on_the_clock_and_persists(
    store: EventStore, clock: Clock
) -> None:
    results = Results()
    engine = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(results))
    run, created = engine.start("double-and-persist", {"n": 21}, run_id="smoke-1")
    assert (created, run.status) == (True, "pending")

    statuses = [_run(engine, "smoke-1").status]
    for _ in range(6):
        clock.advance(timedelta(seconds=10))
        statuses.append(asyncio.run(engine.run_due())[0].status)

    assert statuses == ["sleeping"] * 6 + ["completed"]
    finished = store.get("smoke-1")
    assert finished is not None
    assert (finished.output, finished.scratchpad, finished.error) == (42, {"n": 42}, None)
    assert results.rows == [{"run_id": "smoke-1", "n": 42}]
    events = [(e.type, e.step) for e in store.events("smoke-1")]
    naps = [(kind, f"nap-{i}") for i in range(6) for kind in ("sleeping", "woke")]
    assert events == [
        ("started", None),
        ("step_completed", "start"),
        *naps,
        ("scratchpad", "n"),
        ("step_completed", "persist"),
        ("completed", None),
    ]
    assert store.events("smoke-1")[2].data == {"until": "2026-01-01T00:00:10.000Z"}


def test_a_sleep_does_not_end_before_its_time(store: EventStore, clock: Clock) -> None:
    engine = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(Results()))
    engine.start("double-and-persist", {"n": 1}, run_id="r")
    _run(engine, "r")
    clock.advance(timedelta(seconds=9.999))
    assert asyncio.run(engine.run_due()) == []
    run = store.get("r")
    assert run is not None
    assert (run.status, run.due_at) == ("sleeping", "2026-01-01T00:00:10.000Z")
    assert engine.next_wake() == datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)


def test_a_recorded_step_is_never_run_again(store: EventStore, clock: Clock) -> None:
    calls: list[str] = []

    @workflow(f"counting-{next(_names)}")
    async def counting(wf: Any, input: Any) -> str:
        first = await wf.step("first", lambda: calls.append("first") or "one")
        await wf.sleep("pause", seconds=5)
        second = await wf.step("second", lambda: calls.append("second") or "two")
        return f"{first}-{second}"

    engine = engine_for(store, clock, counting)
    run, _ = engine.start(definition_of(counting).name, None)  # type: ignore[union-attr]
    _run(engine, run.id)
    clock.advance(timedelta(seconds=5))
    _run(engine, run.id)

    assert calls == ["first", "second"]
    assert store.get(run.id).output == "one-two"  # type: ignore[union-attr]


def test_starting_an_existing_id_starts_nothing(store: EventStore, clock: Clock) -> None:
    engine = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(Results()))
    engine.start("double-and-persist", {"n": 1}, run_id="same")
    again, created = engine.start("double-and-persist", {"n": 999}, run_id="same")
    assert (created, again.input) == (False, {"n": 1})
    assert len(store.events("same")) == 1


def test_concurrent_starts_of_one_id_make_one_run(store: EventStore, clock: Clock) -> None:
    engine = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(Results()))
    barrier = threading.Barrier(12)
    created: list[bool] = []

    def start(n: int) -> None:
        barrier.wait(timeout=10)
        created.append(engine.start("double-and-persist", {"n": n}, run_id="dedup")[1])

    threads = [threading.Thread(target=start, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(created) == [False] * 11 + [True]
    assert store.runs() == ([store.get("dedup")], 1)


def _flaky(failures: int, max_attempts: int = 3) -> Callable[..., Any]:
    tries: list[int] = []

    @workflow(f"flaky-{next(_names)}", max_attempts=max_attempts)
    async def flaky(wf: Any, input: Any) -> int:
        def call() -> int:
            tries.append(1)
            if len(tries) <= failures:
                raise ConnectionError(f"the service is down (try {len(tries)})")
            return len(tries)

        return int(await wf.step("call", call))

    return flaky


def test_a_failing_step_is_retried_after_1_then_2_seconds(store: EventStore, clock: Clock) -> None:
    flaky = _flaky(failures=2)
    engine = engine_for(store, clock, flaky)
    run, _ = engine.start(definition_of(flaky).name, None)  # type: ignore[union-attr]

    first = _run(engine, run.id)
    assert (first.status, first.attempts, first.due_at) == ("retrying", 1, "2026-01-01T00:00:01.000Z")
    assert first.error == "the service is down (try 1)"
    assert asyncio.run(engine.run_due()) == []  # not yet
    clock.advance(timedelta(seconds=1))
    second = asyncio.run(engine.run_due())[0]
    assert (second.status, second.attempts, second.due_at) == ("retrying", 2, "2026-01-01T00:00:03.000Z")
    clock.advance(timedelta(seconds=2))
    third = asyncio.run(engine.run_due())[0]
    assert (third.status, third.attempts, third.output, third.error) == ("completed", 3, 3, None)
    assert [(e.type, e.step, e.data) for e in store.events(run.id)][1:] == [
        ("step_failed", "call", {"error": "the service is down (try 1)", "attempt": 1}),
        ("step_failed", "call", {"error": "the service is down (try 2)", "attempt": 2}),
        ("step_completed", "call", {"result": 3}),
        ("completed", None, {"output": 3}),
    ]


def test_an_error_without_a_message_is_named_by_its_type(store: EventStore, clock: Clock) -> None:
    @workflow(f"mute-{next(_names)}", max_attempts=1)
    async def mute(wf: Any, input: Any) -> None:
        def call() -> None:
            raise TimeoutError()  # str() of it is ""

        await wf.step("call", call)

    engine = engine_for(store, clock, mute)
    run, _ = engine.start(definition_of(mute).name, None)  # type: ignore[union-attr]
    failed = _run(engine, run.id)
    assert (failed.status, failed.error) == ("failed", "TimeoutError")
    assert store.events(run.id)[1].data == {"error": "TimeoutError", "attempt": 1}


def test_a_result_that_is_not_json_on_a_later_try_fails_the_run_with_that_tries_count(
    store: EventStore, clock: Clock
) -> None:
    tries: list[int] = []

    @workflow(f"late-set-{next(_names)}", max_attempts=3)
    async def late_set(wf: Any, input: Any) -> None:
        def call() -> Any:
            tries.append(1)
            if len(tries) == 1:
                raise ConnectionError("down")
            return {1, 2}  # a set: not JSON

        await wf.step("call", call)

    engine = engine_for(store, clock, late_set)
    run, _ = engine.start(definition_of(late_set).name, None)  # type: ignore[union-attr]
    _run(engine, run.id)
    clock.advance(timedelta(seconds=1))
    [failed] = asyncio.run(engine.run_due())
    assert (failed.status, failed.attempts) == ("failed", 2)  # the tries of the step that ran last
    assert (
        failed.error
        == "the result of step 'call' must be JSON, but it is set: Type is not JSON serializable: set"
    )


def test_an_async_step_taken_up_again_says_running_while_it_awaits(store: EventStore, clock: Clock) -> None:
    seen: list[tuple[str, str | None]] = []
    tries: list[int] = []

    @workflow(f"slow-retry-{next(_names)}", max_attempts=3)
    async def slow_retry(wf: Any, input: Any) -> int:
        async def call() -> int:
            tries.append(1)
            run = store.get(wf.run_id)
            assert run is not None
            seen.append((run.status, run.due_at))
            if len(tries) == 1:
                raise ConnectionError("down")
            return 7

        return int(await wf.step("call", call))

    engine = engine_for(store, clock, slow_retry)
    run, _ = engine.start(definition_of(slow_retry).name, None)  # type: ignore[union-attr]
    assert _run(engine, run.id).status == "retrying"
    clock.advance(timedelta(seconds=1))
    [done] = asyncio.run(engine.run_due())
    assert (done.status, done.output) == ("completed", 7)
    # pending at first, then retrying with its due time: each said running, due nowhere, while it awaited
    assert seen == [("running", None), ("running", None)]


def test_the_observer_hears_of_each_steps_body_with_its_run(store: EventStore, clock: Clock) -> None:
    @workflow(f"observed-{next(_names)}", max_attempts=1)
    async def observed(wf: Any, input: Any) -> None:
        async def later() -> int:
            return 2

        def broken() -> None:
            raise NonRetryableError("no")

        await wf.step("sync", lambda: 1)
        await wf.step("async", later)
        await wf.step("raises", broken)

    engine = engine_for(store, clock, observed)
    heard: list[tuple[str, str]] = []
    engine.observer = lambda run_id, step: heard.append((run_id, step))
    asyncio.run(engine.start_and_run(definition_of(observed).name, run_id="seen"))  # type: ignore[union-attr]
    assert heard == [("seen", "sync"), ("seen", "async"), ("seen", "raises")]


def test_a_step_that_keeps_failing_fails_the_run_after_max_attempts(store: EventStore, clock: Clock) -> None:
    flaky = _flaky(failures=99, max_attempts=2)
    engine = engine_for(store, clock, flaky)
    run, _ = engine.start(definition_of(flaky).name, None)  # type: ignore[union-attr]
    _run(engine, run.id)
    clock.advance(timedelta(seconds=1))
    [failed] = asyncio.run(engine.run_due())
    assert (failed.status, failed.attempts, failed.error) == ("failed", 2, "the service is down (try 2)")
    assert [e.type for e in store.events(run.id)][-2:] == ["step_failed", "failed"]
    clock.advance(timedelta(hours=1))
    assert asyncio.run(engine.run_due()) == []  # a failed run is never due


def test_a_non_retryable_error_fails_the_run_at_once(
    store: EventStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    @workflow(f"refuses-{next(_names)}", max_attempts=5)
    async def refuses(wf: Any, input: Any) -> None:
        def charge() -> None:
            raise NonRetryableError("the card was declined")

        await wf.step("charge", charge)

    engine = engine_for(store, clock, refuses)
    run, _ = engine.start(definition_of(refuses).name, {"amount": 5}, run_id="declined")  # type: ignore[union-attr]
    with caplog.at_level(logging.WARNING, logger="kiln.workflows"):
        done = _run(engine, run.id)
    assert (done.status, done.attempts, done.error) == ("failed", 1, "the card was declined")
    assert [record.getMessage() for record in caplog.records] == [
        f"workflow run declined ({definition_of(refuses).name}) failed: the card was declined"  # type: ignore[union-attr]
    ]
    assert [(e.type, e.step, e.data) for e in store.events(run.id)][1:] == [
        ("step_failed", "charge", {"error": "the card was declined", "attempt": 1}),
        ("failed", None, {"error": "the card was declined"}),
    ]


def test_a_step_result_that_is_not_json_fails_the_step_clearly(store: EventStore, clock: Clock) -> None:
    @workflow(f"unjson-{next(_names)}")
    async def unjson(wf: Any, input: Any) -> None:
        await wf.step("make", lambda: {1, 2, 3})

    engine = engine_for(store, clock, unjson)
    run, _ = engine.start(definition_of(unjson).name, None)  # type: ignore[union-attr]
    done = _run(engine, run.id)
    assert done.status == "failed"
    assert done.error.startswith("the result of step 'make' must be JSON, but it is set: ")
    assert [(e.type, e.step, e.data) for e in store.events(run.id)][1:] == [
        ("step_failed", "make", {"error": done.error, "attempt": 1}),
        ("failed", None, {"error": done.error}),
    ]


def test_code_that_no_longer_matches_its_history_fails_with_nondeterminism(
    store: EventStore, clock: Clock
) -> None:
    name = f"changing-{next(_names)}"

    @workflow(name)
    async def before(wf: Any, input: Any) -> None:
        await wf.step("fetch", lambda: 1)
        await wf.sleep("wait", seconds=60)

    @workflow(name)
    async def after(wf: Any, input: Any) -> None:
        await wf.step("validate", lambda: 0)  # a step added before the recorded one
        await wf.step("fetch", lambda: 1)

    run, _ = engine_for(store, clock, before).start(name, None)
    _run(engine_for(store, clock, before), run.id)
    clock.advance(timedelta(seconds=60))
    done = _run(engine_for(store, clock, after), run.id)

    assert done.status == "failed"
    assert done.error == (
        "nondeterminism: the workflow asked for step 'validate' where its history has step 'fetch' "
        "(command 1): the code changed under a running run"
    )


def test_a_step_name_used_twice_fails_the_run(store: EventStore, clock: Clock) -> None:
    @workflow(f"twice-{next(_names)}")
    async def twice(wf: Any, input: Any) -> None:
        await wf.step("same", lambda: 1)
        await wf.step("same", lambda: 2)

    engine = engine_for(store, clock, twice)
    run, _ = engine.start(definition_of(twice).name, None)  # type: ignore[union-attr]
    assert _run(engine, run.id).error == "step 'same' is used twice in one run: give each its own name"


def test_an_error_outside_a_step_fails_the_run_with_its_type(store: EventStore, clock: Clock) -> None:
    @workflow(f"broken-{next(_names)}")
    async def broken(wf: Any, input: Any) -> None:
        raise KeyError("missing")

    engine = engine_for(store, clock, broken)
    run, _ = engine.start(definition_of(broken).name, None)  # type: ignore[union-attr]
    assert _run(engine, run.id).error == "KeyError: 'missing'"


def test_scratchpad_writes_are_recorded_once_across_replays(store: EventStore, clock: Clock) -> None:
    @workflow(f"notes-{next(_names)}")
    async def notes(wf: Any, input: Any) -> dict[str, Any]:
        wf.scratchpad["stage"] = "fetched"
        await wf.sleep("pause", seconds=1)
        wf.scratchpad["stage"] = "done"
        wf.scratchpad.update(count=2)
        return dict(wf.scratchpad)

    engine = engine_for(store, clock, notes)
    run, _ = engine.start(definition_of(notes).name, None)  # type: ignore[union-attr]
    assert _run(engine, run.id).scratchpad == {"stage": "fetched"}
    clock.advance(timedelta(seconds=1))
    done = _run(engine, run.id)
    assert (done.scratchpad, done.output) == ({"stage": "done", "count": 2}, {"stage": "done", "count": 2})
    pads = [(e.step, e.data) for e in store.events(run.id) if e.type == "scratchpad"]
    assert pads == [("stage", {"value": "fetched"}), ("stage", {"value": "done"}), ("count", {"value": 2})]


def test_a_run_held_by_a_dead_worker_is_taken_over_after_the_heartbeat_timeout(
    store: EventStore, clock: Clock
) -> None:
    results = Results()
    survivor = engine_for(
        store,
        clock,
        double,
        db=lambda: contextlib.nullcontext(results),
        worker="survivor",
        heartbeat_timeout=30,
    )
    survivor.start("double-and-persist", {"n": 5}, run_id="orphan")
    # a worker took the run up and died without a word: its lease stands for 30 s of the clock
    assert store.claim(
        "orphan", "dead-worker", until="2026-01-01T00:00:30.000Z", now="2026-01-01T00:00:00.000Z"
    )

    assert _run(survivor, "orphan") is None
    assert asyncio.run(survivor.run_due()) == []
    assert survivor.next_wake() == datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)  # when the lease runs out
    clock.advance(timedelta(seconds=30))
    [resumed] = asyncio.run(survivor.run_due())

    assert resumed.status == "sleeping"
    assert [e.step for e in store.events("orphan")][1:3] == ["start", "nap-0"]
    assert survivor.next_wake() == datetime(2026, 1, 1, 0, 0, 40, tzinfo=UTC)  # its first nap's end


def test_two_workers_on_one_store_record_each_step_once(store: EventStore, clock: Clock) -> None:
    effects: list[str] = []

    @workflow(f"shared-{next(_names)}")
    async def shared(wf: Any, input: Any) -> int:
        async def slow() -> int:
            effects.append("charged")
            await asyncio.sleep(0)  # give the other worker its turn mid-step
            return 7

        return int(await wf.step("charge", slow))

    one = engine_for(store, clock, shared, worker="one")
    two = engine_for(store, clock, shared, worker="two")
    run, _ = one.start(definition_of(shared).name, None)  # type: ignore[union-attr]

    async def both() -> list[Any]:
        return list(await asyncio.gather(one.run(run.id), two.run(run.id)))

    outcomes = asyncio.run(both())
    assert effects == ["charged"]
    assert sorted(o is None for o in outcomes) == [False, True]  # one of them could not take it
    assert store.get(run.id).output == 7  # type: ignore[union-attr]


def test_a_worker_whose_run_was_recorded_meanwhile_stops_without_writing(
    store: EventStore, clock: Clock
) -> None:
    @workflow(f"raced-{next(_names)}")
    async def raced(wf: Any, input: Any) -> int:
        def meddle() -> int:  # someone else records the step while this worker runs it
            store.append(wf.run_id, store.get(wf.run_id).last_seq, [NewEvent("scratchpad", "x", step="k")])
            return 1

        return int(await wf.step("work", meddle))

    engine = engine_for(store, clock, raced)
    run, _ = engine.start(definition_of(raced).name, None)  # type: ignore[union-attr]
    after = _run(engine, run.id)
    assert [e.type for e in store.events(run.id)] == ["started", "scratchpad"]
    assert (after.status, after.output) == ("pending", None)  # left as the other writer left it


def test_starting_an_unknown_workflow_or_with_input_that_is_not_json(store: EventStore, clock: Clock) -> None:
    engine = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(Results()))
    with pytest.raises(UnknownWorkflow, match=r"no workflow named 'nope' \(workflows: double-and-persist\)"):
        engine.start("nope", None)
    with pytest.raises(TypeError, match="a workflow's input must be JSON, but it is object"):
        engine.start("double-and-persist", object())
    assert store.runs() == ([], 0)


def test_the_decorator_checks_its_arguments_and_keeps_the_function() -> None:
    async def flow(wf: Any, input: Any) -> None:
        return None

    marked = workflow("a-flow", max_attempts=5)(flow)
    assert marked is flow
    assert definition_of(flow) == Workflow("a-flow", flow, 5)
    with pytest.raises(TypeError, match=r"must be an async function: async def plain\(wf, input\)"):

        @workflow("plain")
        def plain(wf: Any, input: Any) -> None: ...

    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="max_attempts must be a whole number of 1 or more"):
            workflow("x", max_attempts=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a workflow needs a name"):
        workflow(" ")
    assert definition_of(lambda: None) is None


def test_a_long_async_step_keeps_its_hold_on_the_run_with_heartbeats(store: EventStore, clock: Clock) -> None:
    effects: list[str] = []

    async def scenario() -> tuple[Any, Any]:
        started, gate = asyncio.Event(), asyncio.Event()

        @workflow(f"long-{next(_names)}")
        async def long(wf: Any, input: Any) -> str:
            async def upload() -> str:
                effects.append("upload")
                started.set()
                await gate.wait()
                return "uploaded"

            return str(await wf.step("upload", upload))

        one = engine_for(store, clock, long, worker="one", heartbeat_timeout=30, heartbeat_interval=0.01)
        two = engine_for(store, clock, long, worker="two", heartbeat_timeout=30)
        run, _ = one.start(definition_of(long).name, None)  # type: ignore[union-attr]
        carrying = asyncio.create_task(one.run(run.id))
        await asyncio.wait_for(started.wait(), 5)
        clock.advance(timedelta(seconds=60))  # past the first lease: only heartbeats keep it
        await asyncio.sleep(0.05)  # a few heartbeats
        taken = await two.run(run.id)
        gate.set()
        return taken, await asyncio.wait_for(carrying, 5)

    taken, finished = asyncio.run(scenario())
    assert taken is None  # the other worker found it held
    assert (finished.status, finished.output) == ("completed", "uploaded")
    assert effects == ["upload"]


def test_a_recorded_sleep_taken_up_before_its_end_goes_on_sleeping(store: EventStore, clock: Clock) -> None:
    @workflow(f"nap-{next(_names)}")
    async def nap(wf: Any, input: Any) -> str:
        await wf.sleep("nap", seconds=60)
        return "rested"

    engine = engine_for(store, clock, nap)
    run, _ = engine.start(definition_of(nap).name, None)  # type: ignore[union-attr]
    # a history with the sleep but no due time (as a store written by an older kiln could hold)
    store.append(run.id, 1, [NewEvent("sleeping", "2026-01-01T00:00:00.000Z", step="nap",
                                      data={"until": "2026-01-01T00:01:00.000Z"})])  # fmt: skip

    early = _run(engine, run.id)
    assert (early.status, early.due_at) == ("sleeping", "2026-01-01T00:01:00.000Z")
    assert [e.type for e in store.events(run.id)] == ["started", "sleeping"]
    clock.advance(timedelta(seconds=60))
    assert _run(engine, run.id).output == "rested"


def test_a_sleep_of_no_time_sleeps_and_wakes_in_one_write(store: EventStore, clock: Clock) -> None:
    @workflow(f"blink-{next(_names)}")
    async def blink(wf: Any, input: Any) -> str:
        await wf.sleep("blink", seconds=0)
        return "awake"

    engine = engine_for(store, clock, blink)
    run, _ = engine.start(definition_of(blink).name, None)  # type: ignore[union-attr]
    assert _run(engine, run.id).output == "awake"
    events = store.events(run.id)
    assert [(e.seq, e.type) for e in events] == [
        (1, "started"),
        (2, "sleeping"),
        (3, "woke"),
        (4, "completed"),
    ]


def test_scratchpad_keys_must_be_strings_and_values_json(store: EventStore, clock: Clock) -> None:
    @workflow(f"keys-{next(_names)}")
    async def keys(wf: Any, input: Any) -> None:
        wf.scratchpad[input["key"]] = input["value"] if input["value"] != "a set" else {1}

    engine = engine_for(store, clock, keys)
    bad_key, _ = engine.start(definition_of(keys).name, {"key": 7, "value": 1})  # type: ignore[union-attr]
    bad_value, _ = engine.start(definition_of(keys).name, {"key": "k", "value": "a set"})  # type: ignore[union-attr]
    assert _run(engine, bad_key.id).error == "TypeError: scratchpad keys are strings, not int"
    error = _run(engine, bad_value.id).error
    assert error.startswith("TypeError: scratchpad['k'] must be JSON, but it is set: ")
    assert store.get(bad_value.id).scratchpad == {}  # type: ignore[union-attr]


def test_scratchpad_update_takes_a_mapping_and_keywords(store: EventStore, clock: Clock) -> None:
    @workflow(f"update-{next(_names)}")
    async def update(wf: Any, input: Any) -> dict[str, Any]:
        wf.scratchpad.update({"a": 1}, b=2)
        return dict(wf.scratchpad)

    engine = engine_for(store, clock, update)
    run, _ = engine.start(definition_of(update).name, None)  # type: ignore[union-attr]
    done = _run(engine, run.id)
    assert (done.output, done.scratchpad) == ({"a": 1, "b": 2}, {"a": 1, "b": 2})


def test_the_context_gives_the_input_the_clock_and_the_run_id(store: EventStore, clock: Clock) -> None:
    @workflow(f"context-{next(_names)}")
    async def context(wf: Any, input: Any) -> dict[str, Any]:
        return {"input": wf.input, "same": wf.input is input or wf.input == input, "now": wf.clock.now().isoformat(),
                "run": wf.run_id}  # fmt: skip

    engine = engine_for(store, clock, context)
    run, _ = engine.start(definition_of(context).name, {"n": 3}, run_id="ctx")  # type: ignore[union-attr]
    assert _run(engine, run.id).output == {
        "input": {"n": 3},
        "same": True,
        "now": "2026-01-01T00:00:00+00:00",
        "run": "ctx",
    }


def test_a_workflow_that_changes_its_input_changes_nothing_stored_and_replays_from_the_start(
    store: EventStore, clock: Clock
) -> None:
    seen: list[list[str]] = []

    @workflow(f"mutating-{next(_names)}")
    async def mutating(wf: Any, input: Any) -> list[str]:
        seen.append(list(input["tags"]))
        input["tags"].append("added by the workflow")
        await wf.sleep("nap", seconds=10)
        return list(input["tags"])

    engine = engine_for(store, clock, mutating)
    name = definition_of(mutating).name  # type: ignore[union-attr]
    asyncio.run(engine.start_and_run(name, {"tags": ["a"]}, run_id="mut"))
    clock.advance(timedelta(seconds=10))
    [done] = asyncio.run(engine.run_due())

    assert seen == [["a"], ["a"]]  # the replay saw the input as it was started
    assert done.output == ["a", "added by the workflow"]
    stored = store.get("mut")
    assert stored is not None
    assert stored.input == {"tags": ["a"]}
    assert store.events("mut")[0].data == {"input": {"tags": ["a"]}}


def test_each_event_has_the_millisecond_of_its_own_time(store: EventStore, clock: Clock) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = {
        "a": start + timedelta(microseconds=100),
        "b": start + timedelta(microseconds=900),  # the same millisecond as a
        "c": start + timedelta(microseconds=1000),  # the next one
        "d": start + timedelta(seconds=1, microseconds=1500),  # a second on, the same digits as c
        "e": start + timedelta(microseconds=500),  # the clock set back
    }

    @workflow(f"stamps-{next(_names)}")
    async def stamps(wf: Any, input: Any) -> None:
        for name, when in times.items():
            await wf.step(name, lambda when=when: clock.set(when))

    engine = engine_for(store, clock, stamps)
    asyncio.run(engine.start_and_run(definition_of(stamps).name, run_id="stamps"))  # type: ignore[union-attr]

    assert [(event.step, event.at) for event in store.events("stamps") if event.type == "step_completed"] == [
        ("a", "2026-01-01T00:00:00.000Z"),
        ("b", "2026-01-01T00:00:00.000Z"),
        ("c", "2026-01-01T00:00:00.001Z"),
        ("d", "2026-01-01T00:00:01.001Z"),
        ("e", "2026-01-01T00:00:00.000Z"),
    ]


def test_updated_at_is_the_time_of_the_last_write(store: EventStore, clock: Clock) -> None:
    flaky = _flaky(failures=1)
    engine = engine_for(store, clock, flaky)
    run, _ = engine.start(definition_of(flaky).name, None)  # type: ignore[union-attr]
    assert _run(engine, run.id).updated_at == "2026-01-01T00:00:00.000Z"
    clock.advance(timedelta(seconds=1))
    done = asyncio.run(engine.run_due())[0]
    assert (done.created_at, done.updated_at) == ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z")


def test_a_step_is_recorded_before_the_next_step_runs_and_the_last_with_the_end(
    store: EventStore, clock: Clock
) -> None:
    seen: list[list[tuple[int, str, str | None]]] = []

    def recorded() -> list[tuple[int, str, str | None]]:
        return [(event.seq, event.type, event.step) for event in store.events("three")]

    @workflow(f"three-{next(_names)}")
    async def three(wf: Any, input: Any) -> str:
        await wf.step("a", lambda: seen.append(recorded()) or "a")
        await wf.step("b", lambda: seen.append(recorded()) or "b")
        await wf.step("c", lambda: seen.append(recorded()) or "c")
        return "abc"

    engine = engine_for(store, clock, three)
    engine.start(definition_of(three).name, run_id="three")  # type: ignore[union-attr]
    finished = _run(engine, "three")

    assert seen == [
        [(1, "started", None)],
        [(1, "started", None), (2, "step_completed", "a")],
        [(1, "started", None), (2, "step_completed", "a"), (3, "step_completed", "b")],
    ]
    assert recorded()[3:] == [(4, "step_completed", "c"), (5, "completed", None)]
    assert (finished.status, finished.output, finished.last_seq) == ("completed", "abc", 5)


def test_a_step_before_a_failure_outside_any_step_is_recorded_with_the_failure(
    store: EventStore, clock: Clock
) -> None:
    @workflow(f"breaks-{next(_names)}")
    async def breaks(wf: Any, input: Any) -> None:
        await wf.step("a", lambda: 1)
        raise KeyError("missing")

    engine = engine_for(store, clock, breaks)
    engine.start(definition_of(breaks).name, run_id="breaks")  # type: ignore[union-attr]
    failed = _run(engine, "breaks")

    events = store.events("breaks")
    assert [(event.type, event.step, event.data) for event in events[1:]] == [
        ("step_completed", "a", {"result": 1}),
        ("failed", None, {"error": "KeyError: 'missing'"}),
    ]
    assert (failed.status, failed.error, failed.attempts) == ("failed", "KeyError: 'missing'", 1)


def test_start_and_run_carries_a_new_run_to_its_end_in_one_call(store: EventStore, clock: Clock) -> None:
    results = Results()
    engine = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(results), worker="w1")

    run, created = asyncio.run(engine.start_and_run("double-and-persist", {"n": 4}, run_id="at-once"))

    assert created is True
    assert (run.status, run.due_at, run.owner, run.lease_until) == (
        "sleeping",
        "2026-01-01T00:00:10.000Z",
        None,  # let go with the sleep's write, so any worker takes it up when it wakes
        None,
    )
    assert [(e.seq, e.type, e.step) for e in store.events("at-once")] == [
        (1, "started", None),
        (2, "step_completed", "start"),
        (3, "sleeping", "nap-0"),
    ]
    other = engine_for(store, clock, double, db=lambda: contextlib.nullcontext(results), worker="w2")
    for _ in range(6):
        clock.advance(timedelta(seconds=10))
        asyncio.run(other.run_due())
    finished = store.get("at-once")
    assert finished is not None
    assert (finished.status, finished.output) == ("completed", 8)
    assert results.rows == [{"run_id": "at-once", "n": 8}]


def test_start_and_run_of_a_known_id_starts_nothing_and_runs_no_step_again(
    store: EventStore, clock: Clock
) -> None:
    calls: list[str] = []

    @workflow(f"once-{next(_names)}")
    async def once(wf: Any, input: Any) -> str:
        return str(await wf.step("only", lambda: calls.append("only") or "done"))

    engine = engine_for(store, clock, once)
    name = definition_of(once).name  # type: ignore[union-attr]
    first, first_created = asyncio.run(engine.start_and_run(name, run_id="dup"))
    again, again_created = asyncio.run(engine.start_and_run(name, {"ignored": True}, run_id="dup"))

    assert (first_created, again_created) == (True, False)
    assert (first.status, first.output) == ("completed", "done")
    assert (again.status, again.output, again.input) == ("completed", "done", None)
    assert calls == ["only"]
    assert [e.type for e in store.events("dup")] == ["started", "step_completed", "completed"]


def test_a_run_begun_by_start_and_run_is_held_against_other_workers_while_its_step_runs(
    store: EventStore, clock: Clock
) -> None:
    seen: list[Any] = []
    other = None

    @workflow(f"held-{next(_names)}")
    async def held(wf: Any, input: Any) -> int:
        async def look() -> int:
            seen.append(await other.run("held"))  # type: ignore[union-attr]
            return 1

        return int(await wf.step("look", look))

    first = engine_for(store, clock, held, worker="first")
    other = engine_for(store, clock, held, worker="second")
    run, _ = asyncio.run(first.start_and_run(definition_of(held).name, run_id="held"))  # type: ignore[union-attr]

    assert seen == [None]  # the second worker could not take it up
    assert (run.status, run.output, run.owner) == ("completed", 1, None)


def test_start_and_run_refuses_an_unknown_workflow_and_stores_nothing(
    store: EventStore, clock: Clock
) -> None:
    engine = engine_for(store, clock, double)
    with pytest.raises(UnknownWorkflow, match="no workflow named 'nope'"):
        asyncio.run(engine.start_and_run("nope", run_id="never"))
    assert store.get("never") is None


def test_runs_started_in_one_millisecond_share_its_stamp_and_the_end_of_their_hold(
    store: EventStore, clock: Clock
) -> None:
    holds: dict[str, str | None] = {}

    @workflow(f"held-{next(_names)}")
    async def held(wf: Any, input: Any) -> None:
        run = store.get(wf.run_id)
        holds[wf.run_id] = run.lease_until if run is not None else None

    engine = engine_for(store, clock, held, heartbeat_timeout=5.0)
    name = definition_of(held).name  # type: ignore[union-attr]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for run_id, when in (
        ("first", start + timedelta(microseconds=100)),
        ("same-ms", start + timedelta(microseconds=900)),
        ("next-ms", start + timedelta(microseconds=1000)),
        ("set-back", start + timedelta(microseconds=200)),
    ):
        clock.set(when)
        asyncio.run(engine.start_and_run(name, run_id=run_id))

    created = {run_id: store.get(run_id).created_at for run_id in holds}  # type: ignore[union-attr]
    assert created == {
        "first": "2026-01-01T00:00:00.000Z",
        "same-ms": "2026-01-01T00:00:00.000Z",
        "next-ms": "2026-01-01T00:00:00.001Z",
        "set-back": "2026-01-01T00:00:00.000Z",
    }
    assert holds == {
        "first": "2026-01-01T00:00:05.000Z",
        "same-ms": "2026-01-01T00:00:05.000Z",
        "next-ms": "2026-01-01T00:00:05.001Z",
        "set-back": "2026-01-01T00:00:05.000Z",
    }
