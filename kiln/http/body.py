"""Read a JSON request body: the right content type, a bounded size, valid JSON, or a clear error.

orjson parses it, and by itself refuses what kiln could not store: ``NaN`` and ``Infinity``,
numbers too large for a double, lone surrogates, invalid UTF-8 and nesting deeper than 1024.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from kiln.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

__all__ = ["read_json"]


async def read_json(request: Request, max_size: int | None = None) -> Any:
    """The parsed body; 415 for a non-JSON content type, 413 when too large, 400 when malformed.

    The limit is ``max_size``, else the app's ``[app] max_body``.
    """
    if max_size is None:
        max_size = int(request.app.state.kiln.max_body)
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        shown = content_type or "none"
        raise UnsupportedMediaType(f"send JSON with Content-Type: application/json (got {shown})")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_size:
        raise _too_large(max_size)
    chunks = bytearray()
    async for chunk in request.stream():  # a body without Content-Length is bounded while reading
        chunks.extend(chunk)
        if len(chunks) > max_size:
            raise _too_large(max_size)
    if not chunks.strip():
        raise BadRequest("the request body is empty: send a JSON object")
    try:
        return orjson.loads(chunks)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


def _too_large(max_size: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body is larger than {max_size} bytes")
