"""Build the ASGI app that serves one compiled kiln app on one data directory."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kiln.auth import AuthRuntime, Passwords, Tokens, auth_routes, load_secret
from kiln.auth.limits import LoginLimiter
from kiln.clock import Clock
from kiln.entities import Collection
from kiln.entities.search_analytics import analytics_route
from kiln.errors import KilnError
from kiln.files import BlobStore, file_routes
from kiln.http import (
    OptionsMiddleware,
    RequestIdMiddleware,
    current_request_id,
    exception_handlers,
    install_log_record_factory,
)
from kiln.http.cors import cors
from kiln.http.responses import JSONResponse
from kiln.manifest import Manifest
from kiln.manifest.auth import USER
from kiln.openapi import openapi_document
from kiln.realtime import Hub, realtime_routes
from kiln.realtime.visibility import visibility
from kiln.records import Shape
from kiln.routing import declared_routes
from kiln.routing.static import spa_fallback, static_mount
from kiln.store import DB_NAME, Database, QueryLog
from kiln.templates import Templates
from kiln.types import ASGIApp

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
    auth: AuthRuntime | None = None
    verify_email: bool = False
    max_body: int = 1_000_000  # [app] max_body
    blobs: BlobStore | None = None  # the uploaded files' blobs, for an app that serves files
    presign_key: bytes = field(default=b"", repr=False)  # signs presigned URLs: the app's secret
    hub: Hub | None = None  # the WebSocket rooms, for an app with [realtime]


@dataclass(frozen=True)
class SharedParts:
    """What every instance of one compiled app shares: routes (in dispatch order) and templates.

    Built once per compiled app, so starting an instance only creates its state and its database
    handle; endpoints find those through ``request.app.state.kiln``.
    """

    routes: list[BaseRoute]
    templates: Templates
    shapes: dict[str, Shape]
    #: Wraps the router's 404 in the SPA fallback, for an app with ``[app] spa``.
    spa: Callable[[ASGIApp], ASGIApp] | None = None


def shared_parts(folder: Path, manifest: Manifest) -> SharedParts:
    """Build the routes and templates of the app in ``folder``; ``CompiledApp.shared`` caches this."""
    templates = Templates(folder)
    document = JSONResponse(openapi_document(manifest)).body

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    routes: list[BaseRoute] = [
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    shapes = {name: Shape(entity) for name, entity in manifest.entities.items()}
    for entity in manifest.entities.values():
        if entity.name != USER:  # users are served by /auth; a collection needs guards first
            routes.extend(Collection(entity, manifest, shapes).routes())
    if manifest.auth is not None:
        routes.extend(auth_routes(manifest.entities[USER]))
        if manifest.searched:
            routes.append(analytics_route(manifest.handlers))
    if manifest.has_files:
        routes.extend(file_routes(manifest))
    routes.extend(realtime_routes(manifest))
    static = static_mount(folder)
    if static is not None:
        routes.append(static)
    routes.extend(
        declared_routes(
            manifest.routes, templates=templates, handlers=manifest.handlers, manifest=manifest, shapes=shapes
        )
    )
    spa = functools.partial(spa_fallback, folder, manifest.spa) if manifest.spa is not None else None
    return SharedParts(routes, templates, shapes, spa)


def build_app(
    manifest: Manifest,
    shared: SharedParts,
    data_dir: Path,
    *,
    clock: Clock,
    settings: dict[str, Any],
    secrets: dict[str, str],
    debug: bool,
    mode: str,
    testing: bool = False,
    queries: QueryLog | None = None,
) -> ASGIApp:
    """The ASGI app of ``manifest`` serving ``data_dir``, with the ``shared`` parts of its folder.

    ``testing`` picks cheap password hashing; ``queries`` records the SQL the app runs.
    """
    install_log_record_factory()
    db = Database(data_dir / DB_NAME, queries)
    auth = None
    config = manifest.auth
    secret = load_secret(data_dir, secrets) if config is not None else b""
    if config is not None:
        tokens = Tokens(secret, clock, config.token_ttl)
        limiter = LoginLimiter(clock, config.max_login_failures, config.login_window)
        auth = AuthRuntime(tokens, Passwords(fast=testing), shared.shapes[USER], limiter)
    blobs = None
    if manifest.has_files:
        blobs = BlobStore(data_dir)
        db.after_commit.append(blobs.release)

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
    if shared.spa is not None:
        app.router.default = shared.spa(app.router.default)
    app.state.kiln = AppState(
        name=manifest.name,
        data_dir=data_dir,
        db=db,
        clock=clock,
        settings=settings,
        secrets=secrets,
        debug=debug,
        mode=mode,
        auth=auth,
        verify_email=bool(config and config.verify_email),
        max_body=manifest.max_body,
        blobs=blobs,
        presign_key=secret,
        hub=Hub(visibility(manifest)) if manifest.realtime is not None else None,
    )
    app.state.debug = debug
    app.state.error_page = _error_pages(shared.templates)
    served: ASGIApp = OptionsMiddleware(app, shared.routes)
    if manifest.cors_origins:  # before OPTIONS, so it answers preflight requests
        served = cors(served, manifest.cors_origins)
    return RequestIdMiddleware(served)


def _error_pages(templates: Templates) -> Callable[[Request, KilnError], Response | None]:
    """Render ``templates/errors/<status>.html`` for an HTML error, when the app has one."""

    def render(request: Request, error: KilnError) -> Response | None:
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
