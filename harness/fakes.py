"""Fake external services that are real local servers, each on 127.0.0.1 port 0.

- :class:`FakeSMTP` accepts every message over SMTP (aiosmtpd) and keeps it, for an app whose
  ``[mail] outbound`` points at ``fake.url``.
- :class:`FakeHTTP` is a Starlette app served by the harness. It records each request and
  answers from scripted responses, with failures and delays for retry tests, and an unscripted
  request gets 404.

Both are context managers, and the pytest fixtures ``fake_smtp`` and ``fake_http``. Tests wait
on them with a timeout (``wait_for``), never by sleeping.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from types import TracebackType
from typing import Any, Self

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response

from harness.errors import HarnessError
from harness.server import ServerThread

__all__ = ["FakeHTTP", "FakeSMTP", "Recorded", "Scripted"]

_WAIT = 5.0


class _Waitable:
    """A list that tests can wait on: ``wait_for(count, match)`` until that many items match."""

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._changed = threading.Condition()

    def _add(self, item: Any) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def _wait(self, count: int, match: Callable[[Any], bool], timeout: float, what: str) -> list[Any]:
        with self._changed:
            found = self._changed.wait_for(
                lambda: len([item for item in self._items if match(item)]) >= count, timeout
            )
            matching = [item for item in self._items if match(item)]
        if not found:
            raise HarnessError(f"waited {timeout} s for {count} {what}; {len(matching)} arrived")
        return matching


class FakeSMTP(_Waitable):
    """An SMTP server that accepts every message: ``.messages`` holds them, oldest first, as
    ``email.message.EmailMessage`` objects; ``.envelopes`` holds ``(mail_from, rcpt_tos)``."""

    def __init__(self) -> None:
        super().__init__()
        self.host = "127.0.0.1"
        self.port = 0
        self.envelopes: list[tuple[str, list[str]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._refuse: tuple[int, str] | None = None

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:<port>``, for ``[mail] outbound``."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message accepted so far, oldest first."""
        with self._changed:
            return list(self._items)

    def refuse(self, code: int = 451, reason: str = "4.3.0 try again later") -> None:
        """Answer every following message with ``code reason`` (``accept()`` undoes it)."""
        self._refuse = (code, reason)

    def accept(self) -> None:
        """Accept messages again after :meth:`refuse`."""
        self._refuse = None

    def wait_for(
        self, count: int = 1, timeout: float = _WAIT, *, to: str | None = None
    ) -> list[EmailMessage]:
        """Wait until ``count`` messages have arrived (to the address ``to``, when given, among
        the message's ``To`` addresses); returns all of them, oldest first."""
        if to is None:
            return self._wait(count, lambda item: True, timeout, "messages")
        wanted = to.strip().lower()

        def addressed(message: EmailMessage) -> bool:
            return any(address.lower() == wanted for _, address in getaddresses(message.get_all("To", [])))

        return self._wait(count, addressed, timeout, f"messages to {to}")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        if self._refuse is not None:
            return f"{self._refuse[0]} {self._refuse[1]}"
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.envelopes.append((str(envelope.mail_from), [str(to) for to in envelope.rcpt_tos]))
        self._add(message)
        return "250 2.0.0 OK"

    def start(self) -> Self:
        """Listen on a free port; returns once it accepts connections."""
        from aiosmtpd.smtp import SMTP

        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(lambda: SMTP(self, hostname="fake-smtp", loop=loop), self.host, 0)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                self._server.close()
                loop.run_until_complete(self._server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=run, name="harness-fake-smtp", daemon=True)
        self._thread.start()
        if not ready.wait(_WAIT) or failure:
            raise HarnessError(f"FakeSMTP could not start: {failure[0] if failure else 'timed out'}")
        return self

    def close(self) -> None:
        """Stop listening and end its thread."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_WAIT)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Recorded:
    """One request :class:`FakeHTTP` received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)


@dataclass
class Scripted:
    """A scripted answer to ``method path``; ``times`` answers at most that many requests."""

    method: str
    path: str
    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None
    used: int = 0

    def response(self) -> Response:
        if self.text is not None:
            return Response(self.text, self.status, headers=self.headers, media_type="text/plain")
        body = b"" if self.json is None else orjson.dumps(self.json)
        return Response(body, self.status, headers=self.headers, media_type="application/json")


class FakeHTTP(_Waitable):
    """An HTTP server answering from a script; ``.requests`` holds what it received, oldest first.

    ``fake.script("POST", "/messages", status=200, json={...}, delay=0.0, times=None)`` adds an
    answer. The first script for a method and path that has answers left is used, so
    ``script(..., status=503, times=2)`` then ``script(..., status=200)`` fails twice, then works.
    """

    def __init__(self) -> None:
        super().__init__()
        self._scripts: list[Scripted] = []
        self._gates: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._server: ServerThread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[Recorded]:
        """Every request received so far, oldest first."""
        with self._changed:
            return list(self._items)

    def script(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        json: Any = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        times: int | None = None,
    ) -> Scripted:
        """Answer ``method path`` with ``status`` and a JSON (or text) body, after ``delay`` seconds."""
        scripted = Scripted(method.upper(), path, status, json, text, dict(headers or {}), delay, times)
        with self._lock:
            self._scripts.append(scripted)
        return scripted

    def hold(self, method: str, path: str) -> threading.Event:
        """Keep requests to ``method path`` waiting (up to 30 s) until the returned event is set:
        a test holds a caller mid-request, does what it must, then ``.set()`` lets it go."""
        gate = threading.Event()
        with self._lock:
            self._gates[(method.upper(), path)] = gate
        return gate

    def wait_for(
        self, count: int = 1, method: str | None = None, path: str | None = None, timeout: float = _WAIT
    ) -> list[Recorded]:
        """Wait until ``count`` requests (of ``method`` to ``path``, if given) arrived; returns them."""

        def match(item: Recorded) -> bool:
            return (method is None or item.method == method.upper()) and (path is None or item.path == path)

        return self._wait(count, match, timeout, f"requests{f' to {path}' if path else ''}")

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the fake, for tests that call it themselves."""
        return httpx.Client(base_url=self.url, trust_env=False, **kwargs)

    async def _app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # lifespan
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
            return
        request = Request(scope, receive)
        body = await request.body()
        recorded = Recorded(
            request.method, request.url.path, dict(request.query_params), dict(request.headers), body
        )
        scripted = self._answer(recorded.method, recorded.path)
        self._add(recorded)
        gate = self._gates.get((recorded.method, recorded.path))
        if gate is not None:
            await asyncio.to_thread(gate.wait, 30)
        if scripted is None:
            response: Response = Response(
                orjson.dumps({"error": f"FakeHTTP has no script for {recorded.method} {recorded.path}"}),
                404,
                media_type="application/json",
            )
        else:
            if scripted.delay:
                await asyncio.sleep(scripted.delay)
            response = scripted.response()
        await response(scope, receive, send)

    def _answer(self, method: str, path: str) -> Scripted | None:
        with self._lock:
            for scripted in self._scripts:
                matches = scripted.method == method and scripted.path == path
                if matches and (scripted.times is None or scripted.used < scripted.times):
                    scripted.used += 1
                    return scripted
        return None

    def start(self) -> Self:
        """Serve on a free port; returns once it answers."""
        self._server = ServerThread(self._app)
        self._server.start()
        self.port = self._server.port
        return self

    def close(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
