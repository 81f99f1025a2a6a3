"""A JSON body may set a ``file`` field to a file the caller uploaded (any file, for an admin).

Files uploaded without signing in (where ``[files] upload`` is ``public``) are anyone's who has
not signed in.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kiln.fieldtypes import FILES_TABLE
from kiln.files.access import is_admin
from kiln.files.sniff import accepts
from kiln.manifest.model import Entity

__all__ = ["check_file_references"]


def check_file_references(
    conn: sqlite3.Connection,
    entity: Entity,
    values: dict[str, Any],
    user: Any,
    current: dict[str, Any] | None,
) -> dict[str, str]:
    """A message for each file field of ``values`` naming a file the caller may not use, or one
    the field would refuse as an upload (its type or size).

    A field that keeps the file it has (``current``, the record before an update) needs no check.
    """
    problems: dict[str, str] = {}
    for name, value in values.items():
        field = entity.fields.get(name)
        if field is None or field.type != "file" or value is None:
            continue
        held = current.get(name) if current is not None else None
        if isinstance(held, dict) and held.get("id") == value:
            continue
        row = conn.execute(
            f"SELECT uploaded_by, content_type, size FROM {FILES_TABLE} WHERE id = ?", [value]
        ).fetchone()
        if row is None:
            problems[name] = f"file {value} does not exist"
        elif not is_admin(user) and row[0] != (user["id"] if user is not None else None):
            problems[name] = f"file {value} was not uploaded by you"
        elif not accepts(field.accept, row[1]):
            problems[name] = f"file {value} is {row[1]}, and this field takes {' or '.join(field.accept)}"
        elif field.max_size is not None and row[2] > field.max_size:
            problems[name] = f"file {value} is {row[2]} bytes, and this field takes at most {field.max_size}"
    return problems
