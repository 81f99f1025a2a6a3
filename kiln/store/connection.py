"""Open the app's database the way every part of kiln expects it."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["BUSY_TIMEOUT_MS", "connect", "use_wal"]

BUSY_TIMEOUT_MS = 5000


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection with WAL, foreign keys and a busy timeout.

    Autocommit (``isolation_level=None``) means nothing is held open between statements; writes
    that must be atomic use an explicit ``BEGIN IMMEDIATE`` … ``COMMIT``.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; fsync at checkpoints, not every commit
    use_wal(conn)
    return conn


def use_wal(conn: Any, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Switch the database to WAL, unless it is already.

    Connections opening a new file at once may all try to switch it, and a loser can be told
    "database is locked" at once, without its busy timeout: SQLite refuses rather than wait in
    a deadlock. It tries again, a little later each time, until the file is WAL (usually switched
    by the winner meanwhile) or it has waited the busy timeout; any other error is raised at once.
    """
    waited, wait = 0.0, 0.001
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or waited >= BUSY_TIMEOUT_MS / 1000:
                raise
        sleep(wait)
        waited += wait
        wait = min(wait * 2, 0.05)
