"""``POST /api/_files`` (upload) and ``GET /files/{id}/{name}`` (download, and thumbnails)."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from kiln.auth.current import authenticate
from kiln.auth.guards import enforce
from kiln.errors import BadRequest, NotFound, RangeNotSatisfiable, ValidationFailed
from kiln.fieldtypes import FILES_TABLE, file_object, format_datetime
from kiln.files.access import may_download
from kiln.files.blobs import BlobStore, Incoming
from kiln.files.images import THUMBNAILED, thumbnail
from kiln.files.multipart import FilePolicy, read_form
from kiln.http.etags import matches_weakly
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest
from kiln.store.sql import quote

__all__ = ["CACHE_CONTROL", "Endpoint", "insert_file", "read_file_row", "serve_file", "transfer_endpoints"]

#: A Starlette endpoint.
Endpoint = Callable[[Request], Awaitable[Response]]

#: Downloads never change: a file's URL names its id, and its bytes are fixed.
CACHE_CONTROL = "public, max-age=31536000, immutable"
_COLUMNS = "id, name, size, content_type, sha256, kind, uploaded_by, created_at"
_PART = "file"
_THUMB = re.compile(r"^([0-9]{1,4})x([0-9]{1,4})$")


def transfer_endpoints(manifest: Manifest) -> tuple[Endpoint, Endpoint]:
    """The upload (``POST /api/_files``) and download (``GET /files/{id}/{name}``) endpoints."""
    settings = manifest.files

    def policy(name: str) -> FilePolicy:
        if name != _PART:
            raise ValidationFailed(
                f'send the file as the multipart part "{_PART}"', fields={name: "is not a part this takes"}
            )
        return FilePolicy("the file", settings.max_size, settings.accept)

    async def upload(request: Request) -> Response:
        user = await enforce(request, settings.upload, manifest.handlers)
        state = request.app.state.kiln
        form = await read_form(request, state.blobs, policy, manifest.max_body)
        try:
            incoming = form.files.get(_PART)
            if incoming is None:
                raise ValidationFailed(
                    f'send the file as the multipart part "{_PART}"', fields={_PART: "is required"}
                )
            with state.db.write() as conn:
                row = insert_file(conn, incoming, user, format_datetime(state.clock.now()))
                state.blobs.keep(incoming)  # last in the transaction: gc never sees a blob without a row
        finally:
            form.discard()
        body = file_object(row)
        return JSONResponse(body, 201, headers={"Location": body["url"]})

    async def download(request: Request) -> Response:
        row = read_file_row(request.app.state.kiln.db.conn, request.path_params["id"])
        if row is None or row["name"] != request.path_params["name"]:
            raise NotFound(f"no file at {request.url.path}")
        if not await may_download(request, manifest, row, authenticate(request)):
            raise NotFound(f"no file at {request.url.path}")
        blobs: BlobStore = request.app.state.kiln.blobs
        thumb = request.query_params.get("thumb")
        if thumb is None:
            return serve_file(request, blobs.path(row["sha256"]), row, f'"{row["sha256"]}"')
        size = _thumb_size(request.app.state.kiln.db.conn, manifest, row, thumb)
        sha256 = row["sha256"]
        try:
            made = thumbnail(blobs.path(sha256), blobs.thumbs_of(sha256), row["content_type"], size)
        except FileNotFoundError:
            raise NotFound(f"no file at {request.url.path}") from None
        return serve_file(request, made, row, f'"{row["sha256"]}-{thumb}"')

    return upload, download


def insert_file(conn: Any, incoming: Incoming, user: Any, now: str, kind: str = "upload") -> dict[str, Any]:
    """Write the row of a finished upload, in the caller's transaction.

    The caller makes the upload its blob (:meth:`BlobStore.keep`) as the transaction's last step,
    so a write that fails before it leaves no blob, and ``kiln gc`` never sees a blob without a row.
    """
    cursor = conn.execute(
        f"INSERT INTO {FILES_TABLE} (name, size, content_type, sha256, kind, uploaded_by, created_at) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        [
            incoming.name,
            incoming.size,
            incoming.content_type,
            incoming.sha256,
            kind,
            user["id"] if user is not None else None,
            now,
        ],
    )
    return _as_dict(cursor.fetchone())


def read_file_row(conn: Any, file_id: int) -> dict[str, Any] | None:
    """The row of file ``file_id``, or ``None``."""
    if file_id > 2**63 - 1:
        return None
    found = conn.execute(f"SELECT {_COLUMNS} FROM {FILES_TABLE} WHERE id = ?", [file_id]).fetchone()
    return _as_dict(found) if found is not None else None


def serve_file(request: Request, path: Path, row: dict[str, Any], tag: str) -> Response:
    """The bytes at ``path`` as ``row``'s file, with ranges, ``ETag`` and 304."""
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if matches_weakly(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise NotFound(f"no file at {request.url.path}") from None
    _check_range(request, tag, stat.st_size)
    return FileResponse(
        path, headers=headers, media_type=row["content_type"], filename=row["name"], stat_result=stat
    )


def _thumb_size(conn: Any, manifest: Manifest, row: dict[str, Any], thumb: str) -> tuple[int, int]:
    """The size ``?thumb=WxH`` asks for: one that a field referring to the file declares, or 400."""
    declared: list[tuple[int, int]] = []
    for entity, field in manifest.file_fields:
        sql = f"SELECT 1 FROM {quote(entity.table)} WHERE {quote(field.name)} = ? LIMIT 1"
        if field.thumbs and conn.execute(sql, [row["id"]]).fetchone() is not None:
            declared.extend(size for size in field.thumbs if size not in declared)
    shown = ", ".join(f"{width}x{height}" for width, height in declared)
    if not declared:
        raise BadRequest("this file has no thumbnails: no field that refers to it declares thumbs")
    if row["content_type"] not in THUMBNAILED:
        kind = row["content_type"]
        raise BadRequest(f"this file is {kind}: thumbnails are made of PNG, JPEG, GIF and WebP images")
    found = _THUMB.match(thumb)
    size = (int(found.group(1)), int(found.group(2))) if found else None
    if size not in declared:
        raise BadRequest(f"thumb must be one of the declared sizes: {shown} (got {thumb!r})")
    assert size is not None
    return size


def _check_range(request: Request, tag: str, size: int) -> None:
    """416 (or 400) in the error envelope for a ``Range`` FileResponse would refuse in plain text."""
    requested = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if requested is None or (if_range is not None and if_range != tag):
        return
    from starlette.responses import MalformedRangeHeader
    from starlette.responses import RangeNotSatisfiable as Unsatisfiable

    try:
        FileResponse._parse_range_header(requested, size)  # the parser FileResponse itself uses
    except MalformedRangeHeader as exc:
        raise BadRequest(f"the Range header is malformed: {exc.content}") from None
    except Unsatisfiable:
        raise RangeNotSatisfiable(
            f"the range is outside the file's {size} bytes", headers={"Content-Range": f"bytes */{size}"}
        ) from None


def _as_dict(row: Any) -> dict[str, Any]:
    names = [name.strip() for name in _COLUMNS.split(",")]
    return dict(zip(names, row, strict=True))
