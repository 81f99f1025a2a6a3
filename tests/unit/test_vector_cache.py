"""The matrix of embeddings in memory follows every change, reading only what changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from kiln import compile_app
from kiln.manifest.model import Entity, Field
from kiln.store import connect
from kiln.store.vectors import VectorCache, fill_vectors

NOTES = """
[app]
name = "notes"
[entities.Note.fields]
title = { type = "text", search = true }
"""
NOTE = Entity(name="Note", plural="notes", fields={"title": Field("title", "text", search=1.0)})


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    """notes 1 "bread" and 2 "violin", embedded."""
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "app.toml").write_text(NOTES)
    compiled = compile_app(folder)
    connection = connect(compiled.prepare(tmp_path / "data"))
    connection.execute(
        "INSERT INTO notes (created_at, updated_at, title) VALUES ('t', 't', 'bread'), ('t', 't', 'violin')"
    )
    fill_vectors(connection, compiled.manifest.entities["Note"])
    return connection


def _write(conn: sqlite3.Connection, sql: str) -> None:
    """Run ``sql`` and embed what it made due, as the API does in the write's transaction."""
    conn.execute(sql)
    _fill(conn)


def _fill(conn: sqlite3.Connection) -> None:
    fill_vectors(conn, NOTE)


def _fresh(conn: sqlite3.Connection) -> tuple[list[int], np.ndarray]:
    matrix = VectorCache().matrix(conn, "notes")
    return matrix.ids[matrix.alive].tolist(), matrix.vectors[matrix.alive]


def test_a_write_updates_the_cached_matrix_in_place(conn: sqlite3.Connection) -> None:
    cache = VectorCache()
    first = cache.matrix(conn, "notes")
    assert first.ids.tolist() == [1, 2]
    assert cache.matrix(conn, "notes") is first  # nothing changed: nothing read
    _write(conn, "INSERT INTO notes (created_at, updated_at, title) VALUES ('t', 't', 'cello')")
    _write(conn, "UPDATE notes SET title = 'rye bread' WHERE id = 1")
    conn.execute("DELETE FROM notes WHERE id = 2")
    after = cache.matrix(conn, "notes")
    assert after is first  # brought up to date, not read again
    ids, vectors = _fresh(conn)
    assert after.ids[after.alive].tolist() == ids == [1, 3]
    assert np.array_equal(after.vectors[after.alive], vectors)
    assert not after.vectors[~after.alive].any()  # the deleted record's row is zeroed


def test_many_new_records_grow_the_matrix(conn: sqlite3.Connection) -> None:
    cache = VectorCache()
    cache.matrix(conn, "notes")
    for n in range(40):
        _write(conn, f"INSERT INTO notes (created_at, updated_at, title) VALUES ('t', 't', 'note {n}')")
    matrix = cache.matrix(conn, "notes")
    ids, vectors = _fresh(conn)
    assert matrix.ids.tolist() == ids == list(range(1, 43))
    assert np.array_equal(matrix.vectors, vectors)
    # more than the room kept at the first read (a quarter, and 1024): the arrays grow
    _write(
        conn,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100) "
        "INSERT INTO notes (created_at, updated_at, title) SELECT 't', 't', 'more ' || i FROM n",
    )
    grown = cache.matrix(conn, "notes")
    assert grown is matrix
    ids, vectors = _fresh(conn)
    assert grown.ids.tolist() == ids == list(range(1, 1143))
    assert np.array_equal(grown.vectors, vectors)


def test_an_id_out_of_order_reads_the_matrix_whole(conn: sqlite3.Connection) -> None:
    cache = VectorCache()
    first = cache.matrix(conn, "notes")
    conn.execute("DELETE FROM notes WHERE id = 1")
    _write(conn, "INSERT INTO notes (id, created_at, updated_at, title) VALUES (1, 't', 't', 'again')")
    again = cache.matrix(conn, "notes")
    assert again is not first
    assert again.ids.tolist() == [1, 2]
    assert again.alive.all()
    assert np.array_equal(again.vectors, _fresh(conn)[1])


def test_a_due_embedding_counts_as_zero_until_it_is_filled(conn: sqlite3.Connection) -> None:
    cache = VectorCache()
    cache.matrix(conn, "notes")
    conn.execute("UPDATE notes SET title = 'changed' WHERE id = 1")  # due, not filled
    assert not cache.matrix(conn, "notes").vectors[0].any()
    _fill(conn)
    assert cache.matrix(conn, "notes").vectors[0].any()
