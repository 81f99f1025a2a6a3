"""The triggers behind file references hold on every write path, plain SQL included, and follow
migrations: a file row goes when no record of any entity holds it, and its sha256 is queued."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiln import compile_app
from kiln.store import connect

SHOP = """
[app]
name = "shop"
[entities.Item.fields]
title = { type = "text" }
"""
WITH_FILES = """
[app]
name = "shop"
[entities.Item.fields]
title = { type = "text" }
photo = { type = "file" }
[entities.Note.fields]
scan = { type = "file" }
"""


def _prepared(tmp_path: Path, toml: str) -> sqlite3.Connection:
    folder = tmp_path / "app"
    folder.mkdir(exist_ok=True)
    (folder / "app.toml").write_text(toml)
    return connect(compile_app(folder).prepare(tmp_path / "data"))


def _file(conn: sqlite3.Connection, sha: str, kind: str = "upload") -> int:
    row = conn.execute(
        "INSERT INTO _kiln_files (name, size, content_type, sha256, kind, created_at) "
        "VALUES ('f', 1, 'text/plain', ?, ?, 't') RETURNING id",
        [sha, kind],
    ).fetchone()
    return int(row[0])


def _files(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM _kiln_files ORDER BY id")]


def _queued(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT sha256 FROM _kiln_blob_releases ORDER BY sha256")]


def test_a_migration_that_adds_file_fields_adds_their_triggers(tmp_path: Path) -> None:
    _prepared(tmp_path, SHOP).close()
    conn = _prepared(tmp_path, WITH_FILES)
    photo = _file(conn, "a" * 64)
    conn.execute(
        "INSERT INTO items (created_at, updated_at, title, photo) VALUES ('t', 't', 'x', ?)", [photo]
    )
    conn.execute("DELETE FROM items")
    assert _files(conn) == []
    assert _queued(conn) == ["a" * 64]
    conn.close()


def test_a_file_column_refers_to_a_file_row(tmp_path: Path) -> None:
    conn = _prepared(tmp_path, WITH_FILES)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO items (created_at, updated_at, photo) VALUES ('t', 't', 12345)")
    assert "ix_items_photo" in {row[1] for row in conn.execute("PRAGMA index_list(items)")}
    conn.close()


def test_replacing_clearing_and_keeping_a_file(tmp_path: Path) -> None:
    conn = _prepared(tmp_path, WITH_FILES)
    first, second = _file(conn, "1" * 64), _file(conn, "2" * 64)
    conn.execute(
        "INSERT INTO items (created_at, updated_at, title, photo) VALUES ('t', 't', 'x', ?)", [first]
    )
    conn.execute("UPDATE items SET title = 'y', photo = ?", [first])  # the same file: kept
    assert _files(conn) == [first, second]
    conn.execute("UPDATE items SET photo = ?", [second])  # replaced: the first goes
    assert (_files(conn), _queued(conn)) == ([second], ["1" * 64])
    conn.execute("UPDATE items SET photo = NULL")  # cleared: the second goes
    assert (_files(conn), _queued(conn)) == ([], ["1" * 64, "2" * 64])
    conn.close()


def test_a_file_held_by_two_entities_stays_until_both_let_go(tmp_path: Path) -> None:
    conn = _prepared(tmp_path, WITH_FILES)
    shared = _file(conn, "3" * 64)
    conn.execute("INSERT INTO items (created_at, updated_at, photo) VALUES ('t', 't', ?)", [shared])
    conn.execute("INSERT INTO notes (created_at, updated_at, scan) VALUES ('t', 't', ?)", [shared])
    conn.execute("DELETE FROM items")
    assert (_files(conn), _queued(conn)) == ([shared], [])
    conn.execute("DELETE FROM notes")
    assert (_files(conn), _queued(conn)) == ([], ["3" * 64])
    conn.close()


def test_a_blob_two_rows_share_is_queued_only_with_the_last(tmp_path: Path) -> None:
    conn = _prepared(tmp_path, WITH_FILES)
    one, two = _file(conn, "4" * 64), _file(conn, "4" * 64)
    conn.execute("INSERT INTO items (created_at, updated_at, photo) VALUES ('t', 't', ?)", [one])
    conn.execute("INSERT INTO notes (created_at, updated_at, scan) VALUES ('t', 't', ?)", [two])
    conn.execute("DELETE FROM items")
    assert (_files(conn), _queued(conn)) == ([two], [])
    conn.execute("DELETE FROM notes")
    assert _queued(conn) == ["4" * 64]
    conn.close()


def test_a_presigned_file_is_not_released_by_a_record(tmp_path: Path) -> None:
    conn = _prepared(tmp_path, WITH_FILES)
    named = _file(conn, "5" * 64, kind="presigned")
    conn.execute("INSERT INTO items (created_at, updated_at, photo) VALUES ('t', 't', ?)", [named])
    conn.execute("DELETE FROM items")
    assert (_files(conn), _queued(conn)) == ([named], [])
    conn.close()


def test_a_migration_that_drops_the_last_file_field_drops_its_triggers(tmp_path: Path) -> None:
    _prepared(tmp_path, WITH_FILES).close()
    conn = _prepared(tmp_path, SHOP.replace("[entities.Item.fields]", "[files]\n[entities.Item.fields]"))
    triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {t for t in triggers if t.startswith("_kiln_files_")} == set()
    assert "_kiln_blob_release" in triggers
    conn.close()
