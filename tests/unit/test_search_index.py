"""The FTS5 index in the database: made with the table, kept by triggers, rebuilt by migrations.

These read the index with SQL, under the API: what the search endpoint finds is pinned over HTTP
in tests/integration/search.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiln import compile_app
from kiln.store import connect, migrate

NOTES = """
[app]
name = "notes"
[entities.Note.fields]
title = { type = "text", search = 2 }
body  = { type = "text" }
[entities.Label.fields]
name    = { type = "text" }
note_id = { type = "ref", to = "Note", on_delete = "cascade" }
"""


def _app(folder: Path, toml: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "app.toml").write_text(toml)
    return folder


def _matching(conn: sqlite3.Connection, q: str, table: str = "notes") -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            f"SELECT rowid FROM _kiln_search_{table} WHERE _kiln_search_{table} MATCH ? ORDER BY rowid", [q]
        )
    ]


def _stocked(tmp_path: Path, toml: str = NOTES) -> tuple[Path, Path]:
    """The app with notes 1 "bread loaf" (body "flour") and 2 "butter" (body "churn")."""
    folder = _app(tmp_path / "app", toml)
    db = compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    conn.executescript(
        "INSERT INTO notes (created_at, updated_at, title, body)"
        " VALUES ('t', 't', 'bread loaf', 'flour'), ('t', 't', 'butter', 'churn');"
    )
    conn.close()
    return folder, db


def _migrated(tmp_path: Path, db: Path, toml: str) -> list[str]:
    conn = connect(db)
    try:
        return migrate(conn, compile_app(_app(tmp_path / "after", toml)).manifest)
    finally:
        conn.close()


def test_a_new_database_has_an_index_of_the_search_fields_only(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    conn = connect(db)
    assert [row[1] for row in conn.execute("PRAGMA table_info(_kiln_search_notes)")] == ["title"]
    assert _matching(conn, "bread") == [1]
    assert _matching(conn, "flour") == []  # body has no search weight
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert names == {"_kiln_search_notes_insert", "_kiln_search_notes_delete", "_kiln_search_notes_update"}
    assert "_kiln_search_labels" not in {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_the_index_uses_porter_stemming_and_folds_accents(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    conn = connect(db)
    conn.execute("INSERT INTO notes (created_at, updated_at, title) VALUES ('t', 't', 'Crème brûlées')")
    assert _matching(conn, "creme brulee") == [3]
    conn.close()


def test_updates_keep_the_index_in_step_with_the_table(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    conn = connect(db)
    conn.execute("UPDATE notes SET body = 'rye' WHERE id = 1")
    # raises "database disk image is malformed" if the index disagrees with the table
    conn.execute("INSERT INTO _kiln_search_notes (_kiln_search_notes, rank) VALUES ('integrity-check', 1)")
    conn.execute("UPDATE notes SET title = 'rye' WHERE id = 1")
    assert _matching(conn, "rye") == [1]
    assert _matching(conn, "bread") == []
    conn.close()


def test_adding_a_search_field_rebuilds_the_index_over_the_rows_there(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    changes = _migrated(
        tmp_path, db, NOTES.replace('body  = { type = "text" }', 'body  = { type = "text", search = true }')
    )
    assert changes == ["rebuilt the search index of Note"]
    conn = connect(db)
    assert _matching(conn, "flour") == [1]
    assert _matching(conn, "bread") == [1]
    conn.close()


def test_a_new_entity_with_search_fields_gets_its_index(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    changes = _migrated(
        tmp_path, db, NOTES + "[entities.Tip.fields]\ntext = { type = 'text', search = true }\n"
    )
    assert changes == ["added entity Tip"]
    conn = connect(db)
    conn.execute("INSERT INTO tips (created_at, updated_at, text) VALUES ('t', 't', 'knead well')")
    assert _matching(conn, "knead", "tips") == [1]
    conn.close()


def test_dropping_every_search_field_drops_the_index_and_its_triggers(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    changes = _migrated(tmp_path, db, NOTES.replace(", search = 2", ""))
    assert changes == ["dropped the search index of Note"]
    conn = connect(db)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {name for name in names if name.startswith(("_kiln_search", "_kiln_vectors"))} == {
        "_kiln_search_log"  # what was searched for stays, like any other history
    }
    conn.execute(
        "INSERT INTO notes (created_at, updated_at, title) VALUES ('t', 't', 'x')"
    )  # no trigger left
    conn.close()


def test_changing_a_weight_rebuilds_the_index(tmp_path: Path) -> None:
    _, db = _stocked(tmp_path)
    assert _migrated(tmp_path, db, NOTES.replace("search = 2", "search = 5")) == [
        "rebuilt the search index of Note"
    ]
    assert _migrated(tmp_path, db, NOTES.replace("search = 2", "search = 5")) == []  # once


def test_an_empty_entity_removed_takes_its_index_with_it(tmp_path: Path) -> None:
    toml = NOTES + "[entities.Tip.fields]\ntext = { type = 'text', search = true }\n"
    _, db = _stocked(tmp_path, toml)
    assert _migrated(tmp_path, db, NOTES) == ["dropped empty entity Tip"]
    conn = connect(db)
    assert "_kiln_search_tips" not in {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_a_rebuilt_table_keeps_its_index_in_step(tmp_path: Path) -> None:
    """Changing a reference rebuilds the table, which drops its triggers: they are made again."""
    toml = NOTES.replace(
        "[entities.Label.fields]", "[entities.Label.fields]\ntext = { type = 'text', search = true }"
    )
    _, db = _stocked(tmp_path, toml)
    conn = connect(db)
    conn.execute(
        "INSERT INTO labels (created_at, updated_at, name, text, note_id) VALUES ('t', 't', 'a', 'crusty', 1)"
    )
    conn.close()
    changes = _migrated(tmp_path, db, toml.replace('on_delete = "cascade"', 'on_delete = "set_null"'))
    assert changes == ["changed the reference of Label.note_id", "rebuilt the search index of Label"]
    conn = connect(db)
    assert _matching(conn, "crusty", "labels") == [1]
    conn.execute("INSERT INTO labels (created_at, updated_at, name, text) VALUES ('t', 't', 'b', 'soft')")
    assert _matching(conn, "soft", "labels") == [2]
    conn.execute("DELETE FROM labels WHERE id = 1")
    assert _matching(conn, "crusty", "labels") == []
    conn.close()


@pytest.mark.parametrize("weight", ["true", "1", "0.5", "3"])
def test_weights_are_recorded_so_an_unchanged_manifest_migrates_nothing(tmp_path: Path, weight: str) -> None:
    toml = NOTES.replace("search = 2", f"search = {weight}")
    _, db = _stocked(tmp_path, toml)
    assert _migrated(tmp_path, db, toml) == []
