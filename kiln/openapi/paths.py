"""Operations: entity collections, records, declared routes and /health."""

from __future__ import annotations

from typing import Any

from kiln.fieldtypes import OPERATORS, list_of, one_of
from kiln.http.etags import IF_MATCH
from kiln.manifest.model import Entity, Field, Route
from kiln.openapi.common import errors, json_content, ref

__all__ = [
    "analytics_path",
    "collection_path",
    "health_operation",
    "item_path",
    "route_operation",
    "search_path",
]


CONVERTOR_SCHEMAS: dict[str, dict[str, Any]] = {
    "str": {"type": "string", "pattern": "^[^/]+$"},
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number", "minimum": 0},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
}


def query_parameters(entity: Entity, *, sortable: bool = True) -> list[dict[str, Any]]:
    """The list query parameters: ``with``, pagination, sort (unless not ``sortable``) and every filter."""
    whole = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    parameters: list[dict[str, Any]] = [
        *with_parameter(entity),
        {"name": "page", "in": "query", "schema": whole},
        {"name": "per_page", "in": "query", "schema": whole, "description": "clamped to 100"},
    ]
    fields = [
        Field("id", "int"),
        *entity.fields.values(),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    ]
    if sortable:
        names = [field.name for field in fields if field.kind.sortable]
        sort = {"type": "string", "pattern": list_of(f"-?{one_of(names)}")}
        parameters.append(
            {"name": "sort", "in": "query", "schema": sort, "description": "fields, `-` for descending"}
        )
    for field in fields:
        for operator in OPERATORS:
            if operator not in field.kind.operators:
                continue
            name = field.name if operator == "eq" else f"{field.name}__{operator}"
            parameters.append(
                {"name": name, "in": "query", "schema": field.kind.filter_schema(field, operator)}
            )
    return parameters


def with_parameter(entity: Entity) -> list[dict[str, Any]]:
    """``with``: relations to load, comma-separated, nested with dots."""
    if not entity.relations:
        return []
    names = ", ".join(sorted(entity.relations))
    description = f"relations to load, comma-separated, nested with dots (here: {names})"
    schema = {"type": "string", "pattern": list_of(one_of(sorted(entity.relations)))}
    return [{"name": "with", "in": "query", "schema": schema, "description": description}]


def collection_path(entity: Entity) -> dict[str, Any]:
    """``/api/<plural>``: list and create."""
    name = entity.name
    return {
        "get": {
            "summary": f"List {entity.plural}",
            "operationId": f"list_{entity.plural}",
            "parameters": query_parameters(entity),
            "responses": {
                "200": {"description": "A page of records", "content": json_content(ref(f"{name}List"))},
                **errors(400, guards=entity.guards("list")),
            },
        },
        "post": {
            "summary": f"Create a {name}",
            "operationId": f"create_{entity.plural}",
            "requestBody": {"required": True, "content": json_content(ref(f"{name}Input"))},
            "responses": {
                "201": {
                    "description": "Created",
                    "headers": {
                        "Location": {"schema": {"type": "string"}},
                        "ETag": {"schema": {"type": "string"}},
                    },
                    "content": json_content(ref(name)),
                },
                **errors(400, 409, 413, 415, 422, guards=entity.guards("create")),
            },
        },
    }


def search_path(entity: Entity) -> dict[str, Any]:
    """``/api/<plural>/search``: keyword search, best match first, with the list's filters."""
    q = {"type": "string", "minLength": 1, "pattern": r"\S"}
    return {
        "get": {
            "summary": f"Search {entity.plural}",
            "operationId": f"search_{entity.plural}",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": q,
                    "description": 'words; "a phrase", a prefix*, AND, OR, NOT and parentheses',
                },
                {
                    "name": "mode",
                    "in": "query",
                    "schema": {"enum": ["keyword", "semantic", "hybrid"]},
                    "description": "keyword (BM25, the default), semantic (cosine) or hybrid (fused)",
                },
                {
                    "name": "min_score",
                    "in": "query",
                    "schema": {"type": "number", "minimum": -1, "maximum": 1},
                    "description": "semantic and hybrid: leave out cosines at or below it (default 0)",
                },
                *query_parameters(entity, sortable=False),
            ],
            "responses": {
                "200": {
                    "description": "Matching records, best first",
                    "content": json_content(ref(f"{entity.name}SearchResults")),
                },
                **errors(400, guards=entity.guards("list")),
            },
        }
    }


