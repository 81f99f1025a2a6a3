"""What a workflow run is made of: its events, appended in order, and the run row they project to.

A run is a stream of events numbered from 1 (``seq``). The run row (status, output, scratchpad,
when it is due, who holds it) is kept beside the stream so runs can be listed and found by due
time, and every append changes both at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "EVENT_TYPES",
    "FINAL_STATUSES",
    "STATUSES",
    "Event",
    "NewEvent",
    "Run",
    "SequenceConflict",
    "UnknownRun",
    "WorkflowStoreError",
    "copy_json",
]

#: Every event type, in the contract's words.
EVENT_TYPES = (
    "started",
    "step_completed",
    "step_failed",
    "sleeping",
    "woke",
    "scratchpad",
    "completed",
    "failed",
)
#: Every status a run can have; the last two are final.
STATUSES = ("pending", "running", "sleeping", "retrying", "completed", "failed")
#: The statuses of a run that has ended: it is never due again.
FINAL_STATUSES = ("completed", "failed")
#: The fields of a run an append may change.
UPDATABLE = (
    "status",
    "output",
    "error",
    "attempts",
    "scratchpad",
    "updated_at",
    "due_at",
    "owner",
    "lease_until",
)


class WorkflowStoreError(Exception):
    """A store refused an operation."""


class SequenceConflict(WorkflowStoreError):
    """An append expected the run's last event to be one number, and it was another: someone else
    appended first, so this writer's view of the run is stale."""

    def __init__(self, run_id: str, expected: int, actual: int) -> None:
        super().__init__(f"run {run_id}: expected its last event to be #{expected}, but it is #{actual}")
        self.run_id, self.expected, self.actual = run_id, expected, actual


class UnknownRun(WorkflowStoreError):
    """No run has this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no workflow run has the id {run_id!r}")
        self.run_id = run_id


@dataclass(frozen=True)
class NewEvent:
    """An event to append: the store gives it its ``seq``. ``data`` must be JSON."""

    type: str
    at: str
    step: str | None = None
    data: Any = None

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}; one of {', '.join(EVENT_TYPES)}")


@dataclass(frozen=True)
class Event:
    """An event as stored: ``{"seq", "type", "step", "data", "at"}`` in the API."""

    run_id: str
    seq: int
    type: str
    at: str
    step: str | None = None
    data: Any = None

    def as_json(self) -> dict[str, Any]:
        """The API's shape of the event."""
        return {"seq": self.seq, "type": self.type, "step": self.step, "data": self.data, "at": self.at}


@dataclass(frozen=True)
class Run:
    """One run of a workflow. Times are kiln's ISO-8601 stamps (``2026-01-01T00:00:00.000Z``),
    which sort as text. ``owner`` and ``lease_until`` say which worker holds it, till when."""

    id: str
    workflow: str
    input: Any
    created_at: str
    updated_at: str
    status: str = "pending"
    output: Any = None
    error: str | None = None
    attempts: int = 0
    scratchpad: dict[str, Any] = field(default_factory=dict)
    due_at: str | None = None
    owner: str | None = None
    lease_until: str | None = None
    last_seq: int = 0

    def as_json(self) -> dict[str, Any]:
        """The API's shape of the run."""
        return {
            "id": self.id,
            "workflow": self.workflow,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "attempts": self.attempts,
            "scratchpad": dict(self.scratchpad),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def changed(self, **fields: Any) -> Run:
        """A copy with ``fields`` (of :data:`UPDATABLE`, and ``last_seq``, ``owner``, ``lease_until``) set."""
        if not _RUN_FIELDS.issuperset(fields):
            unknown = fields.keys() - _RUN_FIELDS
            raise TypeError(f"a run has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(Run)  # dataclasses.replace, without its cost: this is the hot path
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(fields)
        return copy


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value, as a store would give it back (a string, integer, boolean or
    null is its own copy; not a float, as NaN comes back null)."""
    if value is None or type(value) in _SCALARS:
        return value
    return orjson.loads(orjson.dumps(value))


def check_update(update: dict[str, Any]) -> None:
    """Refuse an append's run update that names a field an append may not change."""
    if _UPDATABLE.issuperset(update) and update.get("status", "running") in STATUSES:
        return  # the common case, cheaply
    unknown = sorted(set(update) - set(UPDATABLE))
    if unknown:
        raise ValueError(
            f"an append cannot change {', '.join(unknown)}; it may change {', '.join(UPDATABLE)}"
        )
    if "status" in update and update["status"] not in STATUSES:
        raise ValueError(f"unknown status {update['status']!r}; one of {', '.join(STATUSES)}")


_RUN_FIELDS = frozenset(field.name for field in dataclasses.fields(Run))
_UPDATABLE = frozenset(UPDATABLE)
_SCALARS = frozenset({str, int, bool})
