"""QueryLog traces an app's connections only while a watch is open: a trace costs SQLite a call
into Python per statement, FTS5's internal ones included."""

from __future__ import annotations

from pathlib import Path

from kiln.store import Database, QueryLog


def _spied(log: QueryLog) -> list[str]:
    """The statements SQLite hands the log's trace callback, watched or not."""
    calls: list[str] = []
    log._record = calls.append  # type: ignore[method-assign]
    return calls


def test_an_unwatched_connection_calls_no_trace(tmp_path: Path) -> None:
    log = QueryLog()
    calls = _spied(log)
    db = Database(tmp_path / "kiln.db", log)
    db.conn.execute("SELECT 1")
    with log.watch():
        db.conn.execute("SELECT 2")
    db.conn.execute("SELECT 3")
    assert calls == ["SELECT 2"]
    db.close()


def test_a_watch_opened_after_the_connection_sees_its_statements(tmp_path: Path) -> None:
    log = QueryLog()
    db = Database(tmp_path / "kiln.db", log)
    db.conn.execute("CREATE TABLE t (x)")
    with log.watch() as first:
        db.conn.execute("INSERT INTO t VALUES (1)")
    db.conn.execute("INSERT INTO t VALUES (2)")
    with log.watch() as second:
        db.conn.execute("SELECT x FROM t")
    assert first == ["INSERT INTO t VALUES (1)"]
    assert second == ["SELECT x FROM t"]
    assert not log.watched
    db.close()


def test_a_connection_opened_during_a_watch_is_traced_until_it_ends(tmp_path: Path) -> None:
    log = QueryLog()
    calls = _spied(log)
    db = Database(tmp_path / "kiln.db", log)
    with log.watch():
        assert log.watched
        db.conn.execute("SELECT 1")
        other = db.connect()
        other.execute("SELECT 2")
    db.conn.execute("SELECT 3")
    assert calls == ["SELECT 1", "SELECT 2"]
    other.close()
    db.close()


def test_a_connection_opened_unwatched_is_not_traced(tmp_path: Path) -> None:
    log = QueryLog()
    calls = _spied(log)
    other = Database(tmp_path / "kiln.db", log).connect()
    other.execute("SELECT 1")
    assert calls == []
    other.close()