def analytics_path() -> dict[str, Any]:
    """``/api/_search/analytics``: what was searched for, for admins."""
    counted = {
        "type": "array",
        "maxItems": 20,
        "items": {
            "type": "object",
            "required": ["q", "entity", "count"],
            "additionalProperties": False,
            "properties": {
                "q": {"type": "string"},
                "entity": {"type": "string"},
                "count": {"type": "integer", "minimum": 1},
            },
        },
    }
    percentile = {"type": ["number", "null"], "minimum": 0}
    schema = {
        "type": "object",
        "required": ["since", "searches", "top_queries", "zero_result_queries", "latency_ms"],
        "additionalProperties": False,
        "properties": {
            "since": {"type": "string", "format": "date-time"},
            "searches": {"type": "integer", "minimum": 0},
            "top_queries": counted,
            "zero_result_queries": counted,
            "latency_ms": {
                "type": "object",
                "required": ["p50", "p95", "p99"],
                "additionalProperties": False,
                "properties": {"p50": percentile, "p95": percentile, "p99": percentile},
            },
        },
    }
    since = {"type": "string", "format": "date-time", "pattern": r"(Z|z|[+-]\d\d:\d\d)$"}
    return {
        "get": {
            "summary": "Search analytics",
            "operationId": "search_analytics",
            "parameters": [
                {
                    "name": "since",
                    "in": "query",
                    "schema": since,
                    "description": "count searches from this time on (default: 7 days ago)",
                }
            ],
            "responses": {
                "200": {"description": "What was searched for", "content": json_content(schema)},
                **errors(400, guards=("role:admin",)),
            },
        }
    }


def item_path(entity: Entity) -> dict[str, Any]:
    """``/api/<plural>/{id}``: read, PATCH, PUT and delete."""
    name = entity.name
    record = {
        "description": name,
        "headers": {"ETag": {"schema": {"type": "string"}}},
        "content": json_content(ref(name)),
    }
    if_match = {"name": "If-Match", "in": "header", "schema": {"type": "string", "pattern": IF_MATCH.pattern}}
    return {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
        ],
        "get": {
            "summary": f"Read a {name}",
            "operationId": f"read_{entity.plural}",
            "parameters": with_parameter(entity),
            "responses": {
                "200": record,
                "304": {"description": "Not modified"},
                **errors(400, 404, guards=entity.guards("read")),
            },
        },
        "patch": {
            "summary": f"Change fields of a {name}",
            "operationId": f"patch_{entity.plural}",
            "parameters": [if_match],
            "requestBody": {"required": True, "content": json_content(ref(f"{name}Patch"))},
            "responses": {
                "200": record,
                **errors(400, 404, 409, 412, 413, 415, 422, guards=entity.guards("update")),
            },
        },
        "put": {
            "summary": f"Replace a {name}",
            "operationId": f"put_{entity.plural}",
            "parameters": [if_match],
            "requestBody": {"required": True, "content": json_content(ref(f"{name}Input"))},
            "responses": {
                "200": record,
                **errors(400, 404, 409, 412, 413, 415, 422, guards=entity.guards("update")),
            },
        },
        "delete": {
            "summary": f"Delete a {name}",
            "operationId": f"delete_{entity.plural}",
            "parameters": [if_match],
            "responses": {
                "200": {"description": "Deleted", "content": json_content(ref("Deleted"))},
                **errors(400, 404, 409, 412, guards=entity.guards("delete")),
            },
        },
    }


def health_operation() -> dict[str, Any]:
    """``GET /health``."""
    schema = {
        "type": "object",
        "required": ["status", "app", "mode"],
        "properties": {
            "status": {"const": "ok"},
            "app": {"type": "string"},
            "mode": {"enum": ["dev", "prod"]},
        },
    }
    return {
        "summary": "Health",
        "operationId": "health",
        "responses": {"200": {"description": "Up", "content": json_content(schema)}},
    }


def route_operation(route: Route, method: str) -> dict[str, Any]:
    """One method of a declared route."""
    operation: dict[str, Any] = {
        "summary": route.target,
        "operationId": f"route_{route.index}_{method.lower()}",
        "responses": route_responses(route),
    }
    if route.params:
        operation["parameters"] = [
            {
                "name": param.name,
                "in": "path",
                "required": True,
                "schema": CONVERTOR_SCHEMAS[param.convertor],
            }
            for param in route.params
        ]
    return operation


def route_responses(route: Route) -> dict[str, Any]:
    """What a declared route answers, by target."""
    if route.template is not None:  # errors on template routes are HTML pages too
        html = {"text/html": {"schema": {"type": "string"}}}
        return {
            "200": {"description": f"templates/{route.template}", "content": html},
            "404": {"description": "Not found", "content": html},
            "500": {"description": "Internal server error", "content": html},
            **(
                {
                    "401": {"description": "Sign in first", "content": html},
                    "403": {"description": "Forbidden", "content": html},
                }
                if route.guards != ("public",)
                else {}
            ),
        }
    if route.handler is not None:
        returns = f"whatever {route.handler} returns (JSON unless it returns a Response)"
        return {"default": {"description": returns}, **errors(404, guards=route.guards)}
    location = {"Location": {"schema": {"type": "string"}}}
    return {
        str(route.status): {"description": f"redirect to {route.redirect}", "headers": location},
        **errors(404, guards=route.guards),
    }
