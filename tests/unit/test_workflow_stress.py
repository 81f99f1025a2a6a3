"""Fling's stress cases on both stores: 64 concurrent runs over three workers, deduplication under
concurrency, failure and retry under load, scratchpad integrity, and mixed workflow types."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from kiln.clock import Clock
from kiln.workflows import (
    Engine,
    EventStore,
    Workflow,
    definition_of,
    workflow,
)

RUNS = 64
effects: Counter[tuple[str, str]] = Counter()
_names = itertools.count()


@pytest.fixture(autouse=True)
def _no_effects() -> None:
    effects.clear()


@workflow("stress-pipeline")
async def pipeline(wf: Any, input: Any) -> int:
    async def stage(name: str, value: int) -> int:
        effects[(wf.run_id, name)] += 1
        await asyncio.sleep(0)  # hand the loop to the other workers mid-step
        return value + 1

    a = await wf.step("a", lambda: stage("a", input["n"]))
    await wf.sleep("pause", seconds=5)
    b = await wf.step("b", lambda: stage("b", a))
    wf.scratchpad["seen"] = [input["n"], a, b]
    return int(await wf.step("c", lambda: stage("c", b)))


@workflow("stress-flaky", max_attempts=3)
async def flaky(wf: Any, input: Any) -> str:
    def call() -> str:
        effects[(wf.run_id, "call")] += 1
        if effects[(wf.run_id, "call")] == 1:
            raise ConnectionError("first try fails")
        return f"ok {input['n']}"

    return str(await wf.step("call", call))


@workflow("stress-notes")
async def notes(wf: Any, input: Any) -> dict[str, Any]:
    for index in range(5):
        wf.scratchpad[f"k{index}"] = f"{input['n']}-{index}"
        await wf.sleep(f"s{index}", seconds=1)
    return dict(wf.scratchpad)


def _definitions(*flows: Any) -> dict[str, Workflow]:
    found = [definition_of(flow) for flow in flows]
    return {d.name: d for d in found if d is not None}


def _workers(store: EventStore, clock: Clock, *flows: Any, count: int = 3) -> list[Engine]:
    return [Engine(store, clock, _definitions(*flows), worker=f"w{i}") for i in range(count)]


def _drain(workers: list[Engine], clock: Clock, *, step: float, moves: int) -> None:
    """Every worker runs what is due, all at once, then the clock moves; ``moves`` times."""

    async def round_() -> None:
        await asyncio.gather(*(worker.run_due(limit=1000) for worker in workers))

    asyncio.run(round_())
    for _ in range(moves):
        clock.advance(timedelta(seconds=step))
        asyncio.run(round_())


def test_64_concurrent_runs_over_three_workers_each_complete_with_each_step_run_once(
    store: EventStore, clock: Clock
) -> None:
    workers = _workers(store, clock, pipeline)
    for n in range(RUNS):
        workers[n % 3].start("stress-pipeline", {"n": n}, run_id=f"p{n}")

    _drain(workers, clock, step=5, moves=1)

    runs, total = store.runs(limit=1000)
    assert total == RUNS
    assert sorted((run.id, run.status, run.output) for run in runs) == sorted(
        (f"p{n}", "completed", n + 3) for n in range(RUNS)
    )
    assert set(effects.values()) == {1}
    assert len(effects) == RUNS * 3


def test_starts_of_one_id_from_many_threads_make_one_run_under_load(store: EventStore, clock: Clock) -> None:
    engine = Engine(store, clock, _definitions(pipeline))
    barrier = threading.Barrier(16)
    created: list[bool] = []

    def start(thread: int) -> None:
        barrier.wait(timeout=10)
        for n in range(8):
            created.append(engine.start("stress-pipeline", {"n": n}, run_id=f"d{n}")[1])

    threads = [threading.Thread(target=start, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert created.count(True) == 8
    assert len(created) == 16 * 8
    assert store.runs(limit=100)[1] == 8
    assert all(len(store.events(f"d{n}")) == 1 for n in range(8))


def test_failures_and_retries_under_load_all_end_completed(store: EventStore, clock: Clock) -> None:
    workers = _workers(store, clock, flaky)
    for n in range(RUNS):
        workers[0].start("stress-flaky", {"n": n}, run_id=f"f{n}")

    _drain(workers, clock, step=1, moves=1)

    runs, _ = store.runs(limit=1000)
    assert Counter(run.status for run in runs) == Counter({"completed": RUNS})
    assert {run.attempts for run in runs} == {2}
    assert sorted(run.output for run in runs) == sorted(f"ok {n}" for n in range(RUNS))
    assert set(effects.values()) == {2}


def test_scratchpads_stay_each_runs_own_under_load(store: EventStore, clock: Clock) -> None:
    workers = _workers(store, clock, notes)
    for n in range(RUNS):
        workers[n % 3].start("stress-notes", {"n": n}, run_id=f"n{n}")

    _drain(workers, clock, step=1, moves=5)

    for n in range(RUNS):
        run = store.get(f"n{n}")
        assert run is not None
        expected = {f"k{i}": f"{n}-{i}" for i in range(5)}
        assert (run.status, run.scratchpad, run.output) == ("completed", expected, expected)
        assert len([e for e in store.events(run.id) if e.type == "scratchpad"]) == 5


def test_mixed_workflow_types_on_shared_workers(store: EventStore, clock: Clock) -> None:
    workers = _workers(store, clock, pipeline, flaky, notes)
    kinds = ["stress-pipeline", "stress-flaky", "stress-notes"]
    for n in range(RUNS):
        workers[n % 3].start(kinds[n % 3], {"n": n}, run_id=f"m{n}")

    _drain(workers, clock, step=5, moves=5)

    runs, total = store.runs(limit=1000)
    assert total == RUNS
    assert Counter(run.status for run in runs) == Counter({"completed": RUNS})
    assert Counter(run.workflow for run in runs) == Counter(
        {kind: len(range(i, RUNS, 3)) for i, kind in enumerate(kinds)}
    )
    assert max(effects[key] for key in effects if key[1] != "call") == 1
