"""Shared helpers for the unit tests: sample-app events, data roots, and the workflow tests' store
and clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sample_apps

from kiln.clock import Clock
from kiln.workflows import EventStore, MemoryEventStore, SqliteEventStore


@pytest.fixture
def events() -> Iterator[list[str]]:
    """The sample apps' event list, emptied before and after the test."""
    sample_apps.events.clear()
    yield sample_apps.events
    sample_apps.events.clear()


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A folder to create data directories in, so a test can see what is left behind."""
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """A fresh workflow event store: the test runs once on each of kiln's two."""
    if request.param == "memory":
        yield MemoryEventStore()
        return
    sqlite = SqliteEventStore(tmp_path / "kiln.db")
    yield sqlite
    sqlite.close()


@pytest.fixture
def clock() -> Clock:
    """A kiln clock frozen at 2026-01-01T00:00:00Z."""
    clock = Clock()
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    return clock
