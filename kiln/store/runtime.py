"""The runtime's tables: the mail outbox and inbox, cron history and schedule state, and leases.

``_kiln_outbox`` holds every mail the app sent, delivered or not, with its delivery state.
``_kiln_inbox`` holds what arrived over SMTP. ``_kiln_cron_runs`` is each job's history and
``_kiln_cron_state`` the last due time each job's schedule accounted for, which two processes
claim by compare-and-set. ``_kiln_leases`` keeps one process at a time on a job.
"""

from __future__ import annotations

import sqlite3

from kiln.manifest.model import Manifest

__all__ = ["OUTBOX_COLUMNS", "runtime_ddl"]

#: The outbox's columns after ``id``; a database made before delivery existed gains the new ones.
OUTBOX_COLUMNS = {
    "created_at": "TEXT NOT NULL",
    "to_address": "TEXT NOT NULL",
    "subject": "TEXT NOT NULL",
    "body": "TEXT NOT NULL",
    "html": "TEXT",
    "sender": "TEXT NOT NULL DEFAULT ''",
    "status": "TEXT NOT NULL DEFAULT 'stored'",  # stored | queued | sent | failed
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "next_attempt_at": "TEXT",
    "last_error": "TEXT",
    "sent_at": "TEXT",
}


def runtime_ddl(conn: sqlite3.Connection, manifest: Manifest) -> list[str]:
    """The statements that create (or bring up to date) the runtime tables ``manifest`` needs."""
    statements: list[str] = []
    if manifest.has_outbox:
        statements.extend(_outbox(conn))
    if manifest.mail is not None and manifest.mail.inbound is not None:
        statements.append(
            "CREATE TABLE IF NOT EXISTS _kiln_inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "received_at TEXT NOT NULL, sender TEXT NOT NULL, recipients TEXT NOT NULL, "
            "subject TEXT NOT NULL, text TEXT, html TEXT, attachments TEXT NOT NULL, "
            "size INTEGER NOT NULL, raw BLOB NOT NULL)"
        )
    if manifest.cron:
        statements.extend(
            [
                "CREATE TABLE IF NOT EXISTS _kiln_cron_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "job TEXT NOT NULL, trigger TEXT NOT NULL, due_at TEXT, started_at TEXT NOT NULL, "
                "finished_at TEXT, status TEXT NOT NULL, error TEXT)",
                "CREATE INDEX IF NOT EXISTS ix_kiln_cron_runs_job ON _kiln_cron_runs (job, id)",
                "CREATE TABLE IF NOT EXISTS _kiln_cron_state (job TEXT PRIMARY KEY, last_due TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS _kiln_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
                "expires REAL NOT NULL)",
            ]
        )
    return statements


def _outbox(conn: sqlite3.Connection) -> list[str]:
    existing = {row[1] for row in conn.execute("PRAGMA table_info(_kiln_outbox)")}
    if not existing:
        columns = ", ".join(f"{name} {sql}" for name, sql in OUTBOX_COLUMNS.items())
        return [
            f"CREATE TABLE _kiln_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, {columns})",
            "CREATE INDEX ix_kiln_outbox_due ON _kiln_outbox (status, next_attempt_at)",
        ]
    return [
        *(
            f"ALTER TABLE _kiln_outbox ADD COLUMN {name} {sql}"
            for name, sql in OUTBOX_COLUMNS.items()
            if name not in existing
        ),
        "CREATE INDEX IF NOT EXISTS ix_kiln_outbox_due ON _kiln_outbox (status, next_attempt_at)",
    ]
