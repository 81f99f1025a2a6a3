"""Embeddings of each searched record, stored in the app's database and ranked with numpy.

``_kiln_vectors_<table>`` holds one row per record: its id, its embedding (256 float32 values
as a blob, or ``NULL`` while one is due) and ``seq``, the table's version when the row last
changed. The table's triggers (made by :mod:`kiln.store.search_index`) add a due row for a new
record, make it due again when a searched field changes, and delete it with the record, leaving
its id in ``_kiln_vector_deletes``; each change counts one more version in
``_kiln_vector_versions``. :func:`fill_vectors` computes the due embeddings. :class:`VectorCache`
keeps a table's vectors as one matrix in memory and, when the version moves, reads only the rows
changed or deleted since, so a semantic search stays one matrix product after a write.
"""

from __future__ import annotations

import sqlite3
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
_DELETES = "_kiln_vector_deletes"


def vector_table(table: str) -> str:
    """The table of ``table``'s embeddings."""
    return f"_kiln_vectors_{table}"


def vector_ddl(table: str) -> list[str]:
    """Create the embeddings table of ``table``, its version counter and its record of deletes."""
    vectors = quote(vector_table(table))
    return [
        f"CREATE TABLE IF NOT EXISTS {_VERSIONS} (name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {_DELETES} "
        "(name TEXT NOT NULL, id INTEGER NOT NULL, seq INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS ix_kiln_vector_deletes ON {_DELETES} (name, seq)",
        f"CREATE TABLE {vectors} (id INTEGER PRIMARY KEY, vector BLOB, seq INTEGER NOT NULL)",
        # finds the due ones, and those changed since a version, at once however many there are
        f"CREATE INDEX {quote(f'ix_{vector_table(table)}_due')} ON {vectors} (id) WHERE vector IS NULL",
        f"CREATE INDEX {quote(f'ix_{vector_table(table)}_seq')} ON {vectors} (seq)",
        f"INSERT OR IGNORE INTO {_VERSIONS} VALUES ({literal(table)}, 0)",  # a rebuild counts on
    ]


def drop_vectors_ddl(table: str) -> list[str]:
    """Drop the embeddings of ``table``, if there are any (its deletes go when it is indexed again)."""
    return [f"DROP TABLE IF EXISTS {quote(vector_table(table))}"]


def vector_triggers(table: str) -> dict[str, str]:
    """The statements each trigger of ``table`` runs for its embeddings, by event."""
    vectors, name = quote(vector_table(table)), literal(table)
    bump = f"UPDATE {_VERSIONS} SET version = version + 1 WHERE name = {name};"
    version = f"(SELECT version FROM {_VERSIONS} WHERE name = {name})"
    return {
        "insert": f"{bump} INSERT INTO {vectors} (id, vector, seq) VALUES (new.id, NULL, {version});",
        "update": f"{bump} UPDATE {vectors} SET vector = NULL, seq = {version} WHERE id = new.id;",
        "delete": f"{bump} DELETE FROM {vectors} WHERE id = old.id; "
        f"INSERT INTO {_DELETES} (name, id, seq) VALUES ({name}, old.id, {version});",
    }


