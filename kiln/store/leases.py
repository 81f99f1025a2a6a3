"""Leases in ``_kiln_leases``: one process at a time on a cron job (and, later, a workflow step).

A lease is a row naming its holder and when it expires, in wall-clock seconds (not kiln's clock,
which a test may freeze: a lease protects real processes from each other). Taking one is a single
upsert that succeeds only when the row is free, expired, or already the taker's, so two processes
on one data directory can never both hold it.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid

__all__ = ["HOLDER", "release_lease", "take_lease"]

#: This process's name as a lease holder.
HOLDER = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def take_lease(
    conn: sqlite3.Connection, name: str, holder: str, seconds: float, *, now: float | None = None
) -> bool:
    """Take or renew the lease ``name`` for ``seconds``; ``False`` if someone else holds it.
    ``now`` (wall-clock seconds) is for tests."""
    now = time.time() if now is None else now
    row = conn.execute(
        "INSERT INTO _kiln_leases (name, holder, expires) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires "
        "WHERE _kiln_leases.expires < ? OR _kiln_leases.holder = excluded.holder "
        "RETURNING holder",
        [name, holder, now + seconds, now],
    ).fetchone()
    return row is not None


def release_lease(conn: sqlite3.Connection, name: str, holder: str) -> None:
    """Give the lease back, if ``holder`` still holds it."""
    conn.execute("DELETE FROM _kiln_leases WHERE name = ? AND holder = ?", [name, holder])
