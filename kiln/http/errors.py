"""The error envelope every API error shares, and the handlers that produce it.

::

    {"error": {"status": 422, "code": "validation_failed", "message": "Todo is invalid",
               "fields": {"title": "is required"}, "request_id": "3f2a…"}}

``fields`` is always present (empty when no field is to blame), so clients can rely on the shape.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response

from kiln.errors import InternalError, KilnError, for_status
from kiln.http.requestid import current_request_id
from kiln.http.responses import JSONResponse
from kiln.secrets import redact

__all__ = ["CLIENT_CLOSED", "asks_for_html", "envelope", "error_response", "exception_handlers"]

logger = logging.getLogger("kiln.errors")


def envelope(status: int, code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON body of an error."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "fields": dict(fields or {}),
            "request_id": current_request_id(),
        }
    }


def error_response(request: Request, error: KilnError) -> Response:
    """The envelope as JSON, or an HTML page for a browser outside ``/api``, ``/auth``, ``/files``
    and ``/_host``. The app's secret values never appear in it."""
    hidden: tuple[str, ...] = getattr(request.app.state, "hidden", ())  # pragma: no mutate (kiln sets it)
    if hidden:
        error.message = redact(error.message, hidden)
        error.fields = {name: redact(str(text), hidden) for name, text in error.fields.items()}
    if _wants_html(request):
        return _html_page(request, error)
    return JSONResponse(
        envelope(error.status, error.code, error.message, error.fields), error.status, headers=error.headers
    )


def _wants_html(request: Request) -> bool:
    if getattr(request.state, "html_errors", False):  # set by routes that render templates
        return True
    path = request.url.path
    if path.startswith(("/api/", "/auth/", "/files/", "/_host/")) or path in ("/api", "/auth"):
        return False
    return asks_for_html(request.headers.get("accept", ""))


def asks_for_html(accept: str) -> bool:
    """Whether an ``Accept`` header names ``text/html`` itself (``*/*`` alone does not count)."""
    return any(part.split(";", 1)[0].strip().lower() == "text/html" for part in accept.split(","))


def _html_page(request: Request, error: KilnError) -> Response:
    renderer = getattr(request.app.state, "error_page", None)  # pragma: no mutate (kiln apps set it)
    if renderer is not None:
        page = renderer(request, error)
        if page is not None:
            return page  # type: ignore[no-any-return]
    title = f"{error.status} {html.escape(error.message)}"
    request_id = html.escape(current_request_id() or "")  # pragma: no mutate (every request has one)
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>Request id: <code>{request_id}</code></p>"
        "</body></html>"
    )
    return HTMLResponse(body, error.status, headers=error.headers)


async def _kiln_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KilnError)
    return error_response(request, exc)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message = exc.detail or HTTPStatus(status).phrase  # Starlette's phrase when the raiser gave none
    headers = dict(exc.headers or {})
    if status == 404:
        message = f"nothing at {request.url.path}"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        if "Allow" in headers:  # Starlette builds it from a set: sort it so it never varies
            headers["Allow"] = ", ".join(sorted(m.strip() for m in headers["Allow"].split(",")))
    return error_response(request, for_status(status, message, headers))


async def _server_error(request: Request, exc: Exception) -> Response:
    """500: the traceback goes to the log under the request id, never into the response."""
    debug = getattr(request.app.state, "debug", False)  # pragma: no mutate (kiln apps set it)
    message = "Internal server error"
    if debug:
        import traceback

        message = "".join(traceback.format_exception(exc))
    return error_response(request, InternalError(message))


#: nginx's status for a request whose client left before the answer: no one receives it, but the
#: request log and the harness's exchanges show it.
CLIENT_CLOSED = 499


async def _client_left(request: Request, exc: Exception) -> Response:
    """The client closed the connection while sending its body: nothing to answer, nothing to log
    as an error (what the request had written is already cleaned up by whoever read it)."""
    logger.info("the client closed the connection during %s %s", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED)


def exception_handlers() -> dict[Any, Any]:
    """Starlette ``exception_handlers`` giving every error the envelope."""
    return {
        KilnError: _kiln_error,
        HTTPException: _http_exception,
        ClientDisconnect: _client_left,
        Exception: _server_error,
    }
