"""``SqliteEventStore``: the event store in a SQLite file (the app's database, in kiln).

Two tables, made when the store opens: ``_kiln_wf_runs`` (a row per run) and ``_kiln_wf_events``
(``(run_id, seq)`` is the primary key). An append is one ``BEGIN IMMEDIATE`` transaction that
checks the run's last event, inserts the new ones and updates the run, so it is atomic among
threads and among processes sharing the file. WAL, as everywhere in kiln.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from kiln.store import connect
from kiln.workflows.events import Event, NewEvent, Run, SequenceConflict, UnknownRun, check_update

__all__ = ["SqliteEventStore"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS _kiln_wf_runs (id TEXT PRIMARY KEY, workflow TEXT NOT NULL, "
    "status TEXT NOT NULL, input TEXT, output TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
    "scratchpad TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
    "due_at TEXT, owner TEXT, lease_until TEXT, last_seq INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS _kiln_wf_runs_due ON _kiln_wf_runs (status, due_at)",
    "CREATE INDEX IF NOT EXISTS _kiln_wf_runs_listed ON _kiln_wf_runs (workflow, created_at)",
    "CREATE TABLE IF NOT EXISTS _kiln_wf_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "type TEXT NOT NULL, step TEXT, data TEXT, at TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID",
)
_COLUMNS = (
    "id, workflow, status, input, output, error, attempts, scratchpad, created_at, updated_at, "
    "due_at, owner, lease_until, last_seq"
)
_JSON_FIELDS = ("output", "scratchpad")


class SqliteEventStore:
    """An :class:`~kiln.workflows.store.EventStore` in the SQLite file at ``path``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn = connect(self.path, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, used by one thread at a time
        with self._transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def create(self, run: Run, started: NewEvent) -> tuple[Run, bool]:
        stored = run.changed(last_seq=1)
        with self._transaction() as conn:
            # the insert is the check: a known id inserts nothing, and the run that has it answers
            inserted = conn.execute(
                f"INSERT INTO _kiln_wf_runs ({_COLUMNS}) VALUES ({', '.join('?' * 14)}) "
                "ON CONFLICT (id) DO NOTHING",
                [
                    stored.id,
                    stored.workflow,
                    stored.status,
                    _dump(stored.input),
                    _dump(stored.output),
                    stored.error,
                    stored.attempts,
                    _dump(stored.scratchpad),
                    stored.created_at,
                    stored.updated_at,
                    stored.due_at,
                    stored.owner,
                    stored.lease_until,
                    1,
                ],
            ).rowcount
            if not inserted:
                existing = conn.execute(f"SELECT {_COLUMNS} FROM _kiln_wf_runs WHERE id = ?", [run.id])
                return _run(existing.fetchone()), False
            _insert_events(conn, run.id, 0, [started])
            return stored, True

    def append(
        self, run_id: str, expected_seq: int, events: Sequence[NewEvent], update: dict[str, Any] | None = None
    ) -> Run:
        update = dict(update or {})
        check_update(update)
        values = {name: _dump(value) if name in _JSON_FIELDS else value for name, value in update.items()}
        values["last_seq"] = expected_seq + len(events)
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._transaction() as conn:
            # the update is the check: it changes the row only if its last event is the expected one
            changed = conn.execute(
                f"UPDATE _kiln_wf_runs SET {assignments} WHERE id = ? AND last_seq = ? RETURNING {_COLUMNS}",
                [*values.values(), run_id, expected_seq],
            ).fetchone()
            if changed is None:
                row = conn.execute("SELECT last_seq FROM _kiln_wf_runs WHERE id = ?", [run_id]).fetchone()
                if row is None:
                    raise UnknownRun(run_id)
                raise SequenceConflict(run_id, expected_seq, row[0])
            _insert_events(conn, run_id, expected_seq, events)
            return _run(changed)

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, type, at, step, data FROM _kiln_wf_events "
                "WHERE run_id = ? AND seq > ? ORDER BY seq",
                [run_id, after],
            ).fetchall()
        return [Event(run_id, seq, kind, at, step, _load(data)) for seq, kind, at, step, data in rows]

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM _kiln_wf_runs WHERE id = ?", [run_id]
            ).fetchone()
        return _run(row) if row is not None else None

    def runs(
        self, *, workflow: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[Run], int]:
        where, values = [], []
        if workflow is not None:
            where.append("workflow = ?")
            values.append(workflow)
        if status is not None:
            where.append("status = ?")
            values.append(status)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            total = self._conn.execute(f"SELECT count(*) FROM _kiln_wf_runs{clause}", values).fetchone()[0]
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM _kiln_wf_runs{clause} "
                "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                [*values, limit, offset],
            ).fetchall()
        return [_run(row) for row in rows], int(total)

    def due(self, now: str, limit: int = 100) -> list[Run]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM _kiln_wf_runs WHERE status NOT IN ('completed', 'failed') "
                "AND coalesce(due_at, '') <= ? AND coalesce(lease_until, '') <= ? "
                "ORDER BY coalesce(due_at, created_at), rowid LIMIT ?",
                [now, now, limit],
            ).fetchall()
        return [_run(row) for row in rows]

    def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
        # one statement, atomic by itself on an autocommit connection
        with self._lock:
            row = self._conn.execute(
                "UPDATE _kiln_wf_runs SET owner = ?, lease_until = ? WHERE id = ? "
                "AND status NOT IN ('completed', 'failed') AND coalesce(due_at, '') <= ? "
                f"AND (owner IS NULL OR owner = ? OR coalesce(lease_until, '') <= ?) RETURNING {_COLUMNS}",
                [owner, until, run_id, now, owner, now],
            ).fetchone()
        return _run(row) if row is not None else None

    def release(self, run_id: str, owner: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE _kiln_wf_runs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?",
                [run_id, owner],
            )


_INSERT_EVENT = "INSERT INTO _kiln_wf_events (run_id, seq, type, step, data, at) VALUES (?, ?, ?, ?, ?, ?)"


def _insert_events(conn: sqlite3.Connection, run_id: str, after: int, events: Sequence[NewEvent]) -> None:
    rows = [
        (run_id, after + offset, event.type, event.step, _dump(event.data), event.at)
        for offset, event in enumerate(events, start=1)
    ]
    if len(rows) == 1:  # the common case: execute costs less than executemany
        conn.execute(_INSERT_EVENT, rows[0])
    elif rows:
        conn.executemany(_INSERT_EVENT, rows)


def _dump(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _load(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _run(row: Sequence[Any]) -> Run:
    (run_id, workflow, status, raw_input, output, error, attempts, scratchpad, created, updated, due,
     owner, lease, last_seq) = row  # fmt: skip
    return Run(
        id=run_id,
        workflow=workflow,
        input=_load(raw_input),
        created_at=created,
        updated_at=updated,
        status=status,
        output=_load(output),
        error=error,
        attempts=attempts,
        scratchpad=_load(scratchpad) or {},
        due_at=due,
        owner=owner,
        lease_until=lease,
        last_seq=last_seq,
    )
