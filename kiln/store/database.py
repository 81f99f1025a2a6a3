"""The app's one SQLite connection, used from the event loop that serves it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kiln.store.connection import connect
from kiln.store.queries import QueryLog
from kiln.store.vectors import VectorCache

__all__ = ["DB_NAME", "Database"]

#: The database file in an app's data directory.
DB_NAME = "kiln.db"


class Database:
    """Opens on app startup and closes on shutdown; all entity requests share the connection.

    Entity endpoints run on the event loop and never await while they hold it, so each request's
    statements run back to back: a read-check-write (an ``If-Match`` update) cannot interleave
    with another request's. ``BEGIN IMMEDIATE`` also guards against other processes.
    """

    def __init__(self, path: Path, queries: QueryLog | None = None) -> None:
        self.path = path
        #: Where the statements of this app's connections are traced, when a test counts them.
        self.queries = queries
        #: The embeddings of each searched table, as matrices (see :mod:`kiln.store.vectors`).
        self.vectors = VectorCache()
        self._conn: sqlite3.Connection | None = None
        self._traced = False  # whether the connection is traced into ``queries`` now
        #: Called with the connection after each :meth:`write` commits (files unlink blobs so).
        self.after_commit: list[Callable[[sqlite3.Connection], object]] = []

    def open(self) -> None:
        """Connect (on the serving thread, which is the one that will use the connection)."""
        if self._conn is None:
            self._conn = self.connect()
            self._traced = self.queries is not None and self.queries.watched

    def connect(self) -> sqlite3.Connection:
        """A new connection to this database, usable from any thread, traced if ``queries`` is
        watched now."""
        conn = connect(self.path, check_same_thread=False)
        return self.queries.trace(conn) if self.queries is not None else conn

    def close(self) -> None:
        """Disconnect; safe to call twice."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection, traced into ``queries`` while it is watched."""
        if self._conn is None:
            self.open()
        assert self._conn is not None
        if self.queries is not None and self.queries.watched is not self._traced:
            self._traced = not self._traced
            self.queries.trace(self._conn)
        return self._conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        for hook in self.after_commit:
            hook(conn)
