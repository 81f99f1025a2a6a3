"""``MemoryEventStore``: the event store in a dict, for tests, simulation and benchmarks.

Each operation holds one lock, so it is atomic among threads, as the interface asks. What it
answers is the caller's own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import orjson

from kiln.workflows.events import (
    FINAL_STATUSES,
    Event,
    NewEvent,
    Run,
    SequenceConflict,
    UnknownRun,
    check_update,
    copy_json,
)

__all__ = ["MemoryEventStore"]

#: ``(seq, type, at, step, data as JSON text)``.
_StoredEvent = tuple[int, str, str, str | None, str]


class MemoryEventStore:
    """An :class:`~kiln.workflows.store.EventStore` in memory; it forgets everything with the process."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._events: dict[str, list[_StoredEvent]] = {}  # by run, in seq order from 1
        self._order: dict[str, int] = {}  # creation order, for newest-first listings
        #: The runs neither completed nor failed, all that ``due`` looks at: a store's finished
        #: runs grow without end, and a worker asks for due runs at every move of the clock.
        self._live: set[str] = set()
        self._lock = threading.Lock()

    def create(self, run: Run, started: NewEvent) -> tuple[Run, bool]:
        with self._lock:
            existing = self._runs.get(run.id)
            if existing is not None:
                return _own(existing), False
            # everything that can fail (a value that is not JSON) before anything is stored
            stored = run.changed(last_seq=1, scratchpad=copy_json(run.scratchpad), input=copy_json(run.input))
            first = _stored(started, 1)
            self._runs[run.id] = stored
            self._events[run.id] = [first]
            self._order[run.id] = len(self._order)
            if stored.status not in FINAL_STATUSES:
                self._live.add(run.id)
            return run.changed(last_seq=1), True  # the caller's values, as it gave them

    def append(
        self, run_id: str, expected_seq: int, events: Sequence[NewEvent], update: dict[str, Any] | None = None
    ) -> int:
        update = dict(update or {})
        check_update(update)
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise UnknownRun(run_id)
            if run.last_seq != expected_seq:
                raise SequenceConflict(run_id, expected_seq, run.last_seq)
            # everything that can fail (a value that is not JSON) before anything is stored
            new = [_stored(event, seq) for seq, event in enumerate(events, start=expected_seq + 1)]
            for name in ("output", "scratchpad"):  # the JSON values; the rest are strings and numbers
                if name in update:
                    update[name] = copy_json(update[name])
            last = expected_seq + len(events)
            self._runs[run_id] = run.changed(**update, last_seq=last)
            self._events[run_id].extend(new)
            if "status" in update:  # due runs are those of the status, whatever it was before
                if update["status"] in FINAL_STATUSES:
                    self._live.discard(run_id)
                else:
                    self._live.add(run_id)
            return last

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        with self._lock:
            stream = self._events.get(run_id, [])[max(after, 0) :]  # event n is at index n - 1
        return [
            Event(run_id, seq, kind, at, step, orjson.loads(data)) for seq, kind, at, step, data in stream
        ]

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            run = self._runs.get(run_id)
        return _own(run) if run is not None else None

    def runs(
        self, *, workflow: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Run], int]:
        with self._lock:
            matching = [
                run
                for run in self._runs.values()
                if (workflow is None or run.workflow == workflow) and (status is None or run.status == status)
            ]
            matching.sort(key=lambda run: (run.created_at, self._order[run.id]), reverse=True)
        return [_own(run) for run in matching[offset : offset + limit]], len(matching)

    def due(self, now: str, limit: int = 100) -> list[Run]:
        with self._lock:
            live = (self._runs[run_id] for run_id in self._live)
            due = [run for run in live if (run.due_at or "") <= now and (run.lease_until or "") <= now]
            due.sort(key=lambda run: (run.due_at or run.created_at, self._order[run.id]))
        return [_own(run) for run in due[:limit]]

    def next_due(self, after: str) -> str | None:
        with self._lock:
            live = (self._runs[run_id] for run_id in self._live)
            times = [max(run.due_at or "", run.lease_until or "") for run in live]
        return min((time for time in times if time > after), default=None)

    def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.status in FINAL_STATUSES or (run.due_at or "") > now:
                return None
            if run.owner not in (None, owner) and (run.lease_until or "") > now:
                return None
            held = self._runs[run_id] = run.changed(owner=owner, lease_until=until)
        return _own(held)

    def release(self, run_id: str, owner: str) -> None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None and run.owner == owner:
                self._runs[run_id] = run.changed(owner=None, lease_until=None)

    def close(self) -> None:
        """Nothing to close: the runs live as long as the store object."""


def _own(run: Run) -> Run:
    """A copy of a stored run whose JSON values are the caller's own."""
    return run.changed(
        input=copy_json(run.input), output=copy_json(run.output), scratchpad=copy_json(run.scratchpad)
    )


def _stored(event: NewEvent, seq: int) -> _StoredEvent:
    """An event as the store keeps it: a tuple of strings and numbers, its data as JSON text. The
    garbage collector has nothing to follow in it, and a read gives a fresh copy of the data.
    (Text, not orjson's bytes: those are slow to keep, thousands at a time.)"""
    return (seq, event.type, event.at, event.step, orjson.dumps(event.data).decode())
