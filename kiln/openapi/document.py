"""The app's OpenAPI 3.1 document, generated from the manifest.

Collections, declared routes and the error envelope are described exactly as kiln serves them, so
a schema-driven fuzzer (schemathesis) can hold the server to them: request schemas carry the same
bounds the validators check, and every status an operation can answer is listed.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import compile_path

from kiln.manifest.auth import USER
from kiln.manifest.model import Entity, Manifest
from kiln.openapi.auth import auth_paths
from kiln.openapi.common import ERRORS, error_response
from kiln.openapi.files import file_paths, multipart_content
from kiln.openapi.paths import (
    analytics_path,
    collection_path,
    health_operation,
    item_path,
    route_operation,
    search_path,
)
from kiln.openapi.runtime import runtime_paths
from kiln.openapi.schemas import (
    deleted_schema,
    error_schema,
    input_schema,
    list_schema,
    record_schema,
    search_results_schema,
)

__all__ = ["openapi_document"]


def _take_multipart(paths: dict[str, Any], entity: Entity) -> None:
    """Writes to a collection with file fields take ``multipart/form-data`` too."""
    for path, method in (
        (entity.path, "post"),
        (entity.path + "/{id}", "patch"),
        (entity.path + "/{id}", "put"),
    ):
        paths[path][method]["requestBody"]["content"].update(multipart_content(entity))


def openapi_document(manifest: Manifest) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``manifest``'s app."""
    schemas: dict[str, Any] = {"Error": error_schema(), "Deleted": deleted_schema()}
    paths: dict[str, Any] = {"/health": {"get": health_operation()}}
    for entity in manifest.entities.values():
        schemas[entity.name] = record_schema(entity)
        schemas[f"{entity.name}Input"] = input_schema(entity, partial=False)
        schemas[f"{entity.name}Patch"] = input_schema(entity, partial=True)
        if entity.name == USER:
            continue  # users are served by /auth; no collection until guards protect one
        schemas[f"{entity.name}List"] = list_schema(entity)
        paths[entity.path] = collection_path(entity)
        searched = [field.name for field in entity.search_fields]
        if searched:
            schemas[f"{entity.name}SearchResults"] = search_results_schema(entity, searched)
            paths[entity.path + "/search"] = search_path(entity)
        paths[entity.path + "/{id}"] = item_path(entity)
    if manifest.has_files:
        paths.update(file_paths(manifest, schemas))
        for entity in manifest.entities.values():
            if entity.name != USER and any(f.type == "file" for f in entity.fields.values()):
                _take_multipart(paths, entity)
    if manifest.auth is not None:
        paths.update(auth_paths(schemas))
        if manifest.searched:
            paths["/api/_search/analytics"] = analytics_path()
        paths.update(runtime_paths(manifest, schemas))
    for route in manifest.routes:
        _, path, _ = compile_path(route.path)  # /posts/{id:int} is /posts/{id}
        operations = paths.setdefault(path, {})
        for method in route.methods:
            operations[method.lower()] = route_operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": manifest.name,
            "version": "1",
            "description": f"The {manifest.name} app, served by kiln.",
        },
        "paths": paths,
        "components": {
            **(
                {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}
                if manifest.auth
                else {}
            ),
            "schemas": schemas,
            "responses": {name: error_response(name) for name in ERRORS.values()},
        },
    }
