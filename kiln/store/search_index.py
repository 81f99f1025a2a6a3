"""The full-text index of an entity's ``search`` fields: an FTS5 table kept in step by triggers.

Each entity with ``search`` fields has an external-content FTS5 table, ``_kiln_search_<table>``,
over those columns of its own table. Triggers on the table update it in the same statement as
the row, so every write path keeps it true: the REST API, a cascade or a ``set null``, a handler's
``ctx.db`` and a test's ``app.db``. :func:`rebuild` recomputes it from the table
(``kiln reindex``), and a migration that changes the searched fields rebuilds it.
"""

from __future__ import annotations

import sqlite3

from kiln.manifest.model import Entity, Field
from kiln.store.sql import literal, quote

__all__ = ["TOKENIZER", "index_ddl", "index_table", "rebuild", "search_fields", "unindex_ddl"]

#: Porter stemming over Unicode words, with accents folded: "Cafés" finds "cafe".
TOKENIZER = "porter unicode61 remove_diacritics 2"


def search_fields(entity: Entity) -> list[Field]:
    """The fields with a ``search`` weight, in declaration order (the index's column order)."""
    return [field for field in entity.fields.values() if field.search is not None]


def index_table(table: str) -> str:
    """The FTS5 table that indexes ``table``."""
    return f"_kiln_search_{table}"


def index_ddl(entity: Entity) -> list[str]:
    """Create the index and its triggers, and fill it from the rows already there."""
    fields = search_fields(entity)
    if not fields:
        return []
    table, index = quote(entity.table), quote(index_table(entity.table))
    names = [quote(field.name) for field in fields]
    columns = ", ".join(names)
    new = ", ".join(f"new.{name}" for name in names)
    old = ", ".join(f"old.{name}" for name in names)
    forget = f"INSERT INTO {index} ({index}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO {index} (rowid, {columns}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({columns}, content={literal(entity.table)}, "
        f"content_rowid='id', tokenize={literal(TOKENIZER)})",
        f"CREATE TRIGGER {_trigger(entity, 'insert')} AFTER INSERT ON {table} BEGIN {learn} END",
        f"CREATE TRIGGER {_trigger(entity, 'delete')} AFTER DELETE ON {table} BEGIN {forget} END",
        f"CREATE TRIGGER {_trigger(entity, 'update')} AFTER UPDATE OF {columns} ON {table} "
        f"BEGIN {forget} {learn} END",
        f"INSERT INTO {index} ({index}) VALUES ('rebuild')",
    ]


def unindex_ddl(table: str) -> list[str]:
    """Drop the index of ``table`` and its triggers, if they exist."""
    return [
        *(f"DROP TRIGGER IF EXISTS {quote(f'_kiln_search_{table}_{event}')}" for event in _EVENTS),
        f"DROP TABLE IF EXISTS {quote(index_table(table))}",
    ]


def rebuild(conn: sqlite3.Connection, entity: Entity) -> int:
    """Recompute ``entity``'s index from its table; returns how many records it holds."""
    index = quote(index_table(entity.table))
    conn.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")
    count: int = conn.execute(f"SELECT count(*) FROM {quote(entity.table)}").fetchone()[0]
    return count


_EVENTS = ("insert", "delete", "update")


def _trigger(entity: Entity, event: str) -> str:
    return quote(f"_kiln_search_{entity.table}_{event}")
