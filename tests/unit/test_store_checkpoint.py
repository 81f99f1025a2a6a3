"""kiln.store.checkpoint: WAL checkpoints on a thread of their own, woken by the writer."""

from __future__ import annotations

import gc
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from kiln.store import connect
from kiln.store.checkpoint import Checkpointer
from kiln.workflows import NewEvent, Run, SqliteEventStore

T0 = "2026-01-01T00:00:00.000Z"


def _writer(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return conn


def _threads(path: Path) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == f"kiln-checkpoint {path}"]


def test_the_thread_starts_at_the_first_due_checkpoint_and_moves_the_whole_idle_log(tmp_path: Path) -> None:
    path = tmp_path / "kiln.db"
    writer = _writer(path)
    checkpointer = Checkpointer(path, every=3)
    for number in range(2):
        writer.execute("INSERT INTO notes (body) VALUES (?)", [f"note {number}"])
        checkpointer.committed()
    assert (checkpointer.checkpoints, checkpointer.last, _threads(path)) == (0, None, [])  # not due yet

    writer.execute("INSERT INTO notes (body) VALUES ('note 2')")
    checkpointer.committed()
    assert checkpointer.wait(1, timeout=10)
    assert [thread.daemon for thread in _threads(path)] == [True]  # never keeps the process alive
    assert checkpointer.last is not None
    busy, log, moved = checkpointer.last
    assert (busy, moved) == (0, log)  # the writer was idle: all of the log went in
    assert log >= 3  # the table and three inserts, a page or more each
    checkpointer.close()
    assert _threads(path) == []
    writer.close()


def test_every_nth_commit_wakes_it_and_none_between(tmp_path: Path) -> None:
    path = tmp_path / "kiln.db"
    writer = _writer(path)
    checkpointer = Checkpointer(path, every=2)
    seen = []
    for number in range(6):
        writer.execute("INSERT INTO notes (body) VALUES (?)", [f"note {number}"])
        checkpointer.committed()
        if number % 2:  # the 2nd, 4th and 6th: each a checkpoint, waited for before the next insert
            assert checkpointer.wait(number // 2 + 1, timeout=10)
        seen.append(checkpointer.checkpoints)
    assert seen == [0, 1, 1, 2, 2, 3]
    checkpointer.close()
    writer.close()


def test_take_over_leaves_the_writer_its_checkpoints_only_as_a_backstop(tmp_path: Path) -> None:
    path = tmp_path / "kiln.db"
    writer = _writer(path)
    assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000  # SQLite's default
    Checkpointer(path, backstop=4321).take_over(writer)
    assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 4321
    assert Checkpointer(path).backstop == 10_000
    writer.close()


def test_after_close_no_commit_starts_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "kiln.db"
    checkpointer = Checkpointer(path, every=1)
    checkpointer.close()
    checkpointer.committed()
    assert (checkpointer.checkpoints, _threads(path)) == (0, [])


def test_a_checkpoint_that_fails_is_logged_and_the_thread_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "kiln.db"
    path.write_bytes(b"not a database, not at all" * 200)
    checkpointer = Checkpointer(path, every=1)
    with caplog.at_level(logging.WARNING, logger="kiln.store"):
        checkpointer.committed()
        assert checkpointer.wait(1, timeout=10)
        checkpointer.committed()
        assert checkpointer.wait(2, timeout=10)  # still there after the first failed
    assert (checkpointer.last, _threads(path) != []) == (None, True)
    assert [record.getMessage() for record in caplog.records] == [
        f"checkpoint of {path} failed: file is not a database"
    ] * 2
    checkpointer.close()
    assert _threads(path) == []


def _store_with_a_run(path: Path) -> SqliteEventStore:
    store = SqliteEventStore(path)
    store.create(
        Run(id="r1", workflow="w", input=None, created_at=T0, updated_at=T0), NewEvent("started", T0)
    )
    return store


def test_a_sqlite_event_store_checkpoints_every_hundred_writes_off_its_thread(tmp_path: Path) -> None:
    path = tmp_path / "kiln.db"
    store = _store_with_a_run(path)
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
    last = 1
    for number in range(97):  # with the schema and the create: 99 writes
        last = store.append("r1", last, [NewEvent("step_completed", T0, step=f"s{number}")], {"attempts": 1})
    assert (store.checkpointer.checkpoints, _threads(path)) == (0, [])
    store.claim("r1", "w1", "2026-01-01T00:00:30.000Z", T0)  # a claim is a write too: the 100th
    assert store.checkpointer.wait(1, timeout=10)
    assert store.checkpointer.last is not None
    assert store.checkpointer.last[2] > 0
    store.close()
    assert _threads(path) == []


def test_a_sqlite_event_store_never_closed_leaves_no_thread_once_collected(tmp_path: Path) -> None:
    path = tmp_path / "kiln.db"
    store = _store_with_a_run(path)
    store.checkpointer.checkpoint_soon()
    assert store.checkpointer.wait(1, timeout=10)
    [thread] = _threads(path)
    del store
    gc.collect()
    thread.join(timeout=10)
    assert not thread.is_alive()
