"""``static/`` at ``/static/``, and the SPA fallback to ``static/<spa>`` for browser navigations.

Files are served by Starlette's ``StaticFiles`` (``ETag``, ``Last-Modified``, 304 for a matching
``If-None-Match``), with ``Cache-Control: public, max-age=3600``. Any path that resolves outside
``static/`` answers 404: ``..`` (encoded or not), absolute paths, backslashes, NUL bytes, and
symlinks that lead out.

With ``[app] spa = "index.html"``, a ``GET`` or ``HEAD`` that matches no route, names
``text/html`` in its ``Accept`` header (``*/*`` alone does not count) and is not under one of
kiln's own prefixes answers ``static/index.html`` with ``Cache-Control: no-cache``.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from kiln.http.errors import asks_for_html

__all__ = ["CACHE_CONTROL", "EXCLUDED", "spa_fallback", "static_mount"]

#: How long browsers may keep a static file.
CACHE_CONTROL = "public, max-age=3600"
#: Paths the SPA fallback never answers: kiln's own.
EXCLUDED = ("/api/", "/auth/", "/files/", "/static/", "/ws", "/health", "/openapi.json")


class _Static(StaticFiles):
    """``StaticFiles`` with kiln's caching, and a 404 for a NUL byte rather than an error."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if "\x00" in path or "\\" in path:
            return "", None
        return super().lookup_path(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def cached(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start" and message.get("status") in (200, 304):
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers.append((b"cache-control", CACHE_CONTROL.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, cached)  # type: ignore[arg-type]


def static_mount(folder: Path) -> Mount | None:
    """``/static`` for an app folder with a ``static/`` folder."""
    static = folder / "static"
    if not static.is_dir():
        return None
    return Mount("/static", app=_Static(directory=static, follow_symlink=False), name="static")


def spa_fallback(folder: Path, spa: str, otherwise: ASGIApp) -> ASGIApp:
    """The router's default: ``static/<spa>`` for a browser navigation, else ``otherwise`` (404)."""
    page = folder / "static" / spa

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _navigates(scope):
            response = FileResponse(page, media_type="text/html", headers={"Cache-Control": "no-cache"})
            await response(scope, receive, send)
            return
        await otherwise(scope, receive, send)

    return fallback


def _navigates(scope: Scope) -> bool:
    if scope["method"] not in ("GET", "HEAD"):
        return False
    path: str = scope["path"]
    if path.startswith(EXCLUDED) or path in ("/api", "/auth", "/files", "/static"):
        return False
    return asks_for_html(Headers(scope=scope).get("accept", ""))
