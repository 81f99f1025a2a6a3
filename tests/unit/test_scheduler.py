"""The cron scheduler on a real database: catching up after downtime, two schedulers on one data
directory claiming a due time once, and the leases that keep a job to one process."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiln.app import AppState
from kiln.clock import Clock
from kiln.compiler import CompiledApp, compile_app
from kiln.runtime.cron import Scheduler
from kiln.store import DB_NAME, connect
from kiln.store.leases import release_lease, take_lease

FIXTURE = Path(__file__).parents[1] / "fixtures" / "runtime-app"
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def compiled() -> CompiledApp:
    return compile_app(FIXTURE)


@pytest.fixture
def open_instance(compiled: CompiledApp, tmp_path: Path) -> Iterator[Callable[[datetime], Scheduler]]:
    """``open_instance(when)``: an instance of runtime-app on this test's data directory, its clock
    frozen at ``when`` and its database open: a process that started then."""
    compiled.prepare(tmp_path)
    states: list[AppState] = []

    def make(when: datetime) -> Scheduler:
        clock = Clock()
        clock.set(when)
        _, state = compiled.instance(tmp_path, clock=clock, smtp=None, testing=True)
        state.db.open()
        states.append(state)
        assert state.runtime is not None
        assert state.runtime.scheduler is not None
        return state.runtime.scheduler

    yield make
    for state in states:
        state.db.close()


def _query(data: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(data / DB_NAME)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _ticks(data: Path) -> list[tuple[object, ...]]:
    return _query(data, "SELECT job FROM ticks")


def test_runs_missed_while_down_collapse_into_one_on_restart(
    open_instance: Callable[[datetime], Scheduler], tmp_path: Path
) -> None:
    first = open_instance(START)
    first.start()  # the schedule starts at midnight

    restarted = open_instance(datetime(2026, 1, 1, 1, 0, 30, tzinfo=UTC))
    restarted.start()  # state exists: nothing is reset
    runs = asyncio.run(restarted.run_due(catch_up=True))

    assert [(run["trigger"], run["status"]) for run in runs] == [("missed", "ok"), ("missed", "error")]
    assert _query(tmp_path, "SELECT job, trigger FROM _kiln_cron_runs ORDER BY id") == [
        ("tick", "missed"),
        ("broken", "missed"),
    ]
    assert _ticks(tmp_path) == [("tick",)]
    assert asyncio.run(restarted.run_due()) == []  # accounted for: nothing is due again


def test_two_schedulers_on_one_database_run_a_due_time_once(
    open_instance: Callable[[datetime], Scheduler], tmp_path: Path
) -> None:
    one = open_instance(START)
    one.start()
    two = open_instance(START)
    two.start()
    for scheduler in (one, two):
        scheduler._clock.set(datetime(2026, 1, 1, 0, 5, tzinfo=UTC))

    async def both() -> list[list[dict[str, object]]]:
        return list(await asyncio.gather(one.run_due(), two.run_due()))

    first, second = asyncio.run(both())
    assert sorted([len(first), len(second)]) == [0, 1]
    assert [run["trigger"] for run in first + second] == ["schedule"]
    assert _ticks(tmp_path) == [("tick",)]


def test_a_new_job_owes_nothing_from_before_it_started(
    open_instance: Callable[[datetime], Scheduler], tmp_path: Path
) -> None:
    scheduler = open_instance(datetime(2026, 1, 1, 3, 0, tzinfo=UTC))
    scheduler.start()
    assert asyncio.run(scheduler.run_due(catch_up=True)) == []
    assert _ticks(tmp_path) == []


def test_a_lease_is_held_by_one_holder_until_released_or_expired(
    tmp_path: Path, compiled: CompiledApp
) -> None:
    compiled.prepare(tmp_path)
    conn = connect(tmp_path / DB_NAME)
    try:
        assert take_lease(conn, "cron:tick", "a", 30, now=1000.0)
        assert not take_lease(conn, "cron:tick", "b", 30, now=1010.0)
        assert take_lease(conn, "cron:tick", "a", 30, now=1020.0)  # a renews: now until 1050
        assert not take_lease(conn, "cron:tick", "b", 30, now=1049.0)
        assert take_lease(conn, "cron:other", "b", 30, now=1049.0)  # leases are by name
        release_lease(conn, "cron:tick", "b")  # not b's to give back
        assert not take_lease(conn, "cron:tick", "b", 30, now=1049.5)
        assert take_lease(conn, "cron:tick", "b", 30, now=1051.0)  # a's expired
        release_lease(conn, "cron:tick", "b")
        assert take_lease(conn, "cron:tick", "a", 30, now=1052.0)
        assert conn.execute("SELECT name, holder, expires FROM _kiln_leases ORDER BY name").fetchall() == [
            ("cron:other", "b", 1079.0),
            ("cron:tick", "a", 1082.0),
        ]
    finally:
        conn.close()
