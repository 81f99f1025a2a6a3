"""An engine for the workflow tests: the given ``@workflow`` functions on a store and a clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiln.clock import Clock
from kiln.workflows import Engine, EventStore, definition_of


def engine_for(store: EventStore, clock: Clock, *flows: Callable[..., Any], **options: Any) -> Engine:
    """An :class:`Engine` running ``flows`` (each must be a ``@workflow`` function)."""
    definitions = [definition_of(flow) for flow in flows]
    assert all(definitions), "every flow must be a @workflow function"
    return Engine(store, clock, {d.name: d for d in definitions if d is not None}, **options)
