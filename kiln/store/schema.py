"""SQLite tables and indexes from the manifest, and safe migrations between manifest versions.

The database remembers the entities and fields it was built for (in ``_kiln_meta``). Opening it
with a newer manifest adds what is new, and rebuilds a table whose reference changed its target
or ``on_delete`` (keeping every row). A change that would lose data (a field removed or retyped
while it holds values, an entity removed while it has records, a reference whose values are not
ids of its new target) is refused with a message naming the change, and nothing is altered.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kiln.errors import SchemaError
from kiln.fieldtypes import FILES_TABLE
from kiln.manifest.model import Entity, Field, Manifest
from kiln.store.files import files_ddl, release_triggers
from kiln.store.runtime import runtime_ddl
from kiln.store.search_index import index_ddl, unindex_ddl
from kiln.store.sql import quote

__all__ = ["create_schema", "migrate", "quote"]

SCHEMA_VERSION = 1


def create_schema(conn: sqlite3.Connection, manifest: Manifest) -> None:
    """Create the whole schema in one transaction (fast: one fsync, not one per statement)."""
    statements = [
        "CREATE TABLE _kiln_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        *_auth_tables(manifest),
        *_search_tables(manifest),
        *files_ddl(manifest),
        *runtime_ddl(conn, manifest),
        *(statement for entity in manifest.entities.values() for statement in _entity_ddl(entity, manifest)),
        *release_triggers(conn, manifest),
    ]
    with _transaction(conn):
        for statement in statements:
            conn.execute(statement)
        _write_meta(conn, manifest)


def migrate(conn: sqlite3.Connection, manifest: Manifest) -> list[str]:
    """Bring an existing database to ``manifest``; returns what changed. Raises :class:`SchemaError`."""
    before = _read_snapshot(conn)
    after = snapshot(manifest)
    changes: list[str] = []
    statements: list[str] = []
    refusals: list[str] = []
    rebuilds: dict[str, list[str]] = {}  # entity -> its ref fields whose target or on_delete changed
    for name, fields in before.items():
        table = fields["__table__"]
        if name not in after:
            if _has_rows(conn, table, None):
                refusals.append(f"entity {name} was removed, but its table {table} has records")
            else:
                statements.extend(unindex_ddl(table))
                statements.append(f"DROP TABLE {quote(table)}")
                changes.append(f"dropped empty entity {name}")
            continue
        new_table = after[name]["__table__"]
        if new_table != table:
            refusals.append(f"entity {name} changed its collection from {table} to {new_table}")
            continue
        for column, kind in fields.items():
            if column == "__table__":
                continue
            new_kind = after[name].get(column)
            if new_kind is None and _has_rows(conn, table, column):
                refusals.append(f"field {name}.{column} was removed, but it holds values")
            elif new_kind is not None and new_kind["type"] != kind["type"] and _has_rows(conn, table, column):
                change = f"changed type from {kind['type']} to {new_kind['type']}"
                refusals.append(f"field {name}.{column} {change}, but it holds values")
            elif new_kind is not None and new_kind["type"] == kind["type"] == "ref" and new_kind != kind:
                # SQLite cannot alter a foreign key in place: the table is rebuilt, rows and all
                dangling = _dangling(conn, table, column, manifest, new_kind["to"], before)
                if dangling:
                    refusals.append(
                        f"field {name}.{column} now refers to {new_kind['to']}, but {dangling} of its "
                        f"values are not ids of a {new_kind['to']}"
                    )
                else:
                    rebuilds.setdefault(name, []).append(column)
    if refusals:
        raise SchemaError(
            "the database cannot follow app.toml without losing data:\n"
            + "\n".join(f"  {r}" for r in refusals)
            + "\nmove or delete that data first, or serve the app with a new data directory"
        )
    for name, columns in rebuilds.items():
        # first, on its own: a rebuild turns foreign keys off, which only works outside a
        # transaction, and it is idempotent, so a failure below leaves a database that migrates again
        _rebuild_references(conn, manifest.entities[name], manifest)
        changes.extend(f"changed the reference of {name}.{column}" for column in columns)
    for name, entity in manifest.entities.items():
        if name not in before:
            statements.extend(_entity_ddl(entity, manifest))
            changes.append(f"added entity {name}")
            continue
        known = before[name]
        for field in entity.fields.values():
            if field.name not in known:
                statements.append(f"ALTER TABLE {quote(entity.table)} ADD COLUMN {_column(field, manifest)}")
                statements.extend(_ref_indexes(entity, only=field.name))
                changes.append(f"added field {name}.{field.name}")
            elif known[field.name]["type"] != field.type:
                changes.append(f"retyped empty field {name}.{field.name} to {field.type}")
        statements.extend(_unique_indexes(entity, if_not_exists=True))
        searched = {field.name: field.search for field in entity.search_fields}
        if searched != _searched(known) or (searched and name in rebuilds):
            # new, dropped or reweighted search fields, or a rebuilt table (which lost its triggers)
            statements.extend([*unindex_ddl(entity.table), *index_ddl(entity)])
            changes.append(
                f"rebuilt the search index of {name}" if searched else f"dropped the search index of {name}"
            )
    statements.extend(_auth_tables(manifest))
    statements.extend(_search_tables(manifest))
    statements.extend(files_ddl(manifest))
    statements.extend(runtime_ddl(conn, manifest))
    statements.extend(release_triggers(conn, manifest))
    try:
        with _transaction(conn):
            for statement in statements:
                conn.execute(statement)
            _write_meta(conn, manifest)
    except sqlite3.IntegrityError as exc:
        raise SchemaError(
            f"the database cannot follow app.toml: {exc} (a field made unique holds duplicates)"
        ) from exc
    return changes


def snapshot(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """What the schema depends on: entity -> table and field -> type."""
    return {
        name: {"__table__": entity.table, **{f.name: _kind(f) for f in entity.fields.values()}}
        for name, entity in manifest.entities.items()
    }


def _auth_tables(manifest: Manifest) -> list[str]:
    """Revoked tokens (``jti`` and expiry), when the app has ``[auth]``."""
    if manifest.auth is None:
        return []
    return [
        "CREATE TABLE IF NOT EXISTS _kiln_revoked_tokens (jti TEXT PRIMARY KEY, exp INTEGER NOT NULL)",
    ]


def _search_tables(manifest: Manifest) -> list[str]:
    """The log of search requests that search analytics reads, when an entity is searched."""
    if not manifest.searched:
        return []
    return [
        "CREATE TABLE IF NOT EXISTS _kiln_search_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
        "entity TEXT NOT NULL, q TEXT NOT NULL, mode TEXT NOT NULL, results INTEGER NOT NULL, "
        "latency_ms REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS ix_kiln_search_log_at ON _kiln_search_log (at)",
    ]


def _kind(field: Field) -> dict[str, Any]:
    if field.type == "ref":
        return {"type": "ref", "to": field.to, "on_delete": field.on_delete}
    if field.search is not None:
        return {"type": field.type, "search": field.search}
    return {"type": field.type}


def _searched(fields: dict[str, Any]) -> dict[str, float]:
    """The search weights a snapshot's fields had (none in databases made before search)."""
    return {
        name: kind["search"]
        for name, kind in fields.items()
        if name != "__table__" and kind.get("search") is not None
    }


