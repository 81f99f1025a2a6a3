"""``kiln routes``: the table of an app's routes, read off the routes its app is built with.

Each row is ``(methods, path, target)``, in dispatch order: the Starlette routes the compiled app
serves, so a route kiln adds shows up here without this module knowing it. Declared routes are
a row each, as ``app.toml`` declares them (the app serves the routes of one path as one); an
entity's routes say which entity; every other built-in route says what its OpenAPI document says
of it, so both tell the same.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from kiln.compiler import CompiledApp
from kiln.manifest.auth import USER
from kiln.manifest.model import Manifest
from kiln.manifest.routes import dispatch_key
from kiln.openapi import openapi_document
from kiln.routing.router import DECLARED_ROUTE

__all__ = ["route_rows"]

Row = tuple[str, str, str]

#: Methods in the order a row lists them (HEAD, which every GET route answers too, is left out).
_ORDER = ("GET", "POST", "PATCH", "PUT", "DELETE")
_BUILT_IN = {
    "health": "built in: health",
    "openapi": "built in: OpenAPI document",
    "dev-outbox": "mail: outbox by address, in dev mode",  # not in the OpenAPI document
}
_CONVERTER = re.compile(r":[a-z]+}")


def route_rows(compiled: CompiledApp) -> list[Row]:
    """Every route of the app, in the order the app dispatches them."""
    manifest = compiled.manifest
    entities = _entity_labels(manifest)
    summaries = _summaries(openapi_document(manifest))
    rows: list[Row] = []
    for route in compiled.shared.routes:
        if isinstance(route, Route) and route.name == DECLARED_ROUTE:
            declared = sorted((r for r in manifest.routes if r.path == route.path), key=dispatch_key)
            rows.extend((" ".join(r.methods), r.path, r.target) for r in declared)
        else:
            rows.append(_row(route, entities, summaries))
    if manifest.spa is not None:
        fallback = f"SPA fallback: static/{manifest.spa} for browser navigations"
        rows.append(("GET", "(any other path)", fallback))
    return rows


def _row(route: BaseRoute, entities: dict[str, str], summaries: dict[tuple[str, str], str]) -> Row:
    if isinstance(route, WebSocketRoute):
        return "WS", route.path, "realtime: rooms and record events"
    if isinstance(route, Mount):
        return "GET", route.path + "/{path:path}", f"static files: {route.path.strip('/')}/"
    assert isinstance(route, Route)
    methods = [method for method in _ORDER if method in (route.methods or ())]
    target = _BUILT_IN.get(route.name) or entities.get(route.path)
    if target is None:
        bare = _CONVERTER.sub("}", route.path)  # as OpenAPI writes it: /files/{id}, not {id:int}
        found = [summaries[(method, bare)] for method in methods if (method, bare) in summaries]
        target = "; ".join(dict.fromkeys(found)) or route.name
    return " ".join(methods), route.path, target


def _entity_labels(manifest: Manifest) -> dict[str, str]:
    """The label of each path of an entity's routes."""
    labels = {}
    for entity in manifest.entities.values():
        if entity.name == USER:  # users are served by /auth, not a collection
            continue
        labels[entity.path] = f"{entity.name} collection"
        labels[entity.path + "/{id:int}"] = f"{entity.name} record"
        labels[entity.path + "/search"] = f"{entity.name} search"
    return labels


def _summaries(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Each operation's summary in the OpenAPI document, by method and path."""
    return {
        (method.upper(), path): operation["summary"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "summary" in operation
    }
