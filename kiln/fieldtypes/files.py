"""``file``: a reference to an uploaded file, returned as the file object.

The column holds the id of a row of ``_kiln_files``; a record's JSON holds the file object
(``id``, ``name``, ``size``, ``content_type``, ``sha256``, ``url``, ``created_at``) or ``null``.
The object is read in the same statement as the record: :meth:`FileType.select` is a subquery
that builds it as JSON, so every query that selects records (lists, ``with``, search,
``RETURNING``) returns it without a query per row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as quote_url

import orjson

from kiln.errors import Invalid
from kiln.fieldtypes.base import FieldType, Spec

__all__ = ["FILES_TABLE", "FileType", "file_object", "file_url"]

#: The table of uploaded files.
FILES_TABLE = "_kiln_files"
#: The columns of a file object, in order, as ``_kiln_files`` holds them.
_OBJECT_COLUMNS = ("id", "name", "size", "content_type", "sha256", "created_at")


def file_url(file_id: int, name: str) -> str:
    """Where a file is downloaded: ``/files/<id>/<name>``, the name percent-encoded."""
    return f"/files/{file_id}/{quote_url(name, safe='')}"


def file_object(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON file object of a ``_kiln_files`` row (given as a mapping of its columns)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "size": row["size"],
        "content_type": row["content_type"],
        "sha256": row["sha256"],
        "url": file_url(row["id"], row["name"]),
        "created_at": row["created_at"],
    }


class FileType(FieldType):
    """``file``: set by an upload, or by a JSON body to the ``id`` of an uploaded file, or ``null``.

    ``max_size``, ``accept`` and ``thumbs`` limit what an upload to the field may be; whether the
    id names a file the caller may use is checked against the database (``kiln.files``).
    """

    name, sql = "file", "INTEGER"
    options = frozenset({"max_size", "accept", "thumbs"})
    operators = frozenset({"isnull"})
    sortable = False

    def coerce(self, value: Any, spec: Spec) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
            raise Invalid("must be the id of an uploaded file (a positive integer), or null")
        return value

    def parse_form(self, raw: str) -> int | None:
        if raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise Invalid("must be the id of an uploaded file") from None

    def select(self, table: str, column: str) -> str:
        pairs = ", ".join(f"'{name}', f.{name}" for name in _OBJECT_COLUMNS)
        return f"(SELECT json_object({pairs}) FROM {FILES_TABLE} AS f WHERE f.id = {table}.{column})"

    def to_json(self, stored: Any) -> Any:
        return file_object(orjson.loads(stored))

    def returned_schema(self) -> dict[str, Any]:
        return {"$ref": "#/components/schemas/File"}

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {
            "type": "integer",
            "minimum": 1,
            "maximum": 2**63 - 1,
            "description": "the id of an uploaded file (POST /api/_files); records return the file object",
        }
