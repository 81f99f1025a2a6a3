"""``GET /api/_files`` and ``DELETE /api/_files/{id}``, for ``role:admin``.

The listing is newest first, in the list shape (``items``, ``page``, ``per_page``, ``total``);
``prefix`` keeps the files whose name starts with it. Deleting a file that a record still refers
to is 409 ``delete_restricted``, naming the records.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kiln.auth.guards import enforce
from kiln.errors import BadRequest, DeleteRestricted, NotFound
from kiln.fieldtypes import FILES_TABLE, file_object
from kiln.files.endpoints import Endpoint, read_file_row
from kiln.http.paging import page_and_size
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest
from kiln.store.sql import quote

__all__ = ["admin_endpoints"]

_ADMIN = ("auth", "role:admin")
_OBJECT = "id, name, size, content_type, sha256, created_at"
_SHOWN = 10


def admin_endpoints(manifest: Manifest) -> tuple[Endpoint, Endpoint] | None:
    """The listing and delete endpoints, for an app with ``[auth]``."""
    if manifest.auth is None:
        return None

    async def listing(request: Request) -> Response:
        await enforce(request, _ADMIN, manifest.handlers)
        params = dict(request.query_params)
        unknown = sorted(set(params) - {"prefix", "page", "per_page"})
        if unknown:
            raise BadRequest(
                f'unknown parameter "{unknown[0]}": the file list takes prefix, page and per_page'
            )
        page, per_page = page_and_size(params)
        prefix = params.get("prefix", "")
        where, args = "substr(name, 1, ?) = ?", [len(prefix), prefix]
        conn = request.app.state.kiln.db.conn
        total = conn.execute(f"SELECT count(*) FROM {FILES_TABLE} WHERE {where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT {_OBJECT} FROM {FILES_TABLE} WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, per_page, (page - 1) * per_page],
        ).fetchall()
        names = [name.strip() for name in _OBJECT.split(",")]
        items = [file_object(dict(zip(names, row, strict=True))) for row in rows]
        return JSONResponse({"items": items, "page": page, "per_page": per_page, "total": total})

    async def delete(request: Request) -> Response:
        await enforce(request, _ADMIN, manifest.handlers)
        state = request.app.state.kiln
        file_id: int = request.path_params["id"]
        with state.db.write() as conn:
            row = read_file_row(conn, file_id)
            if row is None:
                raise NotFound(f"file {file_id} not found")
            _refuse_if_used(conn, manifest, file_id)
            conn.execute(f"DELETE FROM {FILES_TABLE} WHERE id = ?", [file_id])
        return JSONResponse({"deleted": file_object(row)})

    return listing, delete


def _refuse_if_used(conn: Any, manifest: Manifest, file_id: int) -> None:
    """409 naming the records (up to ten per field) whose file fields hold the file."""
    holders: dict[str, str] = {}
    for entity, field in manifest.file_fields:
        table, column = quote(entity.table), quote(field.name)
        sql = f"SELECT id FROM {table} WHERE {column} = ? ORDER BY id LIMIT {_SHOWN}"
        ids = [str(row[0]) for row in conn.execute(sql, [file_id])]
        if ids:
            holders[f"{entity.name}.{field.name}"] = f"refers to it ({entity.name} {', '.join(ids)})"
    if holders:
        named = "; ".join(f"{where} {why}" for where, why in holders.items())
        raise DeleteRestricted(f"file {file_id} cannot be deleted: {named}", fields=holders)
