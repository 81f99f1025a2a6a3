"""``kiln host``: many projects in one process, each chosen by its ``Host: <slug>.<domain>``.

The host name alone (``<domain>``, or an address such as ``127.0.0.1``) reaches the control API
under ``/_host/`` (:mod:`kiln.hosting.api`); ``/_host/auth/...`` is the control app's
``/auth/...``. A project's name answers its app; an old name, 308 to the new one; an unknown
one, 404 in the contract's error shape.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiln.app import OUTBOUND_SETTING
from kiln.compiler import compile_app
from kiln.errors import NotFound
from kiln.hosting import api
from kiln.hosting.lifespan import Lifespan
from kiln.hosting.logs import for_project
from kiln.hosting.mail import HostMail
from kiln.hosting.projects import Projects
from kiln.http.errors import envelope, exception_handlers
from kiln.http.requestid import RequestIdMiddleware
from kiln.http.responses import JSONResponse

__all__ = ["CONTROL_APP", "Host"]

logger = logging.getLogger("kiln.host")
access = logging.getLogger("kiln.host.access")
#: The control app's folder: the host's users and their projects.
CONTROL_APP = Path(__file__).parent / "control"
_AUTH = "/_host/auth/"


class Host:
    """The ASGI app of ``kiln host ROOT``: the control API and every project under ``ROOT``.

    ``smtp`` is where the host takes mail for its projects (port 0: any free one; ``None``:
    nowhere); ``testing`` picks cheap password hashing.
    """

    def __init__(
        self,
        root: Path,
        *,
        domain: str = "localhost",
        mode: str = "dev",
        admin_token: str | None = None,
        outbound: str | None = None,
        smtp: tuple[str, int] | None = None,
        testing: bool = False,
    ) -> None:
        self.root = root
        self.domain = domain.lower()
        self.mode = mode
        self.admin_token = admin_token
        compiled = compile_app(CONTROL_APP)
        data_dir = root / "host"
        compiled.prepare(data_dir)
        settings = {OUTBOUND_SETTING: outbound} if outbound else {}
        self._control_app, self.control = compiled.instance(
            data_dir, mode=mode, settings=settings, testing=testing, smtp=None
        )
        self.projects = Projects(root, mode=mode, testing=testing, smtp=None)
        self._smtp = smtp
        #: The SMTP listener for the projects' mail, with ``smtp``.
        self.mail = HostMail(self.projects, self.domain)
        api_app = Starlette(routes=list(api.routes(self)), exception_handlers=exception_handlers())
        api_app.state.debug = False
        api_app.state.kiln = self.control  # what kiln's request helpers read (body limits, mode)
        self._api: ASGIApp = RequestIdMiddleware(api_app)
        self._lifespan = Lifespan(self._control_app)

    def url_of(self, slug: str, port: int | None) -> str:
        """Where the project ``slug`` is served, on the ``port`` the client reached the host at."""
        return f"http://{slug}.{self.domain}{f':{port}' if port else ''}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        name = _host_name(scope)
        if name == self.domain or _is_address(name):
            await self._control(scope, receive, send)
            return
        if name.endswith(f".{self.domain}"):
            slug = name[: -len(self.domain) - 1]
            project = self.projects.running.get(slug)
            if project is not None:
                with for_project(slug):
                    await _served_and_logged(project.app, scope, receive, send)
                return
            new = self._renamed(slug)
            if new is not None:
                await self._redirect(scope, receive, send, new)
                return
        await self._not_found(scope, receive, send, name)

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if path.startswith(_AUTH) and scope["type"] == "http":
            # mounted at /_host: routes see /auth/..., and links it mails (request.base_url) keep /_host
            await self._control_app(
                dict(scope, root_path=scope.get("root_path", "") + "/_host"), receive, send
            )
            return
        await self._api(scope, receive, send)

    def _renamed(self, slug: str) -> str | None:
        row = self.control.db.conn.execute(
            "SELECT projects.slug FROM renames JOIN projects ON projects.id = renames.project_id "
            "WHERE renames.old = ?",
            [slug],
        ).fetchone()
        return str(row[0]) if row is not None else None

    async def _redirect(self, scope: Scope, receive: Receive, send: Send, slug: str) -> None:
        if scope["type"] != "http":
            await _close(receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        port = scope["server"][1] if scope.get("server") else None
        location = (
            self.url_of(slug, port).rstrip("/") + scope.get("path", "/") + (f"?{query}" if query else "")
        )
        response = JSONResponse({"slug": slug, "url": location}, 308, headers={"Location": location})
        await response(scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send, name: str) -> None:
        if scope["type"] != "http":
            await _close(receive, send)
            return
        error = NotFound(f"no project is served at {name or 'this address'}")

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            body = envelope(error.status, error.code, error.message)  # inside: it takes the request id
            await JSONResponse(body, error.status)(scope, receive, send)

        await RequestIdMiddleware(answer)(scope, receive, send)

    async def _serve_lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            await self._lifespan.start()
            await self.projects.start_all()
            if self._smtp is not None:
                await self.mail.listen(*self._smtp)
        except Exception as exc:
            logger.exception("the host did not start")
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        assert message["type"] == "lifespan.shutdown"
        await self.mail.close()
        await self.projects.stop_all()
        await self._lifespan.stop()
        await send({"type": "lifespan.shutdown.complete"})


async def _served_and_logged(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve the request, then log it as uvicorn's access log would, but as the project's (the
    server's own line is written outside the project's context, so only the host's log has it)."""
    status = 0

    async def watched(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "websocket.accept":
            status = 101
        await send(message)

    try:
        await app(scope, receive, watched)
    finally:
        client = scope.get("client") or ("-", 0)
        method = scope.get("method", "WS")
        path = scope.get("path", "/") + (
            f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else ""
        )
        access.info(
            '%s:%s - "%s %s HTTP/%s" %s',
            client[0],
            client[1],
            method,
            path,
            scope.get("http_version", "1.1"),
            status or 500,
        )


def _host_name(scope: Scope) -> str:
    """The request's host name, lowercased, without its port."""
    for key, value in scope.get("headers", []):
        if key == b"host":
            text: str = value.decode("latin-1").strip().lower()
            if text.startswith("["):  # [::1]:8000
                return text[1 : text.find("]")] if "]" in text else text
            return text.rsplit(":", 1)[0] if ":" in text else text
    return ""


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


async def _close(receive: Receive, send: Send) -> None:
    """Refuse a WebSocket to a name that serves nothing."""
    message: Any = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4404})
