"""``X-Request-Id`` on every response, the request id on every log record, and its arrival time.

The middleware wraps the whole app (outside Starlette's error handling) so even a 500 carries the
header. It adopts a well-formed ``X-Request-Id`` the client sent, else makes one. A log record
factory gives every record emitted while serving a request a ``request_id`` attribute.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from kiln.secrets import redact
from kiln.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestIdMiddleware", "arrived", "current_request_id", "install_log_record_factory"]

_request_id: ContextVar[str | None] = ContextVar("kiln_request_id", default=None)
#: The secret values of the app being served, which log records must not show.
_hidden: ContextVar[tuple[str, ...]] = ContextVar("kiln_hidden_values", default=())
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
logger = logging.getLogger("kiln.errors")


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def arrived(scope: Scope) -> float:
    """When the request reached the app, on ``time.perf_counter``'s clock (for latencies)."""
    state: dict[str, Any] = scope.get("state") or {}
    when: float = state.get("kiln_arrived", time.perf_counter())
    return when


class RequestIdMiddleware:
    """Assigns each HTTP and WebSocket request an id, echoes it in ``X-Request-Id`` and logs escapes.

    An exception the app let escape after answering (Starlette re-raises after its 500 page) is
    logged here with its traceback, under the request id, and not passed on to the server.
    """

    def __init__(self, app: ASGIApp, hidden: tuple[str, ...] = ()) -> None:
        self.app = app
        #: Secret values to take out of every log record the app emits (its lifespan's tasks too).
        self.hidden = hidden

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hidden:
            _hidden.set(self.hidden)
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["kiln_arrived"] = time.perf_counter()
        request_id = _incoming(scope) or uuid.uuid4().hex
        _request_id.set(request_id)  # each request runs in its own task: no reset needed
        header = (b"x-request-id", request_id.encode())
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept"):
                started = True
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error serving %s %s", scope.get("method", "WS"), scope.get("path"))
            if not started:
                raise


def _incoming(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            text = value.decode("latin-1")
            return text if _ACCEPTABLE.match(text) else None
    return None


_installed = False


def install_log_record_factory() -> None:
    """Give records emitted while serving a kiln request a ``request_id`` attribute, and take the
    app's secret values out of every record it emits; idempotent.

    Outside kiln apps records are untouched. Inside them, ``request_id`` is kiln's, so code
    in a kiln app must not pass ``extra={"request_id": ...}`` (logging refuses to overwrite it).
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = _request_id.get()
        if request_id is not None:
            record.request_id = request_id
        hidden = _hidden.get()
        if hidden:
            _redact_record(record, hidden)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _redact_record(record: logging.LogRecord, hidden: tuple[str, ...]) -> None:
    """Replace secret values in the record's message and traceback text with ``[secret]``."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string is logging's to report, not ours
        return
    redacted = redact(message, hidden)
    if redacted != message:
        record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[0] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text, hidden)  # formatters use exc_text, once it is set
