"""CORS for ``[app] cors_origins``: Starlette's ``CORSMiddleware``, with refusals in the envelope."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from kiln.http.errors import envelope
from kiln.http.responses import JSONResponse
from kiln.types import ASGIApp

__all__ = ["cors"]


class _Cors(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 400:
            return answer
        reason = answer.body.decode() if isinstance(answer.body, bytes) else "Disallowed CORS request"
        headers = {
            key: value
            for key, value in answer.headers.items()
            if key.startswith("access-control-") or key == "vary"
        }
        return JSONResponse(envelope(400, "bad_request", reason), 400, headers=headers)


def cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp:
    """``app`` answering browsers at ``origins``: preflights, and the headers on every answer."""
    return _Cors(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-Id"],
        expose_headers=["ETag", "Location", "X-Request-Id"],
        max_age=600,
    )
