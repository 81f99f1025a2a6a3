"""Turn the manifest's declared routes into Starlette routes, in deterministic dispatch order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route as StarletteRoute
from starlette.routing import compile_path, replace_params

from kiln.auth.current import authenticate
from kiln.auth.guards import enforce
from kiln.http.context import HandlerContext, call_handler
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest, Route
from kiln.manifest.routes import dispatch_key
from kiln.records import Shape
from kiln.routing.bindings import BoundData
from kiln.templates import Templates

__all__ = ["DECLARED_ROUTE", "declared_routes"]

#: The name of each Starlette route that serves declared routes (``kiln routes`` looks for it).
DECLARED_ROUTE = "declared"

Target = Callable[[Request], Awaitable[Response]]


def declared_routes(
    routes: tuple[Route, ...],
    *,
    templates: Templates,
    handlers: ModuleType | None,
    manifest: Manifest | None = None,
    shapes: Mapping[str, Shape] | None = None,
) -> list[StarletteRoute]:
    """One Starlette route per declared path, most specific first, each serving its methods.

    Built once per compiled app; each request finds its instance's clock, settings and database
    through ``request.app.state.kiln``.
    """
    by_path: dict[str, dict[str, Target]] = {}
    for route in sorted(routes, key=dispatch_key):
        data = (
            BoundData(manifest, shapes, route.data)
            if route.data and manifest and shapes is not None
            else None
        )
        target = _guarded(route, handlers, _target(route, templates, handlers, data))
        methods = by_path.setdefault(route.path, {})
        for method in route.methods:
            methods[method] = target
    return [_starlette_route(path, targets) for path, targets in by_path.items()]


def _starlette_route(path: str, targets: dict[str, Target]) -> StarletteRoute:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await targets[method](request)

    return StarletteRoute(path, endpoint, methods=list(targets), name=DECLARED_ROUTE)


def _guarded(route: Route, handlers: ModuleType | None, target: Target) -> Target:
    """The target behind its guards: authentication first, then authorization."""
    if route.guards == ("public",):
        return target
    html = route.template is not None

    async def guarded(request: Request) -> Response:
        if html:
            request.state.html_errors = True  # a page's 401 and 403 are pages too
        await enforce(request, route.guards, handlers)
        return await target(request)

    return guarded


def _target(
    route: Route, templates: Templates, handlers: ModuleType | None, data: BoundData | None
) -> Target:
    if route.template is not None:
        return _template_target(route.template, templates, handlers, data)
    if route.handler is not None:
        assert handlers is not None  # the manifest checked it
        return _handler_target(getattr(handlers, route.handler.partition(":")[2]))
    assert route.redirect is not None
    return _redirect_target(route.redirect, route.status, route.path)


def _template_target(
    name: str, templates: Templates, handlers: ModuleType | None, data: BoundData | None
) -> Target:
    async def render(request: Request) -> Response:
        request.state.html_errors = True  # errors on this route are HTML pages
        settings = request.app.state.kiln.settings
        user = authenticate(request)
        bound: dict[str, Any] = await data.load(request, user, handlers) if data is not None else {}
        return templates.render(
            request,
            name,
            **bound,
            path=request.path_params,
            params=request.path_params,
            query=request.query_params,
            user=user,
            settings=settings,
        )

    return render


def _handler_target(function: Callable[..., Any]) -> Target:
    async def call(request: Request) -> Response:
        ctx = HandlerContext.for_request(request, authenticate(request))
        try:
            result = await call_handler(function, request, ctx)
        finally:
            ctx.close()
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return call


def _redirect_target(target: str, status: int, path: str) -> Target:
    """``{name}`` in ``target`` becomes the path's parameter, written back by its convertor."""
    _, _, convertors = compile_path(path)

    async def redirect(request: Request) -> Response:
        location, _ = replace_params(target, convertors, dict(request.path_params))
        return RedirectResponse(location, status_code=status)

    return redirect
