"""Deterministic simulation: workflows run on a simulated clock while workers crash, deliveries
repeat and timers fire out of order, and the engine's invariants are checked after every run.

``simulate(starts, seed=...)`` starts each ``(workflow_function, input)`` pair, then lets two
workers take due runs up until every run has ended. The seed decides everything that varies:

- a worker *crashes* after an event it appended (it stops at once and never lets go of the run,
  so the run waits out its lease and another worker takes it over);
- a start or a run is *delivered twice*: the start again with the same id, or the run to both
  workers at once;
- runs that are due together are taken up in a shuffled order (*timer reordering*).

The invariants: each step's function ran once for each outcome recorded for it (so a recorded
step never ran again, and no effect happened without its event), no step completed twice, every
start of one id made one run, and every run ended ``completed`` or ``failed``. The same seed
gives the same trace, so a failing seed can be run again and read.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiln.clock import Clock
from kiln.fieldtypes.times import format_datetime
from kiln.workflows.definition import definition_of
from kiln.workflows.engine import Engine
from kiln.workflows.events import FINAL_STATUSES, NewEvent, Run
from kiln.workflows.memory import MemoryEventStore
from kiln.workflows.store import EventStore

__all__ = ["Simulation", "simulate"]

START = datetime(2030, 1, 1, tzinfo=UTC)
HEARTBEAT = 30.0
CRASH_RATE = 0.08
DUPLICATE_RATE = 0.15
MAX_TURNS = 2000


class _Crashed(BaseException):
    """A worker died; nothing of it runs any more."""


@dataclass
class Simulation:
    """What a simulation did: its ``trace``, the final ``runs`` and any ``violations``."""

    seed: int
    trace: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def replay_command(self) -> str:
        """How to run this seed again."""
        return f"simulate(starts, seed={self.seed})  # replays this trace exactly"

    @property
    def ok(self) -> bool:
        """Whether every invariant held."""
        return not self.violations


class _Mortal:
    """A worker's view of the shared store: it may die just after an append, and once dead it
    writes nothing more (in particular it never releases the runs it held)."""

    def __init__(self, store: EventStore, rng: random.Random, name: str, trace: list[str]) -> None:
        self._store = store
        self._rng = rng
        self._name = name
        self._trace = trace
        self.dead = False

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._store, attribute)

    def append(
        self, run_id: str, expected_seq: int, events: Sequence[NewEvent], update: dict[str, Any] | None = None
    ) -> int:
        if self.dead:
            raise _Crashed
        last = self._store.append(run_id, expected_seq, events, update)
        if self._rng.random() < CRASH_RATE:
            self.dead = True
            self._trace.append(f"crash {self._name} after event #{last} of {run_id}")
            raise _Crashed
        return last

    def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
        return None if self.dead else self._store.claim(run_id, owner, until, now)

    def release(self, run_id: str, owner: str) -> None:
        if not self.dead:
            self._store.release(run_id, owner)


def simulate(
    starts: Sequence[tuple[Callable[..., Any], Any]], *, seed: int, store: EventStore | None = None
) -> Simulation:
    """Run ``starts`` (pairs of a ``@workflow`` function and its input) under the seed's faults."""
    return asyncio.run(_simulate(starts, seed, store or MemoryEventStore()))


