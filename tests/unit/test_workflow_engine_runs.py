"""The workflow engine's handling of runs on both stores: what a start stores, what ``run`` and
``start_and_run`` answer, holds let go, sleeps that wake, a workflow's own result and errors, and
the log lines and settings a careless edit could change unseen (tests a mutation run asked for)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from workflow_engines import engine_for

from kiln.clock import Clock
from kiln.workflows import EventStore, NewEvent, Run, UnknownWorkflow, workflow

T0 = "2026-01-01T00:00:00.000Z"


@workflow("engine-runs-one-step")
async def one_step(wf: Any, input: Any) -> int:
    return int(await wf.step("only", lambda: 5))


@workflow("engine-runs-naps")
async def naps(wf: Any, input: Any) -> None:
    await wf.sleep("later", seconds=10)


def _naps_reading(store: EventStore) -> Any:
    """A workflow that sleeps no time, then ten seconds, and after each reads its run as stored."""

    def status(run_id: str) -> list[Any]:
        run = store.get(run_id)
        assert run is not None
        return [run.status, run.due_at, run.owner is not None]

    @workflow("engine-runs-naps-reading")
    async def naps_reading(wf: Any, input: Any) -> list[Any]:
        await wf.sleep("now", seconds=0)
        seen = [await wf.step("after-now", lambda: status(wf.run_id))]
        await wf.sleep("later", seconds=10)
        seen.append(await wf.step("after-later", lambda: status(wf.run_id)))
        return seen

    return naps_reading


def test_a_start_stores_a_pending_run_nobody_holds_with_its_started_event(
    store: EventStore, clock: Clock
) -> None:
    engine = engine_for(store, clock, one_step)
    engine.start("engine-runs-one-step", {"n": 1}, run_id="r")
    run = store.get("r")
    assert run is not None
    assert (run.status, run.owner, run.lease_until, run.last_seq) == ("pending", None, None, 1)
    [started] = store.events("r")
    assert (started.type, started.at, started.data) == ("started", T0, {"input": {"n": 1}})


def test_a_run_started_held_is_running_and_held_from_its_first_step(store: EventStore, clock: Clock) -> None:
    seen: list[Any] = []

    @workflow("engine-runs-held")
    async def held(wf: Any, input: Any) -> None:
        run = store.get(wf.run_id)
        assert run is not None
        seen.append((run.status, run.owner, run.lease_until))
        await wf.step("a", lambda: 1)

    engine = engine_for(store, clock, held, worker="w1", heartbeat_timeout=5)
    asyncio.run(engine.start_and_run("engine-runs-held", run_id="h"))
    assert seen == [("running", "w1", "2026-01-01T00:00:05.000Z")]
    assert store.events("h")[0].at == T0


def test_an_unknown_workflow_names_the_ones_there_are(store: EventStore, clock: Clock) -> None:
    with pytest.raises(UnknownWorkflow, match=r"^no workflow named 'nope' \(workflows: none\)$"):
        engine_for(store, clock).start("nope")
    two = engine_for(store, clock, one_step, naps)
    expected = r"^no workflow named 'nope' \(workflows: engine-runs-one-step, engine-runs-naps\)$"
    with pytest.raises(UnknownWorkflow, match=expected):
        two.start("nope")


def test_start_and_run_of_a_known_pending_run_carries_it_and_answers_it_as_it_ends(
    store: EventStore, clock: Clock
) -> None:
    engine = engine_for(store, clock, one_step)
    engine.start("engine-runs-one-step", run_id="known")
    run, created = asyncio.run(engine.start_and_run("engine-runs-one-step", run_id="known"))
    assert (created, run.status, run.output) == (False, "completed", 5)


def test_run_answers_a_finished_or_not_yet_due_run_and_none_for_one_held_or_unknown(
    store: EventStore, clock: Clock
) -> None:
    engine = engine_for(store, clock, one_step, naps, worker="w1")
    asyncio.run(engine.start_and_run("engine-runs-one-step", run_id="done"))
    asyncio.run(engine.start_and_run("engine-runs-naps", run_id="napping"))
    engine.start("engine-runs-one-step", run_id="held")
    assert store.claim("held", "w2", until="2026-01-01T00:01:00.000Z", now=T0)

    done = asyncio.run(engine.run("done"))
    napping = asyncio.run(engine.run("napping"))
    assert (done.status, done.output) == ("completed", 5)  # type: ignore[union-attr]
    assert (napping.status, napping.due_at) == ("sleeping", "2026-01-01T00:00:10.000Z")  # type: ignore[union-attr]
    assert asyncio.run(engine.run("held")) is None  # another worker's
    assert asyncio.run(engine.run("nobody")) is None


def test_run_due_carries_at_most_its_limit(store: EventStore, clock: Clock) -> None:
    engine = engine_for(store, clock, one_step)
    for run_id in ("a", "b", "c"):
        engine.start("engine-runs-one-step", run_id=run_id)
    assert [run.id for run in asyncio.run(engine.run_due(limit=2))] == ["a", "b"]
    assert [run.id for run in asyncio.run(engine.run_due())] == ["c"]


def test_a_sleep_that_wakes_says_running_and_due_nowhere_and_so_does_one_of_no_time(
    store: EventStore, clock: Clock
) -> None:
    engine = engine_for(store, clock, _naps_reading(store), worker="w1")
    asyncio.run(engine.start_and_run("engine-runs-naps-reading", run_id="n"))
    clock.advance(timedelta(seconds=10))
    [done] = asyncio.run(engine.run_due())
    assert done.output == [["running", None, True], ["running", None, True]]
    assert [(e.type, e.step) for e in store.events("n")][1:5] == [
        ("sleeping", "now"),
        ("woke", "now"),
        ("step_completed", "after-now"),
        ("sleeping", "later"),
    ]
    assert [(e.type, e.step) for e in store.events("n")][5] == ("woke", "later")


def test_a_sleep_name_used_twice_fails_the_run(store: EventStore, clock: Clock) -> None:
    @workflow("engine-runs-sleeps-twice")
    async def twice(wf: Any, input: Any) -> None:
        await wf.sleep("same", seconds=0)
        await wf.sleep("same", seconds=0)

    engine = engine_for(store, clock, twice)
    run, _ = asyncio.run(engine.start_and_run("engine-runs-sleeps-twice"))
    assert (run.status, run.error) == (
        "failed",
        "sleep 'same' is used twice in one run: give each its own name",
    )


def test_a_workflow_whose_result_is_not_json_fails(store: EventStore, clock: Clock) -> None:
    @workflow("engine-runs-set")
    async def gives_a_set(wf: Any, input: Any) -> Any:
        return {1}

    engine = engine_for(store, clock, gives_a_set)
    run, _ = asyncio.run(engine.start_and_run("engine-runs-set"))
    assert (run.status, run.output) == ("failed", None)
    assert (
        run.error == "the workflow's result must be JSON, but it is set: Type is not JSON serializable: set"
    )
    assert store.events(run.id)[-1].data == {"error": run.error}


def test_deleting_a_scratchpad_entry_fails_the_run_saying_what_to_do(store: EventStore, clock: Clock) -> None:
    @workflow("engine-runs-deletes")
    async def deletes(wf: Any, input: Any) -> None:
        wf.scratchpad["k"] = 1
        del wf.scratchpad["k"]

    engine = engine_for(store, clock, deletes)
    run, _ = asyncio.run(engine.start_and_run("engine-runs-deletes"))
    assert (run.status, run.scratchpad) == ("failed", {"k": 1})
    assert run.error == "TypeError: scratchpad entries cannot be deleted; set them to None"


def test_a_retry_lets_the_run_go_and_logs_when_it_comes_back(
    store: EventStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    tries: list[int] = []

    @workflow("engine-runs-retries", max_attempts=2)
    async def retries(wf: Any, input: Any) -> int:
        def call() -> int:
            tries.append(1)
            if len(tries) == 1:
                raise ConnectionError("down")
            return 1

        return int(await wf.step("call", call))

    engine = engine_for(store, clock, retries, worker="w1")
    with caplog.at_level(logging.INFO, logger="kiln.workflows"):
        asyncio.run(engine.start_and_run("engine-runs-retries", run_id="r"))
    run = store.get("r")
    assert run is not None
    assert (run.status, run.owner, run.lease_until, run.due_at) == (
        "retrying",
        None,
        None,
        "2026-01-01T00:00:01.000Z",
    )
    assert [record.getMessage() for record in caplog.records] == [
        "workflow run r: step call failed (try 1), retrying at 2026-01-01T00:00:01.000Z"
    ]
    clock.advance(timedelta(seconds=1))
    [done] = asyncio.run(engine.run_due())
    assert (done.status, done.due_at, done.owner) == ("completed", None, None)
    assert store.get("r") == done


def test_a_run_of_a_workflow_this_app_lacks_is_logged_and_let_go(
    store: EventStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    store.create(
        Run(id="stray", workflow="gone", input=None, created_at=T0, updated_at=T0), NewEvent("started", T0)
    )
    engine = engine_for(store, clock, one_step, worker="w1")
    with caplog.at_level(logging.ERROR, logger="kiln.workflows"):
        answered = asyncio.run(engine.run("stray"))
    assert answered is not None
    assert (answered.id, answered.status) == ("stray", "pending")
    assert [record.getMessage() for record in caplog.records] == [
        "workflow run stray is of 'gone', which this app does not define"
    ]
    stored = store.get("stray")
    assert stored is not None
    assert (stored.owner, stored.lease_until) == (None, None)  # let go: another worker that has it may


def test_one_worker_carries_a_run_once_at_a_time(store: EventStore, clock: Clock) -> None:
    release = asyncio.Event()
    calls: list[str] = []

    @workflow("engine-runs-slow")
    async def slow(wf: Any, input: Any) -> int:
        async def wait() -> int:
            calls.append("began")
            await release.wait()
            return 1

        return int(await wf.step("wait", wait))

    engine = engine_for(store, clock, slow, worker="w1")
    engine.start("engine-runs-slow", run_id="s")

    async def both() -> tuple[Any, Any]:
        first = asyncio.create_task(engine.run("s"))
        while not calls:  # the first is in its step
            await asyncio.sleep(0)
        second = await engine.run("s")  # the same worker: it is carrying it already
        release.set()
        return await first, second

    first, second = asyncio.run(both())
    assert (first.status, second, calls) == ("completed", None, ["began"])


def test_the_heartbeat_defaults_to_30_seconds_renewed_every_third_of_it(
    store: EventStore, clock: Clock
) -> None:
    engine = engine_for(store, clock, one_step)
    assert (engine.heartbeat_timeout, engine.heartbeat_interval) == (30.0, 10.0)
    assert engine_for(store, clock, heartbeat_timeout=6).heartbeat_interval == 2.0
    assert re.fullmatch(r"worker-[0-9a-f]{8}", engine.worker)