def _entity_ddl(entity: Entity, manifest: Manifest) -> list[str]:
    columns = [
        "id INTEGER PRIMARY KEY AUTOINCREMENT",  # ids are never reused, even after deletes
        "created_at TEXT NOT NULL",
        "updated_at TEXT NOT NULL",
        *(_column(field, manifest) for field in entity.fields.values()),
        *(f"{quote(name)} {sql}" for name, sql in entity.hidden_columns),
    ]
    table = quote(entity.table)
    return [
        f"CREATE TABLE {table} ({', '.join(columns)})",
        f"CREATE INDEX {quote(f'ix_{entity.table}_created_at')} ON {table} (created_at)",
        *_unique_indexes(entity, if_not_exists=False),
        *_ref_indexes(entity),
        *index_ddl(entity),
    ]


_ON_DELETE = {"cascade": "CASCADE", "restrict": "RESTRICT", "set_null": "SET NULL"}


def _column(field: Field, manifest: Manifest) -> str:
    column = f"{quote(field.name)} {field.kind.sql}"
    if field.type == "ref":
        target = manifest.entities[field.to or ""].table
        column += f" REFERENCES {quote(target)} (id) ON DELETE {_ON_DELETE[field.on_delete]}"
    elif field.type == "file":
        column += f" REFERENCES {FILES_TABLE} (id)"
    return column


