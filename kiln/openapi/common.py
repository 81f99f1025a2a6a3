"""What every part of the OpenAPI document shares: references, error responses, JSON content."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["ERRORS", "error_response", "errors", "json_content", "ref"]


ERRORS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "405": "MethodNotAllowed",
    "409": "Conflict",
    "412": "PreconditionFailed",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "416": "RangeNotSatisfiable",
    "422": "ValidationFailed",
    "429": "TooManyRequests",
    "500": "InternalError",
}


def ref(name: str) -> dict[str, str]:
    """A ``$ref`` to a schema under ``components/schemas``."""
    return {"$ref": f"#/components/schemas/{name}"}


def errors(*statuses: int, guards: tuple[str, ...] = ("public",)) -> dict[str, Any]:
    """Error responses: ``statuses``, 500, and 401/403 when guards protect the operation."""
    guarded = (401, 403) if guards != ("public",) else ()
    return {
        str(s): {"$ref": f"#/components/responses/{ERRORS[str(s)]}"}
        for s in sorted({*statuses, *guarded, 500})
    }


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    """``content`` of an ``application/json`` body with ``schema``."""
    return {"application/json": {"schema": schema}}


def error_response(name: str) -> dict[str, Any]:
    """A component response whose body is the error envelope."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
    return {"description": words.capitalize(), "content": json_content(ref("Error"))}
