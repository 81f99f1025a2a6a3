"""The interface every event store implements, :class:`EventStore`, and what it promises.

- ``create`` inserts a run and its ``started`` event at once, unless a run has that id: then it
  changes nothing and answers the existing run (deduplication, atomic under concurrency).
- ``append`` adds events to a run only if its last event is still ``expected_seq``, and changes
  the run row in the same atomic step; otherwise :class:`SequenceConflict`. So two workers can
  never both record a step.
- ``claim`` gives a run that is due and not finished to one worker until a time, and answers
  the run as held; another worker gets it only once that time has passed (takeover after a
  missed heartbeat). The owner renews by claiming again.
- ``append`` answers the number of the run's last event after it (``expected_seq`` plus the
  events appended), the ``expected_seq`` of the next append: not the run, which the caller knows
  already (it gave the update), and which would cost a store a read for every step.
- A run's ``last_seq`` is the number of its last event, and its ``updated_at`` what the last
  append that set it set it to (the engine sets it at every append).
- What ``create``, ``get``, ``runs``, ``due``, ``claim`` and ``events`` answer is the caller's own:
  changing it changes nothing stored.

The conformance suite (``harness.workflows.conformance``) checks all of this against any store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from kiln.workflows.events import Event, NewEvent, Run

__all__ = ["EventStore"]


class EventStore(Protocol):
    """Append-only event streams of workflow runs, with their run rows."""

    def create(self, run: Run, started: NewEvent) -> tuple[Run, bool]:
        """Insert ``run`` with ``started`` as event 1; ``(run, True)``, or ``(existing, False)``."""
        ...

    def append(
        self, run_id: str, expected_seq: int, events: Sequence[NewEvent], update: dict[str, Any] | None = None
    ) -> int:
        """Append ``events`` after event ``expected_seq`` and apply ``update`` to the run, atomically;
        returns the number of the run's last event now. :class:`SequenceConflict` or
        :class:`UnknownRun` otherwise."""
        ...

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        """The run's events numbered above ``after``, in order (empty for an unknown run)."""
        ...

    def get(self, run_id: str) -> Run | None:
        """The run, or ``None``."""
        ...

    def runs(
        self, *, workflow: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Run], int]:
        """Runs, newest first, filtered; and how many match in all."""
        ...

    def due(self, now: str, limit: int = 100) -> list[Run]:
        """Runs a worker should take up at ``now``, oldest due first: pending, sleeping or retrying
        runs due by then, and running ones whose lease ran out."""
        ...

    def next_due(self, after: str) -> str | None:
        """The earliest time after ``after`` at which a run neither completed nor failed becomes
        due: the later of its ``due_at`` and the end of its hold (``lease_until``); ``None`` if no
        run becomes due after ``after`` (runs due by then already are not counted)."""
        ...

    def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
        """Hold the run for ``owner`` until ``until`` and answer it as held, if it is neither
        completed nor failed, is due by ``now`` (``due_at`` unset or not after it), and nobody
        else holds it at ``now``; ``None`` otherwise (an unknown run too)."""
        ...

    def release(self, run_id: str, owner: str) -> None:
        """Stop holding the run, if ``owner`` holds it."""
        ...

    def close(self) -> None:
        """Let go of what the store holds open (a connection)."""
        ...
