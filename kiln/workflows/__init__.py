"""Durable workflows on an event-sourced engine.

- :mod:`kiln.workflows.definition`: ``@workflow(name, max_attempts=3)`` and ``NonRetryableError``;
- :mod:`kiln.workflows.engine`: the :class:`Engine` that starts runs and replays them, and ``wf``;
- :mod:`kiln.workflows.events`: events, runs, and the store's errors;
- :mod:`kiln.workflows.store`: the :class:`EventStore` interface;
- :mod:`kiln.workflows.memory` and :mod:`kiln.workflows.sqlite`: its two implementations;
- :mod:`kiln.workflows.simulation`: ``simulate(starts, seed=...)`` with injected faults.
"""

from kiln.workflows.definition import NonRetryableError, Workflow, definition_of, workflow
from kiln.workflows.engine import Engine, UnknownWorkflow, WorkflowContext, backoff
from kiln.workflows.events import EVENT_TYPES, STATUSES, Event, NewEvent, Run, SequenceConflict, UnknownRun
from kiln.workflows.memory import MemoryEventStore
from kiln.workflows.simulation import Simulation, simulate
from kiln.workflows.sqlite import SqliteEventStore
from kiln.workflows.store import EventStore

__all__ = [
    "EVENT_TYPES",
    "STATUSES",
    "Engine",
    "Event",
    "EventStore",
    "MemoryEventStore",
    "NewEvent",
    "NonRetryableError",
    "Run",
    "SequenceConflict",
    "Simulation",
    "SqliteEventStore",
    "UnknownRun",
    "UnknownWorkflow",
    "Workflow",
    "WorkflowContext",
    "backoff",
    "definition_of",
    "simulate",
    "workflow",
]
