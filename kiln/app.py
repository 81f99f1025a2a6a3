"""Build the ASGI app that serves one compiled kiln app on one data directory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kiln.clock import Clock
from kiln.compiler import DB_NAME
from kiln.entities import Collection, Shape
from kiln.http import (
    ApiError,
    OptionsMiddleware,
    RequestIdMiddleware,
    current_request_id,
    exception_handlers,
    install_log_record_factory,
)
from kiln.openapi import openapi_document
from kiln.routing import Templates, declared_routes
from kiln.store import Database
from kiln.types import ASGIApp

if TYPE_CHECKING:
    from kiln.compiler import CompiledApp

__all__ = ["AppState", "build_app"]


@dataclass
class AppState:
    """What every part of a running kiln app shares; available as ``request.app.state.kiln``."""

    name: str
    data_dir: Path
    db: Database
    clock: Clock
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    debug: bool = False
    mode: str = "dev"


@dataclass(frozen=True)
class SharedParts:
    """What every instance of one compiled app shares: routes (in dispatch order) and templates.

    Built once per compiled app, so starting an instance only creates its state and its database
    handle; endpoints find those through ``request.app.state.kiln``.
    """

    routes: list[BaseRoute]
    templates: Templates


def shared_parts(compiled: CompiledApp) -> SharedParts:
    """Build the routes and templates of ``compiled``; :attr:`CompiledApp.shared` caches this."""
    templates = Templates(compiled.folder)
    document = JSONResponse(openapi_document(compiled.manifest)).body

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    routes: list[BaseRoute] = [
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    shapes = {name: Shape(entity) for name, entity in compiled.manifest.entities.items()}
    for entity in compiled.manifest.entities.values():
        routes.extend(Collection(entity, compiled.manifest, shapes).routes())
    routes.extend(
        declared_routes(compiled.manifest.routes, templates=templates, handlers=compiled.manifest.handlers)
    )
    return SharedParts(routes, templates)


def build_app(
    compiled: CompiledApp,
    data_dir: Path,
    *,
    clock: Clock,
    settings: dict[str, Any],
    secrets: dict[str, str],
    debug: bool,
    mode: str,
) -> ASGIApp:
    """The ASGI app for ``compiled`` serving ``data_dir``."""
    install_log_record_factory()
    shared = compiled.shared
    db = Database(data_dir / DB_NAME)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db.open()
        try:
            yield
        finally:
            db.close()

    app = Starlette(
        debug=False, routes=shared.routes, exception_handlers=exception_handlers(), lifespan=lifespan
    )
    app.state.kiln = AppState(
        name=compiled.name,
        data_dir=data_dir,
        db=db,
        clock=clock,
        settings=settings,
        secrets=secrets,
        debug=debug,
        mode=mode,
    )
    app.state.debug = debug
    app.state.error_page = _error_pages(shared.templates)
    return RequestIdMiddleware(OptionsMiddleware(app, shared.routes))


def _error_pages(templates: Templates) -> Callable[[Request, ApiError], Response | None]:
    """Render ``templates/errors/<status>.html`` for an HTML error, when the app has one."""

    def render(request: Request, error: ApiError) -> Response | None:
        name = f"errors/{error.status}.html"
        if not templates.exists(name):
            return None
        page = templates.render(
            request,
            name,
            error.status,
            code=error.code,
            message=error.message,
            request_id=current_request_id(),
        )
        page.headers.update(error.headers)
        return page

    return render


async def health(request: Request) -> JSONResponse:
    """``GET /health``: ``{"status": "ok", "app": NAME, "mode": "dev"|"prod"}``."""
    state: AppState = request.app.state.kiln
    return JSONResponse({"status": "ok", "app": state.name, "mode": state.mode})
