"""Seeded simulation of the engine: 1,000 seeds of crashes, duplicate deliveries and reordered
timers keep every invariant; a seed replays its trace exactly; and a store that breaks the
contract is caught."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kiln.workflows import MemoryEventStore, Run, SqliteEventStore, simulate, workflow

tries: dict[str, int] = {}


@workflow("sim-double")
async def double(wf: Any, input: Any) -> int:
    n = await wf.step("start", lambda: input["n"] * 2)
    for i in range(6):
        await wf.sleep(f"nap-{i}", seconds=10)
    wf.scratchpad["n"] = n
    await wf.step("persist", lambda: n)
    return int(n)


@workflow("sim-flaky", max_attempts=3)
async def flaky(wf: Any, input: Any) -> int:
    def call() -> int:
        tries[wf.run_id] = tries.get(wf.run_id, 0) + 1
        if tries[wf.run_id] < 2:
            raise ConnectionError("the service is down")
        return tries[wf.run_id]

    return int(await wf.step("call", call))


@workflow("sim-yielding")
async def yielding(wf: Any, input: Any) -> int:
    async def slow() -> int:
        await asyncio.sleep(0)  # lets the other worker in mid-step, if the store allows it
        return 1

    first = await wf.step("one", slow)
    return int(await wf.step("two", lambda: first + 1))


STARTS = [(double, {"n": 1}), (double, {"n": 2}), (flaky, None), (yielding, None)]


def _simulate(seed: int, **kwargs: Any) -> Any:
    tries.clear()  # the flaky workflow's outside state, fresh for each seed like a new process
    return simulate(STARTS, seed=seed, **kwargs)


def test_a_thousand_seeds_keep_every_invariant() -> None:
    failing = []
    for seed in range(1000):
        result = _simulate(seed)
        if result.violations:
            failing.append(f"seed {seed}: {result.violations} ({result.replay_command})")
        assert [run.status for run in result.runs] == ["completed"] * 4, (seed, result.trace)
    assert failing == []


def test_the_outputs_are_the_workflows_results_whatever_the_faults() -> None:
    for seed in (0, 1, 2, 3):
        result = _simulate(seed)
        assert [run.output for run in result.runs] == [2, 4, 2, 2]
        assert result.runs[0].scratchpad == {"n": 2}


def test_the_same_seed_gives_the_same_trace_and_others_differ() -> None:
    first, again = _simulate(42), _simulate(42)
    assert first.trace == again.trace
    assert first.trace[0] == "start run-0 sim-double"
    assert len({tuple(_simulate(seed).trace) for seed in range(20)}) > 10


def test_the_faults_are_injected() -> None:
    traces = "\n".join(line for seed in range(100) for line in _simulate(seed).trace)
    assert "crash " in traces
    assert "to both workers" in traces
    assert "again: deduplicated" in traces
    assert ": held by another worker" in traces
    assert "A2 " in traces or "B2 " in traces  # a worker that crashed was replaced and went on


def test_a_store_that_lets_two_workers_hold_a_run_is_caught() -> None:
    class Leaky(MemoryEventStore):
        def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
            return self.get(run_id)  # every worker gets every run

    caught = [seed for seed in range(200) if _simulate(seed, store=Leaky()).violations]
    assert caught
    result = _simulate(caught[0], store=Leaky())
    assert any("ran 2 times for 1 recorded outcome" in v for v in result.violations), result.violations
    assert result.replay_command == f"simulate(starts, seed={caught[0]})  # replays this trace exactly"


def test_a_store_whose_appends_are_not_conditional_is_caught() -> None:
    class Careless(MemoryEventStore):
        def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
            return self.get(run_id)

        def append(self, run_id, expected_seq, events, update=None):  # type: ignore[no-untyped-def]
            run: Run | None = self.get(run_id)
            assert run is not None
            return super().append(run_id, run.last_seq, events, update)

    violations = [v for seed in range(200) for v in _simulate(seed, store=Careless()).violations]
    assert any("completed 2 times" in v for v in violations)


def test_the_simulation_runs_on_the_sqlite_store_too(tmp_path: Path) -> None:
    for seed in range(20):
        store = SqliteEventStore(tmp_path / f"sim-{seed}.db")
        result = _simulate(seed, store=store)
        store.close()
        assert result.violations == [], (seed, result.trace)
        assert [run.status for run in result.runs] == ["completed"] * 4


def test_a_function_that_is_no_workflow_is_refused() -> None:
    async def plain(wf: Any, input: Any) -> None: ...

    with pytest.raises(TypeError, match="is not a @workflow function"):
        simulate([(plain, None)], seed=1)
