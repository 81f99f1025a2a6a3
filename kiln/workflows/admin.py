"""The workflow endpoints, for ``role:admin`` (none for an app without ``[auth]`` or workflows).

- ``POST /api/_workflows/{name}`` with ``{"input", "id"?}``: 202 and the new run (``pending``),
  or 200 and the existing run of that ``id``.
- ``GET /api/_workflows/runs/{id}``: the run; with ``?events=true``, its ``events`` too.
- ``GET /api/_workflows/runs?workflow=&status=&page=&per_page=``: runs, newest first, listed.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kiln.auth.guards import enforce
from kiln.errors import BadRequest, NotFound, ValidationFailed
from kiln.http.body import read_json
from kiln.http.paging import page_and_size
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest
from kiln.workflows.engine import Engine
from kiln.workflows.events import STATUSES, Run

__all__ = ["MAX_ID_LENGTH", "run_json", "workflow_routes"]

_ADMIN = ("auth", "role:admin")
MAX_ID_LENGTH = 200
_LIST_PARAMS = {"workflow", "status", "page", "per_page"}


def run_json(engine: Engine, run: Run, *, events: bool = False) -> dict[str, Any]:
    """The API's run object, with its events when asked."""
    body = run.as_json()
    if events:
        body["events"] = [event.as_json() for event in engine.store.events(run.id)]
    return body


def workflow_routes(manifest: Manifest) -> list[BaseRoute]:
    """The workflow routes ``manifest`` has."""
    if manifest.auth is None or not manifest.workflows:
        return []
    handlers = manifest.handlers

    def engine_of(request: Request) -> Engine:
        engine: Engine = request.app.state.kiln.runtime.workflows
        return engine

    async def start(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        engine = engine_of(request)
        name = request.path_params["name"]
        if name not in engine.workflows:
            raise NotFound(f'no workflow named "{name}" (workflows: {", ".join(engine.workflows)})')
        body = await read_json(request) if await request.body() else {}
        if not isinstance(body, dict):
            raise ValidationFailed('send a JSON object: {"input": ..., "id": "optional-run-id"}')
        unknown = sorted(set(body) - {"input", "id"})
        run_id = body.get("id")
        errors = dict.fromkeys(unknown, "is not a field of a start: send input and id")
        if run_id is not None and (not isinstance(run_id, str) or not 0 < len(run_id) <= MAX_ID_LENGTH):
            errors["id"] = f"must be a string of 1 to {MAX_ID_LENGTH} characters"
        if errors:
            raise ValidationFailed("the run was not started", fields=errors)
        run, created = engine.start(name, body.get("input"), run_id)
        if created:
            request.app.state.kiln.runtime.wake()  # the background pass takes it up
        return JSONResponse(run_json(engine, run), status_code=202 if created else 200)

    async def show(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        engine = engine_of(request)
        run = engine.store.get(request.path_params["run_id"])
        if run is None:
            raise NotFound(f'no workflow run has the id "{request.path_params["run_id"]}"')
        events = request.query_params.get("events", "false")
        if events not in ("true", "false"):
            raise BadRequest('events is "true" or "false"')
        return JSONResponse(run_json(engine, run, events=events == "true"))

    async def listing(request: Request) -> Response:
        await enforce(request, _ADMIN, handlers)
        engine = engine_of(request)
        params = dict(request.query_params)
        unknown = sorted(set(params) - _LIST_PARAMS)
        if unknown:
            raise BadRequest(
                f'unknown parameter "{unknown[0]}": runs take workflow, status, page and per_page'
            )
        workflow, status = params.get("workflow"), params.get("status")
        if workflow is not None and workflow not in engine.workflows:
            raise NotFound(f'no workflow named "{workflow}" (workflows: {", ".join(engine.workflows)})')
        if status is not None and status not in STATUSES:
            raise BadRequest(f'status is one of {", ".join(STATUSES)}, not "{status}"')
        page, per_page = page_and_size(params)
        runs, total = engine.store.runs(
            workflow=workflow, status=status, limit=per_page, offset=(page - 1) * per_page
        )
        items = [run_json(engine, run) for run in runs]
        return JSONResponse({"items": items, "page": page, "per_page": per_page, "total": total})

    return [
        Route("/api/_workflows/runs", listing, methods=["GET"], name="workflow-runs"),
        Route("/api/_workflows/runs/{run_id}", show, methods=["GET"], name="workflow-run"),
        Route("/api/_workflows/{name}", start, methods=["POST"], name="workflow-start"),
    ]
