"""The indexes of an entity's ``search`` fields: FTS5 for keywords, vectors for meaning.

Each entity with ``search`` fields has an external-content FTS5 table, ``_kiln_search_<table>``,
over those columns of its own table, and a table of embeddings, ``_kiln_vectors_<table>`` (see
:mod:`kiln.store.vectors`). Triggers on the table update the FTS index in the same statement as
the row, and mark the row's embedding as due (``NULL``), so every write path keeps both true: the
REST API, a cascade or a ``set null``, a handler's ``ctx.db`` and a test's ``app.db``. The API
computes a due embedding in the same transaction as its write; a search computes any left by
plain SQL before it ranks. :func:`rebuild` recomputes both from the table (``kiln reindex``), and
a migration that changes the searched fields rebuilds them.
"""

from __future__ import annotations

import sqlite3

from kiln.manifest.model import Entity
from kiln.store.sql import literal, quote
from kiln.store.vectors import drop_vectors_ddl, fill_vectors, vector_ddl, vector_triggers, vectors_due

__all__ = ["TOKENIZER", "index_ddl", "index_table", "rebuild", "unindex_ddl"]

#: Porter stemming over Unicode words, with accents folded: "Cafés" finds "cafe".
TOKENIZER = "porter unicode61 remove_diacritics 2"


def index_table(table: str) -> str:
    """The FTS5 table that indexes ``table``."""
    return f"_kiln_search_{table}"


def index_ddl(entity: Entity) -> list[str]:
    """Create the index and its triggers, and fill it from the rows already there."""
    fields = entity.search_fields
    if not fields:
        return []
    table, index = quote(entity.table), quote(index_table(entity.table))
    names = [quote(field.name) for field in fields]
    columns = ", ".join(names)
    new = ", ".join(f"new.{name}" for name in names)
    old = ", ".join(f"old.{name}" for name in names)
    forget = f"INSERT INTO {index} ({index}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO {index} (rowid, {columns}) VALUES (new.id, {new});"
    vectors = vector_triggers(entity.table)
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({columns}, content={literal(entity.table)}, "
        f"content_rowid='id', tokenize={literal(TOKENIZER)})",
        *vector_ddl(entity.table),
        f"CREATE TRIGGER {_trigger(entity, 'insert')} AFTER INSERT ON {table} "
        f"BEGIN {learn} {vectors['insert']} END",
        f"CREATE TRIGGER {_trigger(entity, 'delete')} AFTER DELETE ON {table} "
        f"BEGIN {forget} {vectors['delete']} END",
        f"CREATE TRIGGER {_trigger(entity, 'update')} AFTER UPDATE OF {columns} ON {table} "
        f"BEGIN {forget} {learn} {vectors['update']} END",
        f"INSERT INTO {index} ({index}) VALUES ('rebuild')",
        *vectors_due(entity.table),
    ]


def unindex_ddl(table: str) -> list[str]:
    """Drop the index of ``table`` and its triggers, if they exist."""
    return [
        *(f"DROP TRIGGER IF EXISTS {quote(f'_kiln_search_{table}_{event}')}" for event in _EVENTS),
        f"DROP TABLE IF EXISTS {quote(index_table(table))}",
        *drop_vectors_ddl(table),
    ]


def rebuild(conn: sqlite3.Connection, entity: Entity) -> int:
    """Recompute ``entity``'s index from its table; returns how many records it holds."""
    index = quote(index_table(entity.table))
    conn.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")
    for statement in vectors_due(entity.table):
        conn.execute(statement)
    fill_vectors(conn, entity)
    count: int = conn.execute(f"SELECT count(*) FROM {quote(entity.table)}").fetchone()[0]
    return count


_EVENTS = ("insert", "delete", "update")


def _trigger(entity: Entity, event: str) -> str:
    return quote(f"_kiln_search_{entity.table}_{event}")
