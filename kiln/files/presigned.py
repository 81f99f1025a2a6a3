"""Presigned URLs: a URL that lets whoever holds it ``GET`` or ``PUT`` one named file until it expires.

``POST /api/_files/presign`` with ``{"method": "GET"|"PUT", "name": "<key>", "expires_in": 600}``
answers ``{"url", "method", "expires_at"}``. The URL is
``/files/presigned/<name>?method=...&expires=<unix seconds>&signature=<hex>``: the signature is
HMAC-SHA256 over the method, the name and the expiry, keyed by the app's secret, and is compared
in constant time. A tampered or wrong-method URL is 403 ``forbidden``; one past its expiry on the
app's clock is 403 ``url_expired``. A ``PUT`` stores the raw body as the file named ``name``,
replacing an earlier one of that name; a ``GET`` serves the newest of that name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import quote as quote_url

from starlette.requests import Request
from starlette.responses import Response

from kiln.auth.guards import enforce
from kiln.errors import Forbidden, NotFound, UrlExpired, ValidationFailed
from kiln.fieldtypes import FILES_TABLE, file_object, format_datetime
from kiln.files.blobs import BlobStore
from kiln.files.endpoints import Endpoint, insert_file, read_file_row, serve_file
from kiln.files.multipart import FilePolicy
from kiln.files.raw import read_raw
from kiln.http.body import read_json
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest
from kiln.store.files import unreferenced

__all__ = ["MAX_EXPIRES_IN", "presign_endpoints", "sign"]

#: The longest a presigned URL may live: 7 days.
MAX_EXPIRES_IN = 604_800
_DEFAULT_EXPIRES_IN = 3600
_METHODS = ("GET", "PUT")
_NAME = re.compile(r"^[^\x00-\x1f\x7f\\]{1,255}$")


def sign(key: bytes, method: str, name: str, expires: int) -> str:
    """The hex HMAC-SHA256 of a presigned URL's method, name and expiry."""
    message = f"{method}\n{name}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def presign_endpoints(manifest: Manifest) -> tuple[Endpoint, Endpoint] | None:
    """``POST /api/_files/presign`` and ``/files/presigned/<name>``, when presigning has guards."""
    settings = manifest.files
    if not settings.presign:
        return None

    async def presign(request: Request) -> Response:
        await enforce(request, settings.presign, manifest.handlers)
        method, name, expires_in = _read_request(await read_json(request))
        state = request.app.state.kiln
        now = state.clock.now()
        expires = int(now.timestamp()) + expires_in
        signature = sign(state.presign_key, method, name, expires)
        query = f"method={method}&expires={expires}&signature={signature}"
        url = f"/files/presigned/{quote_url(name, safe='/')}?{query}"
        expires_at = format_datetime(now.fromtimestamp(expires, now.tzinfo))
        return JSONResponse({"url": url, "method": method, "expires_at": expires_at})

    async def presigned(request: Request) -> Response:
        name: str = request.path_params["name"]
        state = request.app.state.kiln
        method = "GET" if request.method == "HEAD" else request.method
        _verify(request, state.presign_key, method, name, int(state.clock.now().timestamp()))
        blobs: BlobStore = state.blobs
        if method == "GET":
            row = _newest(state.db.conn, name)
            if row is None:
                raise NotFound(f"no file is named {name!r}")
            return serve_file(request, blobs.path(row["sha256"]), row, f'"{row["sha256"]}"')
        policy = FilePolicy("the body", settings.max_size, settings.accept)
        upload = await read_raw(request, blobs, name.rsplit("/", 1)[-1], policy)
        try:
            with state.db.write() as conn:
                # the earlier files of the name go, but for any a record holds (an admin may set one)
                free = unreferenced(manifest, f"{FILES_TABLE}.id")
                conn.execute(
                    f"DELETE FROM {FILES_TABLE} WHERE name = ? AND kind = 'presigned' {free}", [name]
                )
                upload.name = name
                row = insert_file(conn, upload, None, format_datetime(state.clock.now()), kind="presigned")
                blobs.keep(upload)
        finally:
            upload.discard()
        return JSONResponse(file_object(row), 201)

    return presign, presigned


def _read_request(body: Any) -> tuple[str, str, int]:
    if not isinstance(body, dict):
        raise ValidationFailed("send a JSON object: method, name and expires_in")
    problems: dict[str, str] = {}
    unknown = [key for key in body if key not in ("method", "name", "expires_in")]
    for key in unknown:
        problems[key] = "is not a presign option (method, name, expires_in)"
    method = body.get("method")
    if method not in _METHODS:
        problems["method"] = "must be GET or PUT"
    name = body.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or name.startswith("/"):
        problems["name"] = "must be 1 to 255 characters, without control characters, \\ or a leading /"
    expires_in = body.get("expires_in", _DEFAULT_EXPIRES_IN)
    if (
        isinstance(expires_in, bool)
        or not isinstance(expires_in, int)
        or not 1 <= expires_in <= MAX_EXPIRES_IN
    ):
        problems["expires_in"] = f"must be a whole number of seconds from 1 to {MAX_EXPIRES_IN}"
    if problems:
        raise ValidationFailed("the presign request is invalid", fields=problems)
    return str(method), str(name), int(expires_in)


def _verify(request: Request, key: bytes, method: str, name: str, now: int) -> None:
    """403 unless the query carries this method and a valid signature; ``url_expired`` after expiry."""
    params = request.query_params
    given_method, expires, signature = (
        params.get("method"),
        params.get("expires", ""),
        params.get("signature"),
    )
    if given_method is None or signature is None or not expires.isascii() or not expires.isdigit():
        raise Forbidden("this URL is not a presigned URL: it needs method, expires and signature")
    if given_method != method:
        raise Forbidden(f"this URL is for {given_method}, not {method}")
    expected = sign(key, method, name, int(expires))
    if not hmac.compare_digest(expected, signature):
        raise Forbidden("the URL's signature does not match: it was changed or was not made here")
    if int(expires) < now:
        raise UrlExpired("the presigned URL has expired")


def _newest(conn: Any, name: str) -> dict[str, Any] | None:
    found = conn.execute(
        f"SELECT id FROM {FILES_TABLE} WHERE name = ? AND kind = 'presigned' ORDER BY id DESC LIMIT 1", [name]
    ).fetchone()
    return read_file_row(conn, found[0]) if found is not None else None
