"""WAL checkpoints on a thread of their own, for a connection that writes many small transactions.

SQLite checkpoints a WAL database on the connection whose commit takes the log past
``wal_autocheckpoint`` pages (1,000 by default), in that commit: the copy of the log into the
database and its two ``fsync`` calls are paid by one write in every hundred or so, and by the
thread that made it. SQLite's documentation names the way out ("run checkpoints ... in a separate
thread"): a :class:`Checkpointer` is woken by its writer every ``every`` write transactions, and
runs a ``PASSIVE`` checkpoint on its own connection, which waits for no reader or writer; the
writer goes on writing meanwhile (the GIL is let go while SQLite works). The writer keeps
automatic checkpoints, at ``backstop`` pages, for a log the checkpointer could not keep up with.

Durability is SQLite's, unchanged: the same ``synchronous = NORMAL``, the same syncs, on another
thread. The thread starts at the first checkpoint that is due, so a writer that writes little
never has one, and it ends with :meth:`Checkpointer.close` (or when the process does).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from kiln.store.connection import connect

__all__ = ["Checkpointer"]

logger = logging.getLogger("kiln.store")


class Checkpointer:
    """Checkpoints the WAL of the database at ``path`` off its writer's thread.

    The writer calls :meth:`committed` after each write transaction, and sets its own
    connection's automatic checkpoints to :attr:`backstop` pages with :meth:`take_over`.
    """

    def __init__(self, path: Path, *, every: int = 100, backstop: int = 10_000) -> None:
        self.path = path
        #: Write transactions between two checkpoints.
        self.every = every
        #: The writer's own automatic checkpoint, in pages, for a log that outgrew the thread.
        self.backstop = backstop
        #: Checkpoints run so far, and what the last one answered: ``(busy, log pages,
        #: pages checkpointed)``, as ``PRAGMA wal_checkpoint`` says.
        self.checkpoints = 0
        self.last: tuple[int, int, int] | None = None
        self._commits = 0
        self._due = threading.Event()
        self._done = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def take_over(self, writer: sqlite3.Connection) -> None:
        """Leave ``writer`` its automatic checkpoints only as the backstop."""
        writer.execute(f"PRAGMA wal_autocheckpoint = {self.backstop}")

    def committed(self) -> None:
        """Count one write transaction of the writer; every :attr:`every`-th wakes the thread."""
        self._commits += 1
        if self._commits % self.every == 0:
            self.checkpoint_soon()

    def checkpoint_soon(self) -> None:
        """Have the thread run a checkpoint (starting it if it is not running)."""
        if self._closed:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"kiln-checkpoint {self.path}")
            self._thread.daemon = True  # a checkpoint cut short by the process's end is SQLite's to mend
            self._thread.start()
        self._due.set()

    def wait(self, count: int, timeout: float) -> bool:
        """Wait till :attr:`checkpoints` is ``count`` or more; ``False`` if ``timeout`` passed first."""
        with self._done:
            return self._done.wait_for(lambda: self.checkpoints >= count, timeout)

    def close(self) -> None:
        """Stop the thread, after the checkpoint it is running, and close its connection."""
        self._closed = True
        self._due.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()  # (not when a collection on the thread itself finalises the writer)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            self._due.wait()
            self._due.clear()
            if self._closed:
                break
            last: tuple[int, int, int] | None = None
            try:
                conn = conn or connect(self.path)
                busy, log, moved = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                last = (busy, log, moved)
            except sqlite3.Error as exc:  # the writer's backstop checkpoints meanwhile
                logger.warning("checkpoint of %s failed: %s", self.path, exc)
            with self._done:
                self.checkpoints += 1
                self.last = last
                self._done.notify_all()
        if conn is not None:
            conn.close()