def _ref_indexes(entity: Entity, only: str | None = None) -> list[str]:
    """An index on every ref and file column: reverse relations, cascades and file releases look
    rows up by it."""
    return [
        f"CREATE INDEX IF NOT EXISTS {quote(f'ix_{entity.table}_{field.name}')} "
        f"ON {quote(entity.table)} ({quote(field.name)})"
        for field in entity.fields.values()
        if field.type in ("ref", "file") and (only is None or field.name == only)
    ]


def _unique_indexes(entity: Entity, if_not_exists: bool) -> list[str]:
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return [
        f"CREATE UNIQUE INDEX {guard}{quote(f'ux_{entity.table}_{field.name}')} "
        f"ON {quote(entity.table)} ({quote(field.name)})"
        for field in entity.fields.values()
        if field.unique
    ]


def _write_meta(conn: sqlite3.Connection, manifest: Manifest) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO _kiln_meta VALUES (?, ?)",
        [
            ("app", manifest.name),
            ("schema_version", str(SCHEMA_VERSION)),
            ("entities", json.dumps(snapshot(manifest), sort_keys=True)),
        ],
    )


def _read_snapshot(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    try:
        row = conn.execute(
            "SELECT value FROM _kiln_meta WHERE key = 'entities'"
        ).fetchone()  # pragma: no mutate
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"not a kiln database: {exc}") from exc
    if row is None:
        raise SchemaError("not a kiln database: it has no record of the entities it was built for")
    entities: dict[str, dict[str, Any]] = json.loads(row[0])
    return entities


def _dangling(
    conn: sqlite3.Connection,
    table: str,
    column: str,
    manifest: Manifest,
    target: str,
    before: dict[str, dict[str, Any]],
) -> int:
    """How many values of ``table.column`` are not ids of ``target`` (all of them if it is new)."""
    values = f"SELECT count(*) FROM {quote(table)} WHERE {quote(column)} IS NOT NULL"
    if target not in before:
        return int(conn.execute(values).fetchone()[0])
    ids = quote(manifest.entities[target].table)
    missing = f"{values} AND {quote(column)} NOT IN (SELECT id FROM {ids})"
    return int(conn.execute(missing).fetchone()[0])


def _rebuild_references(conn: sqlite3.Connection, entity: Entity, manifest: Manifest) -> None:
    """Rebuild ``entity``'s table with the foreign keys the manifest gives it, keeping every row.

    sqlite-utils' ``transform`` copies the table into a new one, keeping ``AUTOINCREMENT``, the
    id sequence and the indexes, with foreign keys turned off while it does, so cascades on
    the old table never fire.
    """
    import sqlite_utils  # only here: it takes ~80 ms to import, and rebuilds are rare
    from sqlite_utils.db import ForeignKey

    foreign_keys = [
        ForeignKey(entity.table, field.name, FILES_TABLE, "id")  # pragma: no mutate (as below)
        for field in entity.fields.values()
        if field.type == "file"
    ]
    for field in entity.fields.values():
        if field.type != "ref":
            continue
        assert field.to is not None  # the manifest gives every ref its target
        target = manifest.entities[field.to].table
        foreign_keys.append(
            ForeignKey(
                entity.table,  # pragma: no mutate (transform names the table itself)
                field.name,
                target,
                "id",  # pragma: no mutate (SQLite reads ID as id)
                on_delete=_ON_DELETE[field.on_delete],
            )
        )
    sqlite_utils.Database(conn).table(entity.table).transform(foreign_keys=foreign_keys)


def _has_rows(conn: sqlite3.Connection, table: str, column: str | None) -> bool:
    where = f"WHERE {quote(column)} IS NOT NULL" if column else "WHERE 1"
    found: int = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)} {where})").fetchone()[0]
    return found == 1


class _transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on error, on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
