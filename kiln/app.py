"""Build the ASGI app that serves one compiled kiln app on one data directory."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Iterator
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
from kiln.http.context import HandlerContext
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
from kiln.runtime import Delivery, InboundMail, Runtime, Scheduler, runtime_routes
from kiln.runtime.devmail import dev_routes
from kiln.secrets import Secrets, load_secrets
from kiln.store import DB_NAME, Database, QueryLog
from kiln.store.outbox import Outbox
from kiln.templates import Templates
from kiln.types import ASGIApp
from kiln.workflows import Engine, SqliteEventStore, definition_of
from kiln.workflows.admin import workflow_routes

__all__ = ["OUTBOUND_SETTING", "AppState", "build_instance"]

#: The setting that overrides ``[mail] outbound``, so a test can point it at its own FakeSMTP.
OUTBOUND_SETTING = "mail.outbound"


@dataclass
class AppState:
    """What every part of a running kiln app shares; available as ``request.app.state.kiln``."""

    name: str
    data_dir: Path
    db: Database
    clock: Clock
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    debug: bool = False
    mode: str = "dev"
    auth: AuthRuntime | None = None
    verify_email: bool = False
    login_unverified: bool = False  # with verify_email: a user may log in before verifying
    max_body: int = 1_000_000  # [app] max_body
    blobs: BlobStore | None = None  # the uploaded files' blobs, for an app that serves files
    presign_key: bytes = field(default=b"", repr=False)  # signs presigned URLs: the app's secret
    hub: Hub | None = None  # the WebSocket rooms, for an app with [realtime]
    wasm: dict[str, Any] = field(default_factory=dict, repr=False)  # [wasm] modules by name
    outbox: Outbox | None = None  # ctx.mail, for an app that sends mail
    runtime: Runtime | None = None  # cron, mail delivery and the SMTP listener


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
    routes.extend(runtime_routes(manifest))
    routes.extend(dev_routes(manifest))
    routes.extend(workflow_routes(manifest))
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


def build_instance(
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
    smtp: tuple[str, int] | None = ("127.0.0.1", 0),
) -> tuple[ASGIApp, AppState]:
    """The ASGI app of ``manifest`` serving ``data_dir``, with the ``shared`` parts of its folder.

    ``testing`` picks cheap password hashing; ``queries`` records the SQL the app runs; ``smtp``
    is where an app with ``[mail] inbound`` listens for mail (``None``: nowhere).
    ``secrets`` add to (and override) the ones stored in ``data_dir``; ``KILN_SECRET_<NAME>``
    variables override both. Returns the ASGI app and its :class:`AppState`.
    """
    install_log_record_factory()
    db = Database(data_dir / DB_NAME, queries)
    app_secrets = load_secrets(data_dir, secrets)
    auth = None
    config = manifest.auth
    secret = load_secret(data_dir, app_secrets) if config is not None else b""
    if config is not None:
        tokens = Tokens(secret, clock, config.token_ttl)
        limiter = LoginLimiter(clock, config.max_login_failures, config.login_window)
        auth = AuthRuntime(tokens, Passwords(fast=testing), shared.shapes[USER], limiter)
    blobs = None
    if manifest.has_files:
        blobs = BlobStore(data_dir)
        db.after_commit.append(blobs.release)

    state = AppState(
        name=manifest.name,
        data_dir=data_dir,
        db=db,
        clock=clock,
        settings=settings,
        secrets=app_secrets,
        debug=debug,
        mode=mode,
        auth=auth,
        verify_email=bool(config and config.verify_email),
        login_unverified=bool(config and config.login_unverified),
        max_body=manifest.max_body,
        blobs=blobs,
        presign_key=secret,
        hub=Hub(visibility(manifest)) if manifest.realtime is not None else None,
        wasm=dict(manifest.wasm),
    )
    state.runtime = _runtime(manifest, state, smtp)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db.open()
        try:
            if state.runtime is not None:
                await state.runtime.start()
            try:
                yield
            finally:
                if state.runtime is not None:
                    await state.runtime.stop()
        finally:
            db.close()

    app = Starlette(
        debug=False, routes=shared.routes, exception_handlers=exception_handlers(), lifespan=lifespan
    )
    if shared.spa is not None:
        app.router.default = shared.spa(app.router.default)
    app.state.kiln = state
    app.state.debug = debug
    app.state.hidden = app_secrets.values_to_hide  # secret values no error body may show
    app.state.error_page = _error_pages(shared.templates)
    served: ASGIApp = OptionsMiddleware(app, shared.routes)
    if manifest.cors_origins:  # before OPTIONS, so it answers preflight requests
        served = cors(served, manifest.cors_origins)
    return RequestIdMiddleware(served, hidden=app_secrets.values_to_hide), state


def _runtime(manifest: Manifest, state: AppState, smtp: tuple[str, int] | None) -> Runtime | None:
    """The outbox, cron scheduler, delivery and SMTP listener the app has; ``None`` for none."""
    outbound = state.settings.get(OUTBOUND_SETTING) or (manifest.mail.outbound if manifest.mail else None)
    if not (manifest.cron or manifest.mail or manifest.has_outbox or manifest.workflows):
        return None
    runtime = Runtime(state.clock)
    if manifest.has_outbox:
        state.outbox = Outbox(
            state.db,
            state.clock,
            sender=f"{manifest.name} <noreply@{manifest.name}.localhost>",
            deliver=bool(outbound),
            wake=runtime.wake,
        )
    context = functools.partial(HandlerContext.for_state, state)
    hidden = state.secrets.values_to_hide
    if manifest.cron:
        runtime.scheduler = Scheduler(
            manifest.cron, manifest.handlers, state.db, state.clock, context, hidden
        )
    if outbound:
        runtime.delivery = Delivery(outbound, state.db, state.clock)
        state.db.after_commit.append(lambda conn: runtime.wake())
    if manifest.workflows:
        runtime.workflows = _workflow_engine(manifest, state, context)
    if manifest.mail is not None and manifest.mail.inbound is not None:
        handler = getattr(manifest.handlers, manifest.mail.inbound.removeprefix("handlers:"))
        runtime.inbound = InboundMail(handler, state.db, state.clock, context)
        runtime.smtp = smtp  # None: it listens nowhere, and a host hands it mail (kiln.hosting.mail)
    return runtime


def _workflow_engine(manifest: Manifest, state: AppState, context: Callable[[], HandlerContext]) -> Engine:
    """The workflows of ``handlers.py`` on a :class:`SqliteEventStore` in the app's database."""
    definitions = {}
    for declared in manifest.workflows:
        definition = definition_of(getattr(manifest.handlers, declared.function))
        assert definition is not None  # the manifest found the mark
        definitions[declared.name] = definition

    @contextlib.contextmanager
    def database() -> Iterator[Any]:
        ctx = context()
        try:
            yield ctx.db
        finally:
            ctx.close()

    return Engine(
        SqliteEventStore(state.db.path),
        state.clock,
        definitions,
        heartbeat_timeout=manifest.heartbeat_timeout,
        db=database,
    )


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
