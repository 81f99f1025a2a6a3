"""``JSONResponse``: Starlette's, rendered by orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as StarletteJSONResponse

__all__ = ["JSONResponse"]


class JSONResponse(StarletteJSONResponse):
    """A JSON response written by orjson: compact UTF-8, as Starlette writes it, and faster.

    Beyond what the standard library writes, a handler's result may hold datetimes (RFC 3339)
    and non-string keys. An integer beyond 64 bits, which orjson refuses, is written by the
    standard library instead; a value neither can write is an error, as with Starlette.
    """

    def render(self, content: Any) -> bytes:
        """``content`` as JSON bytes."""
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:
            return super().render(content)
