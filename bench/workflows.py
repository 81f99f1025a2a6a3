"""Three-step workflows per second on each event store, side by side in one run.

Each run starts and runs in one call of ``Engine.start_and_run`` (the run is created held by its
worker, so it needs no claim): three steps (``a``, ``b``, ``c``, each returning a small dict) and
the end, in one pass of one worker. The events per run are ``started``, three ``step_completed``
and ``completed``, five in all, and ``SqliteEventStore`` writes one transaction per step (WAL, on
a file in a temporary directory): four in all with the start's. Rounds alternate between the
stores so noise hits both alike; the best round of each is reported, with the median. A row runs
SQLite with two worker processes on one file, one per core (a memory store lives in one process,
so it has no such row).

A hand-written row gives the SQLite store its ceiling on this machine, in the same run: the writes
a run costs ``SqliteEventStore`` (the run, held by its worker, with its ``started`` event; then one
transaction per step: the first two are their events alone, the last ends the run with
``completed``; each step's event inserted only after the one before it) as literal ``sqlite3``
statements on the same schema, checkpointed as the store is (by a ``Checkpointer`` thread). Machines
here differ threefold in speed, and most of a SQLite run is the disk's, so the share travels better
than the rate.

    python bench/workflows.py [--runs 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from kiln.clock import Clock
from kiln.store import connect
from kiln.store.checkpoint import Checkpointer
from kiln.workflows import Engine, EventStore, MemoryEventStore, SqliteEventStore, definition_of, workflow
from kiln.workflows.sqlite import _SCHEMA


@workflow("three-steps")
async def three_steps(wf: Any, input: Any) -> int:
    a = await wf.step("a", lambda: {"n": input["n"] + 1})
    b = await wf.step("b", lambda: {"n": a["n"] * 2})
    c = await wf.step("c", lambda: {"n": b["n"] - 3})
    return int(c["n"])


async def _drive(engine: Engine, runs: int, offset: int) -> None:
    for index in range(runs):
        await engine.start_and_run("three-steps", {"n": index}, run_id=f"r-{offset + index}")


def _round(store: EventStore, runs: int, offset: int) -> tuple[float, int]:
    clock = Clock()
    definition = definition_of(three_steps)
    assert definition is not None
    engine = Engine(store, clock, {definition.name: definition})
    began = time.perf_counter()
    asyncio.run(_drive(engine, runs, offset))
    elapsed = time.perf_counter() - began
    last = store.get(f"r-{offset + runs - 1}")
    assert last is not None
    assert (last.status, last.output) == ("completed", ((runs - 1) + 1) * 2 - 3)
    return runs / elapsed, len(store.events(last.id))


def _by_hand_in_sqlite(path: Path, runs: int) -> float:
    """The ceiling of the SQLite store: the writes of a run, as literal statements."""
    conn = connect(path)
    for statement in _SCHEMA:
        conn.execute(statement)
    at, lease = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:30.000Z"
    create = (
        "INSERT INTO _kiln_wf_runs (id, workflow, status, input, created_at, updated_at, updated_seq, owner, "
        "lease_until, first_type, first_data, first_at) VALUES (?, 'three-steps', 'running', ?, ?, ?, 1, 'w', "
        "?, 'started', ?, ?) ON CONFLICT (id) DO NOTHING"
    )
    columns = "INSERT INTO _kiln_wf_events (run_id, seq, type, step, data, at)"
    # event ?{after} of run ?1 is there: in the table, or (the first) in the run's row
    there = (
        "EXISTS (SELECT 1 FROM _kiln_wf_events WHERE run_id = ?1 AND seq = ?{after}) "
        "OR EXISTS (SELECT 1 FROM _kiln_wf_runs WHERE id = ?1 AND ?{after} = 1)"
    )
    next_event = f"{columns} SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE {there.format(after=7)}"
    last_two = (
        f"{columns} SELECT * FROM (VALUES (?1, ?2, ?3, ?4, ?5, ?6), (?1, ?7, ?8, ?9, ?10, ?11)) "
        f"WHERE {there.format(after=12)}"
    )
    checkpointer = Checkpointer(path)
    checkpointer.take_over(conn)
    began = time.perf_counter()
    for index in range(runs):
        run_id = f"r-{index}"
        # the run, held by its worker, with its started event: one statement
        conn.execute(create, [run_id, '{"n":1}', at, at, lease, '{"input":{"n":1}}', at])
        checkpointer.committed()
        # steps a and b: only their events, one statement each
        conn.execute(next_event, [run_id, 2, "step_completed", "a", '{"result":{"n":2}}', at, 1])
        checkpointer.committed()
        conn.execute(next_event, [run_id, 3, "step_completed", "b", '{"result":{"n":4}}', at, 2])
        checkpointer.committed()
        conn.execute("BEGIN IMMEDIATE")  # step c and the end
        step_c = [4, "step_completed", "c", '{"result":{"n":1}}', at]
        conn.execute(last_two, [run_id, *step_c, 5, "completed", None, '{"output":1}', at, 3])
        conn.execute(
            "UPDATE _kiln_wf_runs SET status = 'completed', attempts = 1, output = '1', owner = NULL, "
            "lease_until = NULL, updated_at = ?, updated_seq = 5 WHERE id = ?",
            [at, run_id],
        )
        conn.execute("COMMIT")
        checkpointer.committed()
    rate = runs / (time.perf_counter() - began)
    checkpointer.close()
    conn.close()
    return rate


def _worker(path: str, runs: int, offset: int, ready: Any, go: Any) -> None:
    store = SqliteEventStore(Path(path))
    ready.set()
    go.wait()
    _round(store, runs, offset)
    store.close()


def _two_processes(path: Path, runs: int, offset: int) -> float:
    """Two processes, each starting and running half the workflows on one SQLite file."""
    SqliteEventStore(path).close()  # the file and its schema, made before the two workers open it
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    halves = [runs // 2, runs - runs // 2]
    readies = [context.Event() for _ in halves]
    processes = [
        context.Process(target=_worker, args=(str(path), half, offset + i * runs, ready, go))
        for i, (half, ready) in enumerate(zip(halves, readies, strict=True))
    ]
    for process in processes:
        process.start()
    for ready in readies:
        ready.wait(60)
    began = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
    assert all(process.exitcode == 0 for process in processes)
    return runs / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="workflows per round (default: 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per store (default: 3)")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"MemoryEventStore": [], "SqliteEventStore": []}
    events: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="kiln-bench-wf-") as folder:
        memory = MemoryEventStore()
        sqlite = SqliteEventStore(Path(folder) / "kiln.db")
        for number in range(args.rounds):
            for name, store in (("MemoryEventStore", memory), ("SqliteEventStore", sqlite)):
                rate, count = _round(store, args.runs, number * args.runs)
                rates[name].append(rate)
                events[name] = count
        sqlite.close()
        by_hand = [
            _by_hand_in_sqlite(Path(folder) / f"by-hand-{number}.db", args.runs)
            for number in range(args.rounds)
        ]
        parallel = [
            _two_processes(Path(folder) / "parallel.db", args.runs, number * args.runs * 2)
            for number in range(args.rounds)
        ]
    print(f"three-step workflows, {args.runs} per round, {args.rounds} rounds, one worker")
    print(f"{'store':<18} {'best/s':>9} {'median/s':>9} {'events/run':>11}")
    for name, found in rates.items():
        print(f"{name:<18} {max(found):>9,.0f} {statistics.median(found):>9,.0f} {events[name]:>11}")
    print(
        f"{'Sqlite, 2 procs':<18} {max(parallel):>9,.0f} {statistics.median(parallel):>9,.0f} {events['SqliteEventStore']:>11}"
    )
    print(f"{'by hand, sqlite3':<18} {max(by_hand):>9,.0f} {statistics.median(by_hand):>9,.0f} {5:>11}")
    ratio = max(rates["MemoryEventStore"]) / max(rates["SqliteEventStore"])
    print(f"memory / sqlite: {ratio:.1f}x")
    share = max(rates["SqliteEventStore"]) / max(by_hand)
    print(f"SqliteEventStore / the same writes by hand: {share:.0%}")


if __name__ == "__main__":
    main()
