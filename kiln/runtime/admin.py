"""The runtime's admin endpoints, for ``role:admin`` (404 for an app without ``[auth]``):

| route | answer |
|---|---|
| ``GET /api/_cron`` | ``{"items": [{"name", "schedule", "next_run", "last_run", "last_status"}]}`` |
| ``POST /api/_cron/{name}/trigger`` | 200, the run; 409 ``job_running`` while it runs |
| ``GET /api/_cron/{name}/history`` | ``{"items": [run, ...]}``, newest first |
| ``GET /api/_mail/inbox`` | the received mail in the list shape, newest first |
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kiln.auth.guards import enforce
from kiln.errors import BadRequest
from kiln.http.paging import page_and_size
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest
from kiln.runtime.inbound import INBOX_COLUMNS, inbox_json

__all__ = ["runtime_routes"]

_ADMIN = ("auth", "role:admin")


def runtime_routes(manifest: Manifest) -> list[BaseRoute]:
    """The cron and inbox routes ``manifest`` has: none without ``[auth]``."""
    if manifest.auth is None:
        return []
    handlers = manifest.handlers

    async def cron_list(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        return JSONResponse({"items": request.app.state.kiln.runtime.scheduler.listing()})

    async def cron_trigger(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        scheduler = request.app.state.kiln.runtime.scheduler
        return JSONResponse(await scheduler.trigger(request.path_params["name"]))

    async def cron_history(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        scheduler = request.app.state.kiln.runtime.scheduler
        return JSONResponse({"items": scheduler.history(request.path_params["name"])})

    async def inbox(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        params = dict(request.query_params)
        unknown = sorted(set(params) - {"page", "per_page"})
        if unknown:
            raise BadRequest(f'unknown parameter "{unknown[0]}": the inbox takes page and per_page')
        page, per_page = page_and_size(params)
        conn = request.app.state.kiln.db.conn
        total = conn.execute("SELECT count(*) FROM _kiln_inbox").fetchone()[0]
        rows = conn.execute(
            f"SELECT {INBOX_COLUMNS} FROM _kiln_inbox ORDER BY id DESC LIMIT ? OFFSET ?",
            [per_page, (page - 1) * per_page],
        ).fetchall()
        items = [inbox_json(row) for row in rows]
        return JSONResponse({"items": items, "page": page, "per_page": per_page, "total": total})

    routes: list[BaseRoute] = []
    if manifest.cron:
        routes += [
            Route("/api/_cron", cron_list, methods=["GET"], name="cron"),
            Route("/api/_cron/{name}/trigger", cron_trigger, methods=["POST"], name="cron-trigger"),
            Route("/api/_cron/{name}/history", cron_history, methods=["GET"], name="cron-history"),
        ]
    if manifest.mail is not None and manifest.mail.inbound is not None:
        routes.append(Route("/api/_mail/inbox", inbox, methods=["GET"], name="mail-inbox"))
    return routes
