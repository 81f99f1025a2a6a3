"""Recovery: runtime-app's workflows on its real database across a restart of the app, and after a
process that died holding a run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiln.app import AppState
from kiln.clock import Clock
from kiln.compiler import CompiledApp, compile_app
from kiln.workflows import Engine

FIXTURE = Path(__file__).parents[1] / "fixtures" / "runtime-app"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def compiled() -> CompiledApp:
    return compile_app(FIXTURE)


@pytest.fixture
def process(compiled: CompiledApp, tmp_path: Path) -> Iterator[Callable[[datetime], tuple[Engine, AppState]]]:
    """``process(when)``: runtime-app on this test's data directory, as a process that started
    then: its own engine (and worker name), its clock frozen at ``when``, its database open."""
    compiled.prepare(tmp_path)
    opened: list[tuple[Engine, AppState]] = []

    def start(when: datetime) -> tuple[Engine, AppState]:
        clock = Clock()
        clock.set(when)
        _, state = compiled.instance(tmp_path, clock=clock, smtp=None, testing=True)
        state.db.open()
        assert state.runtime is not None
        engine = state.runtime.workflows
        assert engine is not None
        opened.append((engine, state))
        return engine, state

    yield start
    for engine, state in opened:
        engine.store.close()
        state.db.close()


def test_a_sleeping_run_resumes_in_the_next_process(
    process: Callable[[datetime], tuple[Engine, AppState]],
) -> None:
    first, _ = process(START)
    first.start("double-and-persist", {"n": 4}, run_id="r")
    asyncio.run(first.run("r"))
    assert first.store.get("r").status == "sleeping"  # type: ignore[union-attr]

    later, state = process(START + timedelta(hours=1))  # the first process is gone
    for _ in range(6):
        asyncio.run(later.run_due())
        later.clock.advance(timedelta(seconds=10))

    run = later.store.get("r")
    assert run is not None
    assert (run.status, run.output, run.scratchpad) == ("completed", 8, {"n": 8})
    rows = state.db.conn.execute("SELECT run_id, n FROM results").fetchall()
    assert rows == [("r", 8)]


def test_a_run_held_by_a_process_that_died_is_taken_over_after_the_heartbeat_timeout(
    process: Callable[[datetime], tuple[Engine, AppState]],
) -> None:
    dead, _ = process(START)
    dead.start("charge", {"amount": 7}, run_id="held")
    assert dead.store.claim(
        "held", dead.worker, until="2026-01-01T00:00:30.000Z", now="2026-01-01T00:00:00.000Z"
    )

    survivor, _ = process(START + timedelta(seconds=10))
    assert asyncio.run(survivor.run_due()) == []  # still held
    survivor.clock.advance(timedelta(seconds=20))  # 30 s after the claim: runtime-app's timeout
    [taken] = asyncio.run(survivor.run_due())

    assert (taken.status, taken.output) == ("completed", "charged 7")
    assert survivor.store.get("held").owner is None  # type: ignore[union-attr]


def test_a_completed_run_and_its_events_outlive_the_process(
    process: Callable[[datetime], tuple[Engine, AppState]],
) -> None:
    first, _ = process(START)
    first.start("charge", {"amount": 2}, run_id="done")
    asyncio.run(first.run("done"))

    again, _ = process(START + timedelta(days=1))
    run = again.store.get("done")
    assert run is not None
    assert (run.status, run.output, run.attempts) == ("completed", "charged 2", 1)
    assert [e.type for e in again.store.events("done")] == ["started", "step_completed", "completed"]
    _, created = again.start("charge", {"amount": 99}, run_id="done")
    assert created is False  # dedup holds across processes too


def test_a_retry_that_came_due_while_down_runs_in_the_next_process(
    process: Callable[[datetime], tuple[Engine, AppState]],
) -> None:
    first, _ = process(START)
    first.start("charge", {"amount": 500}, run_id="flaky")
    asyncio.run(first.run("flaky"))
    assert first.store.get("flaky").status == "retrying"  # type: ignore[union-attr]

    later, _ = process(START + timedelta(minutes=5))
    [failed] = asyncio.run(later.run_due())
    assert (failed.status, failed.attempts, failed.error) == ("failed", 2, "the bank did not answer")
