"""kiln.store.connect: WAL, foreign keys and a busy timeout on every connection, and a switch to
WAL that survives other connections switching the same new file at once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from kiln.store import connect
from kiln.store.connection import use_wal


def test_a_connection_is_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path / "kiln.db")
    try:
        settings = [conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "foreign_keys",
                    "busy_timeout", "synchronous")]  # fmt: skip
    finally:
        conn.close()
    assert settings == ["wal", 1, 5000, 1]  # synchronous 1 is NORMAL


def test_a_connection_commits_each_statement_and_is_for_its_own_thread_unless_told(tmp_path: Path) -> None:
    own, shared = connect(tmp_path / "kiln.db"), connect(tmp_path / "kiln.db", check_same_thread=False)
    try:
        own.execute("CREATE TABLE notes (text TEXT)")
        own.execute("INSERT INTO notes VALUES ('kept')")
        assert own.in_transaction is False  # autocommit: nothing held open between statements
        seen: list[Any] = []

        def elsewhere() -> None:
            seen.append(shared.execute("SELECT text FROM notes").fetchall())
            try:
                own.execute("SELECT 1")
            except sqlite3.ProgrammingError as exc:
                seen.append(type(exc).__name__)

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join(10)
    finally:
        own.close()
        shared.close()
    assert seen == [[("kept",)], "ProgrammingError"]


def test_connections_opening_one_new_file_at_once_all_get_wal(tmp_path: Path) -> None:
    failures: list[str] = []
    for attempt in range(40):
        path = tmp_path / f"new-{attempt}.db"
        start = threading.Barrier(6)

        def open_it(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait(5)
            try:
                conn = connect(path)
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                conn.close()
                if mode != "wal":
                    failures.append(f"{path.name}: {mode}")
            except sqlite3.Error as exc:
                failures.append(f"{path.name}: {exc}")

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert failures == []


class _Refusing:
    """A connection whose switch to WAL is refused as locked ``refusals`` times (as a loser's is
    when another connection switches the new file meanwhile), or raises ``error``."""

    def __init__(self, refusals: int, error: str = "database is locked") -> None:
        self.refusals, self.error = refusals, error
        self.mode = "delete"
        self.asked: list[str] = []

    def execute(self, sql: str) -> Any:
        self.asked.append(sql)
        if sql == "PRAGMA journal_mode = WAL":
            if self.refusals:
                self.refusals -= 1
                raise sqlite3.OperationalError(self.error)
            self.mode = "wal"
        return _Row(self.mode)


class _Row:
    def __init__(self, value: str) -> None:
        self.value = value

    def fetchone(self) -> tuple[str]:
        return (self.value,)


def test_a_refused_switch_is_tried_again_after_growing_waits() -> None:
    conn, waits = _Refusing(refusals=3), []

    use_wal(conn, sleep=waits.append)

    assert conn.mode == "wal"
    assert waits == [0.001, 0.002, 0.004]
    assert conn.asked.count("PRAGMA journal_mode = WAL") == 4


def test_a_file_another_connection_switched_meanwhile_is_not_switched_again() -> None:
    conn, waits = _Refusing(refusals=1), []

    def switched_by_the_winner(seconds: float) -> None:
        waits.append(seconds)
        conn.mode = "wal"

    use_wal(conn, sleep=switched_by_the_winner)

    assert waits == [0.001]
    assert conn.asked == ["PRAGMA journal_mode", "PRAGMA journal_mode = WAL", "PRAGMA journal_mode"]


def test_an_error_other_than_locked_is_raised_at_once() -> None:
    conn, waits = _Refusing(refusals=1, error="disk I/O error"), []

    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        use_wal(conn, sleep=waits.append)
    assert waits == []


def test_a_switch_refused_for_the_whole_busy_timeout_raises() -> None:
    conn, waits = _Refusing(refusals=10**6), []

    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        use_wal(conn, sleep=waits.append)

    # 1, 2, 4 … ms, then 50 ms each, until 5 s are waited
    assert waits[:7] == [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.05]
    assert set(waits[6:]) == {0.05}
    assert 5.0 <= sum(waits) < 5.05
    assert conn.asked.count("PRAGMA journal_mode = WAL") == len(waits) + 1
