"""The tables and triggers behind uploaded files: which files exist, and which blobs to unlink.

``_kiln_files`` holds one row per file: its name, size, content type, the sha256 of its bytes
(which names its blob), who uploaded it, and how (``upload`` or ``presigned``). A record's
``file`` field holds a file's id, under a foreign key.

Triggers keep the references exact on every write path, cascades included: when a record
releases a file (the field is replaced or cleared, or the record is deleted) and no record of
any entity still refers to it, the uploaded file's row is deleted in the same statement; when
the last row of a sha256 goes, the sha256 is queued in ``_kiln_blob_releases``. The blob files
are unlinked from that queue after the transaction commits (``kiln.files.blobs``), so a
rolled-back write never loses a file, and a crash in between leaves a queue ``kiln gc`` empties.
"""

from __future__ import annotations

import sqlite3

from kiln.fieldtypes import FILES_TABLE
from kiln.manifest.model import Manifest
from kiln.store.sql import quote

__all__ = ["RELEASES_TABLE", "files_ddl", "release_triggers", "unreferenced"]

#: The queue of sha256s whose last file row went: their blobs are to be unlinked.
RELEASES_TABLE = "_kiln_blob_releases"
_TRIGGER_PREFIX = "_kiln_files_"


def files_ddl(manifest: Manifest) -> list[str]:
    """Create the tables (if missing) when the app serves files."""
    if not manifest.has_files:
        return []
    return [
        f"CREATE TABLE IF NOT EXISTS {FILES_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "name TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL, sha256 TEXT NOT NULL, "
        "kind TEXT NOT NULL DEFAULT 'upload', uploaded_by INTEGER, created_at TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS ix_kiln_files_sha256 ON {FILES_TABLE} (sha256)",
        f"CREATE INDEX IF NOT EXISTS ix_kiln_files_name ON {FILES_TABLE} (name, id)",
        f"CREATE TABLE IF NOT EXISTS {RELEASES_TABLE} (sha256 TEXT PRIMARY KEY)",
        f"CREATE TRIGGER IF NOT EXISTS _kiln_blob_release AFTER DELETE ON {FILES_TABLE} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {FILES_TABLE} WHERE sha256 = old.sha256) "
        f"BEGIN INSERT OR IGNORE INTO {RELEASES_TABLE} (sha256) VALUES (old.sha256); END",
    ]


def unreferenced(manifest: Manifest, file_id: str) -> str:
    """``AND NOT EXISTS (...)`` for each file field: true when no record holds the file ``file_id``
    (an SQL expression, such as ``old."cover"`` or ``_kiln_files.id``)."""
    return " ".join(
        f"AND NOT EXISTS (SELECT 1 FROM {quote(entity.table)} WHERE {quote(field.name)} = {file_id})"
        for entity, field in manifest.file_fields
    )


def release_triggers(conn: sqlite3.Connection, manifest: Manifest) -> list[str]:
    """Drop the release triggers there are and create those ``manifest`` needs.

    Each trigger names every file field of every entity (a file is released only when none
    refers to it), so they are made again whenever the schema is migrated.
    """
    existing = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB ?", [f"{_TRIGGER_PREFIX}*"]
    ).fetchall()
    # IF EXISTS: a table this migration drops takes its triggers with it
    statements = [f"DROP TRIGGER IF EXISTS {quote(name)}" for (name,) in existing]
    for entity, field in manifest.file_fields:
        table, column = quote(entity.table), quote(field.name)
        free = unreferenced(manifest, f"old.{column}")
        release = f"DELETE FROM {FILES_TABLE} WHERE id = old.{column} AND kind = 'upload' {free};"
        name = f"{_TRIGGER_PREFIX}{entity.table}_{field.name}"
        statements += [
            f"CREATE TRIGGER {quote(name + '_delete')} AFTER DELETE ON {table} "
            f"WHEN old.{column} IS NOT NULL BEGIN {release} END",
            f"CREATE TRIGGER {quote(name + '_update')} AFTER UPDATE OF {column} ON {table} "
            f"WHEN old.{column} IS NOT NULL AND old.{column} IS NOT new.{column} BEGIN {release} END",
        ]
    return statements
