"""``OPTIONS`` on any known path answers 204 with ``Allow``; an unknown path is a 404."""

from __future__ import annotations

from starlette.routing import BaseRoute, Match, Route

from kiln.types import ASGIApp, Receive, Scope, Send

__all__ = ["OptionsMiddleware"]


class OptionsMiddleware:
    """Answers ``OPTIONS`` from the routes' own methods, so every route supports it without declaring it."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        allowed = self.allowed(scope)
        if not allowed:
            await self.app(scope, receive, send)  # the router's 404, in the usual envelope
            return
        allow = ", ".join(sorted(allowed | {"OPTIONS"}))
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow.encode())]})
        await send({"type": "http.response.body", "body": b""})

    def allowed(self, scope: Scope) -> set[str]:
        """The methods the routes matching ``scope``'s path accept."""
        methods: set[str] = set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE and isinstance(route, Route) and route.methods:
                methods |= route.methods
        return methods