def vectors_due(table: str) -> list[str]:
    """Make every record's embedding due, as after the table was rebuilt."""
    vectors, name = quote(vector_table(table)), literal(table)
    return [
        f"UPDATE {_VERSIONS} SET version = version + 1 WHERE name = {name}",
        f"DELETE FROM {vectors}",
        f"DELETE FROM {_DELETES} WHERE name = {name}",
        f"INSERT INTO {vectors} (id, vector, seq) SELECT id, NULL, "
        f"(SELECT version FROM {_VERSIONS} WHERE name = {name}) FROM {quote(table)}",
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
    conn.execute(f"UPDATE {_VERSIONS} SET version = version + 1 WHERE name = ?", [entity.table])
    version = conn.execute(f"SELECT version FROM {_VERSIONS} WHERE name = ?", [entity.table]).fetchone()[0]
    conn.executemany(
        f"UPDATE {vectors} SET vector = ?, seq = ? WHERE id = ?",
        [(vector.tobytes(), version, row[0]) for row, vector in zip(due, embedded, strict=True)],
    )
    return len(due)


class Matrix:
    """A table's embeddings in memory: ``ids`` ascending, ``vectors[i]`` the embedding of ``ids[i]``.

    ``alive[i]`` is false for a record deleted since the matrix was read whole (its row stays,
    zeroed, until the next full read). Rows grow in place as records are added.
    """

    def __init__(self, version: int, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        self.version = version
        self._ids = ids
        self._vectors = vectors
        self._alive = np.ones(len(ids), dtype=bool)
        self._size = len(ids)
        self._position = {int(record_id): row for row, record_id in enumerate(ids)}

    @property
    def ids(self) -> NDArray[np.int64]:
        """The record ids, ascending (a view)."""
        return self._ids[: self._size]

    @property
    def vectors(self) -> NDArray[np.float32]:
        """One embedding per id, in the same order (a view)."""
        return self._vectors[: self._size]

    @property
    def alive(self) -> NDArray[np.bool_]:
        """Whether each id's record still exists (a view)."""
        return self._alive[: self._size]

    def apply(self, version: int, changed: list[tuple[int, bytes | None]], deleted: list[int]) -> bool:
        """Bring the matrix to ``version``; ``False`` when a new id would break the order (read it whole)."""
        for record_id in deleted:
            row = self._position.pop(record_id, None)
            if row is not None:
                self._alive[row] = False
                self._vectors[row] = 0.0
        for record_id, blob in changed:
            row = self._position.get(record_id)
            if row is None:
                if self._size and record_id < self._ids[self._size - 1]:
                    return False
                row = self._append(record_id)
            self._alive[row] = True
            self._vectors[row] = np.frombuffer(blob, dtype=np.float32) if blob is not None else 0.0
        self.version = version
        return True

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` more records beyond those held (one copy of the matrix)."""
        room = self._size + rows
        if room > len(self._ids):
            self._ids = np.resize(self._ids, room)
            self._vectors = np.resize(self._vectors, (room, DIMENSIONS))
            self._alive = np.resize(self._alive, room)

    def _append(self, record_id: int) -> int:
        # full: double the room, so adding n rows copies O(n)
        if self._size == len(self._ids):  # pragma: no mutate (growing early is only slower)
            self.reserve(max(16, self._size))
        row = self._size
        self._ids[row] = record_id
        self._position[record_id] = row
        self._size += 1
        return row


class VectorCache:
    """Each table's embeddings as one matrix, brought up to date with the rows changed since."""

    def __init__(self) -> None:
        self._matrices: dict[str, Matrix] = {}

    def matrix(self, conn: sqlite3.Connection, table: str) -> Matrix:
        """The current embeddings of ``table`` (a due one counts as zero until it is filled)."""
        version: int = conn.execute(f"SELECT version FROM {_VERSIONS} WHERE name = ?", [table]).fetchone()[0]
        cached = self._matrices.get(table)
        if cached is not None and cached.version == version:
            return cached
        vectors = quote(vector_table(table))
        if cached is not None and cached.version < version:
            # sorted here: ORDER BY id would make SQLite walk every row by id instead of the seq index
            changed = sorted(
                conn.execute(f"SELECT id, vector FROM {vectors} WHERE seq > ?", [cached.version])
            )
            deleted = conn.execute(
                f"SELECT id FROM {_DELETES} WHERE name = ? AND seq > ?", [table, cached.version]
            ).fetchall()
            if cached.apply(version, changed, [row[0] for row in deleted]):
                return cached
        rows: list[Any] = conn.execute(f"SELECT id, vector FROM {vectors} ORDER BY id").fetchall()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        zero = bytes(4 * DIMENSIONS)
        blobs = b"".join(row[1] if row[1] is not None else zero for row in rows)
        read = np.frombuffer(blobs, dtype=np.float32).reshape(len(rows), DIMENSIONS)
        matrix = Matrix(version, ids, read.copy())  # a copy: bytes are read-only, and rows change
        matrix.reserve(len(rows) // 4 + 1024)  # room to add records without copying the matrix
        self._matrices[table] = matrix
        return matrix
