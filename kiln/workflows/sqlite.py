"""``SqliteEventStore``: the event store in a SQLite file (the app's database, in kiln).

Two tables, made when the store opens: ``_kiln_wf_runs``, a row per run with what its appends
set (status, output, who holds it...) and its first event, ``started``; and ``_kiln_wf_events``,
the rest of each stream (``(run_id, seq)`` is the primary key, so a sequence number is taken
once). So a start is one ``INSERT`` of the row, atomic by itself, which a known id refuses.

The events are the check of every append: an append inserts event ``expected_seq + 1``, which
only works once and only after event ``expected_seq`` (the row, for event 1). An append that only
records an event (a step's result, the common case) is that one ``INSERT``, atomic by itself; one
that changes the run too is a ``BEGIN IMMEDIATE`` transaction. Either way it is atomic among
threads and among processes sharing the file. WAL, as everywhere in kiln; its checkpoints run on
a thread of their own (:mod:`kiln.store.checkpoint`), not in one step's write in every hundred.

The row holds the run as of the append that last changed it (``updated_seq`` says which); the
appends after it, if any, recorded one event each and nothing else, but for a time and a first
try. So a run's ``last_seq`` is its last event's number; its ``updated_at`` the row's if the row
is current, else the last event's ``at``; and its ``attempts`` the row's if the row is current,
else 1. A step that succeeds at its first try (the common case) is then one event, one page, with
no write of the row: that is what an append of one event whose update sets its time and
``attempts`` 1, and nothing else, is.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from kiln.store import connect
from kiln.store.checkpoint import Checkpointer
from kiln.workflows.events import (
    FINAL_STATUSES,
    Event,
    NewEvent,
    Run,
    SequenceConflict,
    UnknownRun,
    check_update,
)

__all__ = ["SqliteEventStore"]

#: A run not finished: the condition of the index of live runs, which a query must state (as it is)
#: for SQLite to use that index.
_LIVE = f"status NOT IN ({', '.join(repr(status) for status in FINAL_STATUSES)})"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS _kiln_wf_runs (id TEXT PRIMARY KEY, workflow TEXT NOT NULL, "
    "status TEXT NOT NULL, input TEXT, output TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
    "scratchpad TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
    "due_at TEXT, owner TEXT, lease_until TEXT, updated_seq INTEGER NOT NULL, "
    "first_type TEXT, first_step TEXT, first_data TEXT, first_at TEXT)",
    # the runs a worker may take up, in the order it takes them: finished runs are not in it, so
    # it stays as small as the work in hand however many runs are kept
    f"CREATE INDEX IF NOT EXISTS _kiln_wf_runs_live ON _kiln_wf_runs (coalesce(due_at, created_at)) "
    f"WHERE {_LIVE}",
    # a run's workflow and creation time never change: the start writes this index, no step does
    "CREATE INDEX IF NOT EXISTS _kiln_wf_runs_listed ON _kiln_wf_runs (workflow, created_at)",
    "CREATE TABLE IF NOT EXISTS _kiln_wf_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "type TEXT NOT NULL, step TEXT, data TEXT, at TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID",
)
#: What a store made before updated_seq becomes: its last_seq counted every append, so it is the
#: number of the event at which the row last changed.
_RENAME_LAST_SEQ = "ALTER TABLE _kiln_wf_runs RENAME COLUMN last_seq TO updated_seq"
#: What a store made before the first event moved into the row becomes.
_MOVE_FIRST_EVENTS = (
    *(f"ALTER TABLE _kiln_wf_runs ADD COLUMN first_{name} TEXT" for name in ("type", "step", "data", "at")),
    "UPDATE _kiln_wf_runs SET (first_type, first_step, first_data, first_at) = (SELECT type, step, data, "
    "at FROM _kiln_wf_events WHERE run_id = _kiln_wf_runs.id AND seq = 1)",
    "DELETE FROM _kiln_wf_events WHERE seq = 1",
)
#: What a store made before the index of live runs drops: its index of due runs had every run.
_DROP_DUE_INDEX = "DROP INDEX IF EXISTS _kiln_wf_runs_due"
_LAST_EVENT = (
    "coalesce((SELECT {} FROM _kiln_wf_events WHERE run_id = _kiln_wf_runs.id ORDER BY seq DESC LIMIT 1), {})"
)
_COLUMNS = (
    "id, workflow, status, input, output, error, attempts, scratchpad, created_at, updated_at, updated_seq, "
    f"due_at, owner, lease_until, {_LAST_EVENT.format('seq', 1)}, {_LAST_EVENT.format('at', 'first_at')}"
)
_INSERT_RUN = (
    "INSERT INTO _kiln_wf_runs (id, workflow, status, input, output, error, attempts, scratchpad, "
    "created_at, updated_at, updated_seq, due_at, owner, lease_until, first_type, first_step, first_data, "
    "first_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
#: Event ``{after}`` of run ``{run}`` is there: in the table, or (the first) in the run's row.
_EVENT_IS_THERE = (
    "EXISTS (SELECT 1 FROM _kiln_wf_events WHERE run_id = {run} AND seq = {after}) "
    "OR EXISTS (SELECT 1 FROM _kiln_wf_runs WHERE id = {run} AND {after} = 1)"
)
#: One event after event ?7, in one statement: nothing if ?7 is not there, a constraint error if
#: event ?2 is (someone appended first).
_INSERT_NEXT_EVENT = (
    "INSERT INTO _kiln_wf_events (run_id, seq, type, step, data, at) SELECT ?1, ?2, ?3, ?4, ?5, ?6 "
    f"WHERE {_EVENT_IS_THERE.format(run='?1', after='?7')}"
)
_EVENTS = (
    "SELECT 1, first_type, first_at, first_step, first_data FROM _kiln_wf_runs WHERE id = ?1 AND ?2 < 1 "
    "UNION ALL SELECT seq, type, at, step, data FROM _kiln_wf_events WHERE run_id = ?1 AND seq > ?2 "
    "ORDER BY 1"
)
_LAST_SEQ = (
    "SELECT coalesce((SELECT max(seq) FROM _kiln_wf_events WHERE run_id = ?1), 1) FROM _kiln_wf_runs "
    "WHERE id = ?1"
)
#: Events in one INSERT at most (six parameters each, far below SQLite's limit of them).
_ROWS_PER_INSERT = 50
_JSON_FIELDS = ("output", "scratchpad")


class SqliteEventStore:
    """An :class:`~kiln.workflows.store.EventStore` in the SQLite file at ``path``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn = connect(self.path, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, used by one thread at a time
        self._updates: dict[tuple[str, ...], str] = {}  # the UPDATE for each set of changed fields
        self.checkpointer = Checkpointer(self.path)
        self.checkpointer.take_over(self._conn)
        weakref.finalize(self, self.checkpointer.close)  # a store never closed leaves no thread
        self._write = _Write(self._conn, self._lock, self.checkpointer.committed)
        self._inserts: dict[int, str] = {}  # the INSERT of each number of events after the first
        with self._write as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(_kiln_wf_runs)")}
            if "last_seq" in columns:
                conn.execute(_RENAME_LAST_SEQ)
            if columns and "first_type" not in columns:
                for statement in _MOVE_FIRST_EVENTS:
                    conn.execute(statement)
            conn.execute(_DROP_DUE_INDEX)
            for statement in _SCHEMA:
                conn.execute(statement)

    def close(self) -> None:
        """Close the connection, and stop the checkpoints."""
        self.checkpointer.close()
        self._conn.close()

    def create(self, run: Run, started: NewEvent) -> tuple[Run, bool]:
        stored = run if run.last_seq == 1 else run.changed(last_seq=1)
        values = [
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
            started.type,
            started.step,
            _dump(started.data),
            started.at,
        ]
        with self._lock:
            # the insert is the check: a known id inserts nothing, and the run that has it answers
            if self._conn.execute(_INSERT_RUN, values).rowcount:
                self.checkpointer.committed()
                return stored, True
            existing = self._conn.execute(f"SELECT {_COLUMNS} FROM _kiln_wf_runs WHERE id = ?", [run.id])
            return _run(existing.fetchone()), False

    def append(
        self, run_id: str, expected_seq: int, events: Sequence[NewEvent], update: dict[str, Any] | None = None
    ) -> int:
        update = update or {}
        check_update(update)
        last = expected_seq + len(events)
        # everything that can fail (a value that is not JSON) before anything is written
        rows = [
            (run_id, seq, event.type, event.step, _dump(event.data), event.at)
            for seq, event in enumerate(events, start=expected_seq + 1)
        ]
        if len(rows) == 1 and update == {"updated_at": rows[0][5], "attempts": 1}:
            # an event at the time of the append, after a first try: one statement, and the run's
            # row as it is (its reading gives the time and the one try; see the module)
            with self._lock:
                self._insert_events(run_id, expected_seq, rows)
                self.checkpointer.committed()
            return last
        names = tuple(update)
        values = [_dump(update[name]) if name in _JSON_FIELDS else update[name] for name in names]
        statement = self._updates.get(names) or self._update_for(names)
        with self._write as conn:
            if rows:
                self._insert_events(run_id, expected_seq, rows)
            else:
                self._refuse(run_id, expected_seq)
            conn.execute(statement, [*values, last, expected_seq, run_id])
        return last

    def _insert_events(self, run_id: str, expected_seq: int, rows: list[tuple[Any, ...]]) -> None:
        """Insert the rows of events numbered from ``expected_seq + 1``, the first only if the run's
        last event is ``expected_seq`` (else :class:`SequenceConflict` or :class:`UnknownRun`): in
        one statement, or for many events one per :data:`_ROWS_PER_INSERT`, each after the last."""
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            after = expected_seq + start
            if len(chunk) == 1:
                statement, values = _INSERT_NEXT_EVENT, (*chunk[0], after)
            else:
                statement = self._inserts.get(len(chunk)) or self._insert_for(len(chunk))
                values = (*[value for row in chunk for value in row], run_id, after)
            try:
                inserted = self._conn.execute(statement, values).rowcount
            except sqlite3.IntegrityError:
                self._refuse(run_id, expected_seq)
                raise  # not a later event: a value the table refuses
            if not inserted:
                self._refuse(run_id, expected_seq)
                raise AssertionError("unreachable: no event after the expected one, and none inserted")

    def _insert_for(self, count: int) -> str:
        """The INSERT of ``count`` events after the one a run has last, or of none if it has not."""
        rows = ", ".join(["(?, ?, ?, ?, ?, ?)"] * count)
        there = _EVENT_IS_THERE.format(run=f"?{6 * count + 1}", after=f"?{6 * count + 2}")
        statement = (
            f"INSERT INTO _kiln_wf_events (run_id, seq, type, step, data, at) SELECT * FROM (VALUES {rows}) "
            f"WHERE {there}"
        )
        self._inserts[count] = statement
        return statement

    def _update_for(self, names: tuple[str, ...]) -> str:
        """The UPDATE of a run's row that sets ``names``; its parameters are their values, then
        the run's last event now, the one before the append, and the run's id."""
        count = len(names)
        assignments = [f"{name} = ?{number}" for number, name in enumerate(names, start=1)]
        before = f"?{count + 2}"
        if "updated_at" not in names:  # as it was: the row's, or the last event's before this (an
            # event after the first: the row is current at the first)
            assignments.append(
                f"updated_at = CASE WHEN updated_seq >= {before} THEN updated_at ELSE (SELECT at FROM "
                f"_kiln_wf_events WHERE run_id = _kiln_wf_runs.id AND seq = {before}) END"
            )
        if "attempts" not in names:  # as it was: the row's, or the one try of an append since
            assignments.append(f"attempts = CASE WHEN updated_seq >= {before} THEN attempts ELSE 1 END")
        assignments.append(f"updated_seq = ?{count + 1}")
        statement = f"UPDATE _kiln_wf_runs SET {', '.join(assignments)} WHERE id = ?{count + 3}"
        self._updates[names] = statement
        return statement

    def _refuse(self, run_id: str, expected_seq: int) -> None:
        """Raise what an append after ``expected_seq`` met, an unknown run or another last event;
        nothing if the run's last event is ``expected_seq``."""
        row = self._conn.execute(_LAST_SEQ, [run_id]).fetchone()
        if row is None:
            raise UnknownRun(run_id)
        actual = row[0]
        if actual != expected_seq:
            raise SequenceConflict(run_id, expected_seq, actual)

    def events(self, run_id: str, after: int = 0) -> list[Event]:
        with self._lock:
            rows = self._conn.execute(_EVENTS, [run_id, after]).fetchall()
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
            if status not in FINAL_STATUSES:  # said, so that the index of live runs serves
                where.append(_LIVE)
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
                f"SELECT {_COLUMNS} FROM _kiln_wf_runs INDEXED BY _kiln_wf_runs_live WHERE {_LIVE} "
                "AND coalesce(due_at, '') <= ? AND coalesce(lease_until, '') <= ? "
                "ORDER BY coalesce(due_at, created_at), rowid LIMIT ?",
                [now, now, limit],
            ).fetchall()
        return [_run(row) for row in rows]

    def next_due(self, after: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT min(due) FROM (SELECT max(coalesce(due_at, ''), coalesce(lease_until, '')) AS due "
                f"FROM _kiln_wf_runs INDEXED BY _kiln_wf_runs_live WHERE {_LIVE}) WHERE due > ?",
                [after],
            ).fetchone()
        due: str | None = row[0]
        return due

    def claim(self, run_id: str, owner: str, until: str, now: str) -> Run | None:
        # one statement, atomic by itself on an autocommit connection
        with self._lock:
            row = self._conn.execute(
                "UPDATE _kiln_wf_runs SET owner = ?, lease_until = ? WHERE id = ? "
                f"AND {_LIVE} AND coalesce(due_at, '') <= ? "
                f"AND (owner IS NULL OR owner = ? OR coalesce(lease_until, '') <= ?) RETURNING {_COLUMNS}",
                [owner, until, run_id, now, owner, now],
            ).fetchone()
            self.checkpointer.committed()
        return _run(row) if row is not None else None

    def release(self, run_id: str, owner: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE _kiln_wf_runs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?",
                [run_id, owner],
            )
            self.checkpointer.committed()


class _Write:
    """``with store._write as conn``: a ``BEGIN IMMEDIATE`` transaction, under the store's lock;
    committed and counted for the checkpoints, or rolled back if the block (or the commit) raised.
    A class rather than a generator: it is on the path of every step that changes its run."""

    __slots__ = ("_committed", "_conn", "_lock")

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock, committed: Callable[[], None]) -> None:
        self._conn, self._lock, self._committed = conn, lock, committed

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._conn

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                try:
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._committed()
            else:
                self._conn.execute("ROLLBACK")
        finally:
            self._lock.release()


def _dump(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _load(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _run(row: Sequence[Any]) -> Run:
    (run_id, workflow, status, raw_input, output, error, attempts, scratchpad, created, updated,
     updated_seq, due, owner, lease, last_seq, last_at) = row  # fmt: skip
    return Run(
        id=run_id,
        workflow=workflow,
        input=_load(raw_input),
        created_at=created,
        # the row's time and tries if the last append changed it; else appends since were only
        # their events, each after a first try (see the module)
        updated_at=updated if updated_seq >= last_seq else last_at,
        status=status,
        output=_load(output),
        error=error,
        attempts=attempts if updated_seq >= last_seq else 1,
        scratchpad=_load(scratchpad) or {},
        due_at=due,
        owner=owner,
        lease_until=lease,
        last_seq=last_seq,
    )