async def _simulate(
    starts: Sequence[tuple[Callable[..., Any], Any]], seed: int, store: EventStore
) -> Simulation:
    rng = random.Random(seed)
    result = Simulation(seed)
    trace = result.trace
    clock = Clock()
    clock.set(START)
    definitions = {}
    for function, _ in starts:
        definition = definition_of(function)
        if definition is None:
            raise TypeError(f"{function!r} is not a @workflow function")
        definitions[definition.name] = definition
    invoked: Counter[tuple[str, str]] = Counter()
    generation = Counter[str]()

    def worker(slot: str) -> Engine:
        generation[slot] += 1
        name = f"{slot}{generation[slot]}"
        mortal = _Mortal(store, rng, name, trace)
        engine = Engine(mortal, clock, definitions, worker=name, heartbeat_timeout=HEARTBEAT)
        engine.observer = lambda run_id, step: invoked.update([(run_id, step)])
        return engine

    workers = {slot: worker(slot) for slot in ("A", "B")}
    ids = []
    for index, (function, given) in enumerate(starts):
        run_id = f"run-{index}"
        name = definition_of(function).name  # type: ignore[union-attr]  # checked above
        ids.append(run_id)
        workers["A"].start(name, given, run_id)
        trace.append(f"start {run_id} {name}")
        if rng.random() < DUPLICATE_RATE:
            _, created = workers["B"].start(name, given, run_id)
            trace.append(f"start {run_id} again: {'a second run!' if created else 'deduplicated'}")
            if created:
                result.violations.append(f"a second start of {run_id} made a run")

    async def carry(slot: str, run_id: str) -> None:
        engine = workers[slot]
        before = store.get(run_id)
        try:
            after = await engine.run(run_id)
        except _Crashed:
            workers[slot] = worker(slot)  # a new process takes the dead one's place
            return
        if after is None:
            trace.append(f"{engine.worker} {run_id}: held by another worker")
        elif before is not None and before.last_seq == after.last_seq:
            trace.append(f"{engine.worker} {run_id}: nothing to do ({after.status})")
        else:
            trace.append(f"{engine.worker} {run_id} -> {after.status}")

    for _ in range(MAX_TURNS):
        now = format_datetime(clock.now())
        due = [run.id for run in store.due(now, limit=1000)]
        if not due:
            later = _next_moment(store, now)
            if later is None:
                break
            clock.set(datetime.fromisoformat(later.replace("Z", "+00:00")))
            trace.append(f"clock {later}")
            continue
        rng.shuffle(due)
        run_id = due[0]
        if rng.random() < DUPLICATE_RATE:
            trace.append(f"deliver {run_id} to both workers")
            await asyncio.gather(carry("A", run_id), carry("B", run_id))
        else:
            await carry(rng.choice(["A", "B"]), run_id)
    else:
        result.violations.append(f"the runs did not end within {MAX_TURNS} turns")

    result.runs = [run for run_id in ids if (run := store.get(run_id)) is not None]
    result.violations.extend(_check(store, ids, invoked))
    return result


def _next_moment(store: EventStore, now: str) -> str | None:
    """The next time something becomes due: a sleep or retry ending, or a dead worker's lease."""
    times = []
    for run in store.runs(limit=100_000)[0]:
        if run.status in FINAL_STATUSES:
            continue
        for moment in (run.due_at, run.lease_until):
            if moment is not None and moment > now:
                times.append(moment)
    return min(times) if times else None


def _check(store: EventStore, ids: list[str], invoked: Counter[tuple[str, str]]) -> list[str]:
    violations = []
    _, total = store.runs(limit=1)
    if total != len(set(ids)):
        violations.append(f"{len(set(ids))} ids made {total} runs")
    for run_id in ids:
        run = store.get(run_id)
        if run is None:
            violations.append(f"{run_id} was never stored")
            continue
        if run.status not in FINAL_STATUSES:
            violations.append(f"{run_id} ended {run.status}, not completed or failed")
        outcomes: Counter[str] = Counter()
        completions: Counter[str] = Counter()
        for event in store.events(run_id):
            if event.type in ("step_completed", "step_failed") and event.step is not None:
                outcomes[event.step] += 1
                if event.type == "step_completed":
                    completions[event.step] += 1
        for step, count in completions.items():
            if count > 1:
                violations.append(f"{run_id}: step {step!r} completed {count} times")
        for (invoked_run, step), count in invoked.items():
            if invoked_run == run_id and count > outcomes[step]:
                violations.append(
                    f"{run_id}: step {step!r} ran {count} times for {outcomes[step]} recorded outcome(s)"
                )
    return violations
