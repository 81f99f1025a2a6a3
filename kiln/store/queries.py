"""Record the SQL statements an app runs, for tests that count them (``TestApp.queries()``).

A :class:`QueryLog` is handed to an app at build time, for testing only. The app's connections
are traced into it only while someone watches: a trace makes SQLite call into Python for every
statement, FTS5's own reads of its tables included, which doubles the time of a keyword search
that ranks a few thousand matches. The app asks :meth:`QueryLog.trace` again each time it takes
its connection, so a watch started before a request sees all of that request's statements.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["QueryLog"]


class QueryLog:
    """Sends each statement an app's connections run to every open :meth:`watch` block."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: tuple[list[str], ...] = ()

    @property
    def watched(self) -> bool:
        """Whether a :meth:`watch` block is open."""
        return bool(self._watchers)

    def trace(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        """Trace ``conn`` into this log if someone watches, and stop tracing it if not; returns it."""
        conn.set_trace_callback(self._record if self._watchers else None)
        return conn

    @contextmanager
    def watch(self) -> Iterator[list[str]]:
        """Collect the statements run inside the block, in the order they ran."""
        statements: list[str] = []
        with self._lock:
            self._watchers = (*self._watchers, statements)
        try:
            yield statements
        finally:
            with self._lock:
                self._watchers = tuple(w for w in self._watchers if w is not statements)

    def _record(self, statement: str) -> None:
        for watcher in self._watchers:
            watcher.append(statement)
