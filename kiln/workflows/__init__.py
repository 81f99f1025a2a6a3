"""Durable workflows on an event-sourced engine (being built: the stores exist so far).

- :mod:`kiln.workflows.events`: events, runs, and the store's errors;
- :mod:`kiln.workflows.store`: the :class:`EventStore` interface;
- :mod:`kiln.workflows.memory` and :mod:`kiln.workflows.sqlite`: its two implementations.
"""

from kiln.workflows.events import EVENT_TYPES, STATUSES, Event, NewEvent, Run, SequenceConflict, UnknownRun
from kiln.workflows.memory import MemoryEventStore
from kiln.workflows.sqlite import SqliteEventStore
from kiln.workflows.store import EventStore

__all__ = [
    "EVENT_TYPES",
    "STATUSES",
    "Event",
    "EventStore",
    "MemoryEventStore",
    "NewEvent",
    "Run",
    "SequenceConflict",
    "SqliteEventStore",
    "UnknownRun",
]
