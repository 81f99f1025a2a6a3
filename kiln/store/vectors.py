"""Embeddings of each searched record, stored in the app's database and ranked with numpy.

``_kiln_vectors_<table>`` holds one row per record: its id and its embedding (256 float32 values
as a blob), or ``NULL`` while one is due. The table's triggers (made by
:mod:`kiln.store.search_index`) add a due row for a new record, make it due again when a searched
field changes, delete it with the record, and count every change in ``_kiln_vector_versions``.
:func:`fill_vectors` computes the due embeddings; :class:`VectorCache` keeps a table's vectors as
one matrix in memory until its version changes, so a semantic search is one matrix product.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kiln.embeddings import DIMENSIONS, embed
from kiln.manifest.model import Entity
from kiln.store.sql import literal, quote

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Matrix",
    "VectorCache",
    "drop_vectors_ddl",
    "fill_vectors",
    "vector_ddl",
    "vector_table",
    "vector_triggers",
    "vectors_due",
]

_VERSIONS = "_kiln_vector_versions"


def vector_table(table: str) -> str:
    """The table of ``table``'s embeddings."""
    return f"_kiln_vectors_{table}"


def vector_ddl(table: str) -> list[str]:
    """Create the embeddings table of ``table`` and its version counter."""
    return [
        f"CREATE TABLE IF NOT EXISTS {_VERSIONS} (name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
        f"CREATE TABLE {quote(vector_table(table))} (id INTEGER PRIMARY KEY, vector BLOB)",
        # finds the due ones at once, however many are done
        f"CREATE INDEX {quote(f'ix_{vector_table(table)}_due')} ON {quote(vector_table(table))} (id) "
        "WHERE vector IS NULL",
        f"INSERT OR IGNORE INTO {_VERSIONS} VALUES ({literal(table)}, 0)",  # a rebuild counts on
    ]


def drop_vectors_ddl(table: str) -> list[str]:
    """Drop the embeddings of ``table``, if there are any."""
    return [f"DROP TABLE IF EXISTS {quote(vector_table(table))}"]


def vector_triggers(table: str) -> dict[str, str]:
    """The statements each trigger of ``table`` runs for its embeddings, by event."""
    vectors = quote(vector_table(table))
    bump = f"UPDATE {_VERSIONS} SET version = version + 1 WHERE name = {literal(table)};"
    return {
        "insert": f"INSERT INTO {vectors} (id, vector) VALUES (new.id, NULL); {bump}",
        "update": f"UPDATE {vectors} SET vector = NULL WHERE id = new.id; {bump}",
        "delete": f"DELETE FROM {vectors} WHERE id = old.id; {bump}",
    }


def vectors_due(table: str) -> list[str]:
    """Make every record's embedding due, as after the table was rebuilt."""
    vectors = quote(vector_table(table))
    return [
        f"DELETE FROM {vectors}",
        f"INSERT INTO {vectors} (id, vector) SELECT id, NULL FROM {quote(table)}",
        f"UPDATE {_VERSIONS} SET version = version + 1 WHERE name = {literal(table)}",
    ]


def fill_vectors(conn: sqlite3.Connection, entity: Entity) -> int:
    """Compute the due embeddings of ``entity``'s records; returns how many there were.

    A record's text is its search fields, in declaration order, one per line.
    """
    vectors = quote(vector_table(entity.table))
    columns = ", ".join(f"coalesce(t.{quote(field.name)}, '')" for field in entity.search_fields)
    due = conn.execute(
        f"SELECT v.id, {columns} FROM {vectors} AS v JOIN {quote(entity.table)} AS t ON t.id = v.id "
        "WHERE v.vector IS NULL"
    ).fetchall()
    if not due:
        return 0
    embedded = embed(["\n".join(row[1:]) for row in due])
    conn.executemany(
        f"UPDATE {vectors} SET vector = ? WHERE id = ?",
        [(vector.tobytes(), row[0]) for row, vector in zip(due, embedded, strict=True)],
    )
    conn.execute(f"UPDATE {_VERSIONS} SET version = version + 1 WHERE name = ?", [entity.table])
    return len(due)


@dataclass(frozen=True)
class Matrix:
    """A table's embeddings: ``ids`` in ascending order, and ``vectors[i]`` the embedding of ``ids[i]``."""

    version: int
    ids: NDArray[np.int64]
    vectors: NDArray[np.float32]


class VectorCache:
    """Each table's embeddings as one matrix, read again from the database only when they change."""

    def __init__(self) -> None:
        self._matrices: dict[str, Matrix] = {}

    def matrix(self, conn: sqlite3.Connection, table: str) -> Matrix:
        """The current embeddings of ``table`` (none may be due: call :func:`fill_vectors` first)."""
        version: int = conn.execute(f"SELECT version FROM {_VERSIONS} WHERE name = ?", [table]).fetchone()[0]
        cached = self._matrices.get(table)
        if cached is not None and cached.version == version:
            return cached
        rows: list[Any] = conn.execute(
            f"SELECT id, vector FROM {quote(vector_table(table))} ORDER BY id"
        ).fetchall()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(
            len(rows), DIMENSIONS
        )
        self._matrices[table] = matrix = Matrix(version, ids, vectors)
        return matrix
