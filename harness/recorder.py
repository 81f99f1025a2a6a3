"""Record the requests an app served, for diagnostics, and give each one a request id.

Locally the :class:`Recorder` middleware sees every request the server answers, from any client.
In remote mode :func:`httpx_hook` records what the harness's own clients sent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

import httpx

from harness.logs import request_id_var
from harness.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Exchange", "Recorder", "httpx_hook"]

_EXCERPT = 400


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the response it got."""

    method: str
    path: str
    status: int | None
    request_id: str | None
    duration_ms: float | None = None
    excerpt: str = ""

    def __str__(self) -> str:
        status = self.status if self.status is not None else "---"
        line = f"{self.method} {self.path} -> {status}"
        if self.duration_ms is not None:
            line += f" ({self.duration_ms:.1f} ms)"
        if self.request_id:
            line += f" [{self.request_id}]"
        if self.excerpt and (self.status is None or self.status >= 400):
            line += f"\n    {self.excerpt}"
        return line


class Recorder:
    """ASGI middleware keeping the last ``maxlen`` exchanges and setting the request-id context.

    The request id is the one the client sent in ``X-Request-Id``, else a fresh one; the recorded
    exchange shows the id the app answered with in ``X-Request-Id`` when it set one.
    """

    def __init__(self, app: ASGIApp, maxlen: int = 200) -> None:
        self.app = app
        self.exchanges: deque[Exchange] = deque(maxlen=maxlen)
        # Requests whose response is fully sent but whose task has not finished: the client may
        # already hold the response while the server still records the exchange or logs the
        # exception the app raised after answering. ``settle()`` waits for exactly these.
        self._finishing: set[asyncio.Task[None]] = set()
        self._awaited: dict[str, asyncio.Event] = {}  # request ids someone waits to see finish

    @property
    def unsettled(self) -> bool:
        """Whether some answered request is still finishing on the server."""
        return bool(self._finishing)

    async def settle(self, timeout: float = 2.0) -> None:
        """Wait until every answered request has finished (run this on the server's loop)."""
        if self._finishing:
            await asyncio.wait(set(self._finishing), timeout=timeout)

    async def finished(self, request_id: str, timeout: float) -> Exchange | None:
        """The exchange of ``request_id`` once its request has finished on the server, answered
        or not (run this on the server's loop); ``None`` if it has not within ``timeout`` seconds."""
        found = self._exchange(request_id)
        if found is not None:
            return found
        event = self._awaited.setdefault(request_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return None
        finally:
            self._awaited.pop(request_id, None)
        return self._exchange(request_id)

    def _exchange(self, request_id: str) -> Exchange | None:
        return next((e for e in reversed(self.exchanges) if e.request_id == request_id), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _header(scope["headers"], b"x-request-id") or uuid.uuid4().hex[:12]
        # uvicorn runs each request in its own task, with its own copy of the context: no reset is
        # needed, and the id stays set while uvicorn logs an exception the app let escape.
        request_id_var.set(request_id)
        started = time.perf_counter()
        status: int | None = None
        answered_id: str | None = None
        excerpt = bytearray()
        recorded = False

        def record() -> None:
            nonlocal recorded
            recorded = True
            path = scope.get("path", "")
            if scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            self.exchanges.append(
                Exchange(
                    method=scope.get("method", "WS"),
                    path=path,
                    status=status,
                    request_id=answered_id or request_id,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    excerpt=excerpt.decode("utf-8", "replace").strip(),
                )
            )
            for awaited in {request_id, answered_id}:
                if awaited is not None and awaited in self._awaited:
                    self._awaited[awaited].set()

        async def recording_send(message: Message) -> None:
            nonlocal status, answered_id
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                answered_id = _header(headers, b"x-request-id")
                if _bodiless(scope, status, headers):
                    self._track_finishing()  # the client has it all once the headers are out
            elif kind == "http.response.body":
                if len(excerpt) < _EXCERPT:
                    excerpt.extend(message.get("body", b"")[: _EXCERPT - len(excerpt)])
                if not message.get("more_body", False):
                    self._track_finishing()
            elif kind in ("websocket.accept", "websocket.close") and status is None:
                # A WebSocket is recorded at its handshake's outcome, so an open one shows up.
                status = 101 if kind == "websocket.accept" else 403
                record()
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not recorded:
                record()

    def _track_finishing(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._finishing.add(task)
            task.add_done_callback(self._finishing.discard)


def httpx_hook(exchanges: deque[Exchange]) -> Any:
    """An httpx response hook recording each exchange into ``exchanges`` (remote mode)."""

    def hook(response: httpx.Response) -> None:
        request = response.request
        path = request.url.path  # decoded, as the server's scope["path"] is locally
        if request.url.query:
            path += "?" + request.url.query.decode("latin-1")
        exchanges.append(
            Exchange(
                method=request.method,
                path=path,
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
            )
        )

    return hook


def _bodiless(scope: Scope, status: int, headers: Any) -> bool:
    """Whether a response is complete at its headers: 204, 304, an answer to HEAD, or no content."""
    return status in (204, 304) or scope["method"] == "HEAD" or _header(headers, b"content-length") == "0"


def _header(headers: Any, name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
