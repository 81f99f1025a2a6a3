"""Record the SQL statements an app runs, for tests that count them (``TestApp.queries()``).

A :class:`QueryLog` is handed to an app at build time, for testing only; every connection the app
opens for serving is traced into it. Statements are kept only while someone watches, so an
unwatched log costs one function call per statement.
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

    def trace(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        """Trace ``conn`` into this log; returns it, for chaining."""
        conn.set_trace_callback(self._record)
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
