"""The app's OpenAPI 3.1 document, generated from the manifest.

Collections, declared routes and the error envelope are described exactly as kiln serves them, so
a schema-driven fuzzer (schemathesis) can hold the server to them: request schemas carry the same
bounds the validators check, and every status an operation can answer is listed.
"""

from __future__ import annotations

import re
from typing import Any

from kiln.entities.collection import IF_MATCH
from kiln.entities.query import OPERATORS, TYPE_OPERATORS
from kiln.manifest.auth import USER
from kiln.manifest.model import Entity, Field, Manifest, Route

__all__ = ["openapi_document"]

_INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")
_CONVERTOR_SCHEMAS: dict[str, dict[str, Any]] = {
    "str": {"type": "string", "pattern": "^[^/]+$"},
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number", "minimum": 0},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
}
_ERRORS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "405": "MethodNotAllowed",
    "409": "Conflict",
    "412": "PreconditionFailed",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "422": "ValidationFailed",
    "429": "TooManyRequests",
    "500": "InternalError",
}


def openapi_document(manifest: Manifest) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``manifest``'s app."""
    schemas: dict[str, Any] = {"Error": _error_schema(), "Deleted": _deleted_schema()}
    paths: dict[str, Any] = {"/health": {"get": _health_operation()}}
    for entity in manifest.entities.values():
        schemas[entity.name] = _record_schema(entity)
        schemas[f"{entity.name}Input"] = _input_schema(entity, partial=False)
        schemas[f"{entity.name}Patch"] = _input_schema(entity, partial=True)
        if entity.name == USER:
            continue  # users are served by /auth; no collection until guards protect one
        schemas[f"{entity.name}List"] = _list_schema(entity)
        paths[entity.path] = _collection_path(entity)
        paths[entity.path + "/{id}"] = _item_path(entity)
    if manifest.auth is not None:
        paths.update(_auth_paths(schemas))
    for route in manifest.routes:
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        operations = paths.setdefault(path, {})
        for method in route.methods:
            operations[method.lower()] = _route_operation(route, method)
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
            "responses": {name: _error_response(name) for name in _ERRORS.values()},
        },
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int, guards: tuple[str, ...] = ("public",)) -> dict[str, Any]:
    """Error responses: ``statuses``, 500, and 401/403 when guards protect the operation."""
    guarded = (401, 403) if guards != ("public",) else ()
    return {
        str(s): {"$ref": f"#/components/responses/{_ERRORS[str(s)]}"}
        for s in sorted({*statuses, *guarded, 500})
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_response(name: str) -> dict[str, Any]:
    words = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
    return {"description": words.capitalize(), "content": _json(_ref("Error"))}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message", "fields", "request_id"],
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "request_id": {"type": ["string", "null"]},
                },
            }
        },
    }


def _deleted_schema() -> dict[str, Any]:
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    return {
        "type": "object",
        "required": ["deleted"],
        "properties": {
            "deleted": {
                "type": "object",
                "required": ["entity", "id", "cascaded", "nulled"],
                "properties": {
                    "entity": {"type": "string"},
                    "id": {"type": "integer"},
                    "cascaded": counts,
                    "nulled": counts,
                },
            }
        },
    }


def _value_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of a field's value, with the bounds the validator enforces."""
    schema: dict[str, Any]
    if field.type in ("text", "email", "url"):
        schema = {"type": "string"}
        if field.min_length is not None:
            schema["minLength"] = field.min_length
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.pattern is not None:
            schema["pattern"] = field.pattern
        if field.type == "email":
            schema.update(format="email", maxLength=min(schema.get("maxLength", 254), 254))
        elif field.type == "url" and field.pattern is None:
            schema["pattern"] = r"^https?://[^/\s?#@]+"
    elif field.type in ("int", "float"):
        schema = {"type": "integer" if field.type == "int" else "number"}
        if field.type == "int":
            schema.update(_INT64)
        if field.min is not None:
            schema["minimum"] = field.min
        if field.max is not None:
            schema["maximum"] = field.max
    elif field.type == "bool":
        schema = {"type": "boolean"}
    elif field.type == "date":
        schema = {"type": "string", "format": "date"}
    elif field.type == "datetime":
        schema = {"type": "string", "format": "date-time"}
    elif field.type == "enum":
        schema = {"type": "string", "enum": list(field.choices)}
    elif field.type == "ref":
        schema = {
            "type": "integer",
            "minimum": 1,
            "maximum": 2**63 - 1,
            "description": f"the id of a {field.to}",
        }
    else:  # json: any value
        schema = {}
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return schema  # json already admits null
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


def _record_schema(entity: Entity) -> dict[str, Any]:
    properties: dict[str, Any] = {"id": {"type": "integer"}}
    for field in entity.fields.values():
        properties[field.name] = _nullable(_output_schema(field))
    properties["created_at"] = {"type": "string", "format": "date-time"}
    properties["updated_at"] = {"type": "string", "format": "date-time"}
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def _output_schema(field: Field) -> dict[str, Any]:
    """What the API returns; lenient where stored data may predate the manifest's current bounds."""
    schema = _value_schema(field)
    return {key: value for key, value in schema.items() if key in ("type", "enum", "format")}


def _input_schema(entity: Entity, *, partial: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for field in entity.fields.values():
        value = _value_schema(field)
        properties[field.name] = value if field.required else _nullable(value)
        if field.required and not field.has_default and not partial:
            required.append(field.name)
    for name in ("id", "created_at", "updated_at"):
        properties[name] = {"readOnly": True, "description": "ignored when sent"}
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _list_schema(entity: Entity) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": _ref(entity.name)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
        },
    }


def _query_parameters(entity: Entity) -> list[dict[str, Any]]:
    whole = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    parameters: list[dict[str, Any]] = [
        *_with_parameter(entity),
        {"name": "page", "in": "query", "schema": whole},
        {"name": "per_page", "in": "query", "schema": whole, "description": "clamped to 100"},
        {
            "name": "sort",
            "in": "query",
            "schema": {"type": "string"},
            "description": "fields, `-` for descending",
        },
    ]
    fields = [
        Field("id", "int"),
        *entity.fields.values(),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    ]
    for field in fields:
        for operator in OPERATORS:
            if operator not in TYPE_OPERATORS[field.type]:
                continue
            name = field.name if operator == "eq" else f"{field.name}__{operator}"
            parameters.append({"name": name, "in": "query", "schema": _filter_schema(field, operator)})
    return parameters


def _with_parameter(entity: Entity) -> list[dict[str, Any]]:
    """``with``: relations to load, comma-separated, nested with dots."""
    if not entity.relations:
        return []
    names = ", ".join(sorted(entity.relations))
    description = f"relations to load, comma-separated, nested with dots (here: {names})"
    return [{"name": "with", "in": "query", "schema": {"type": "string"}, "description": description}]


def _filter_schema(field: Field, operator: str) -> dict[str, Any]:
    if operator == "isnull" or field.type == "bool":
        return {"type": "string", "enum": ["true", "false"]}
    if operator in ("in", "contains"):
        return {"type": "string"}
    schema = _output_schema(field)
    if field.type in ("int", "float"):
        schema.update(_INT64 if field.type == "int" else {})
    return schema


def _collection_path(entity: Entity) -> dict[str, Any]:
    name = entity.name
    return {
        "get": {
            "summary": f"List {entity.plural}",
            "operationId": f"list_{entity.plural}",
            "parameters": _query_parameters(entity),
            "responses": {
                "200": {"description": "A page of records", "content": _json(_ref(f"{name}List"))},
                **_errors(400, guards=entity.guards("list")),
            },
        },
        "post": {
            "summary": f"Create a {name}",
            "operationId": f"create_{entity.plural}",
            "requestBody": {"required": True, "content": _json(_ref(f"{name}Input"))},
            "responses": {
                "201": {
                    "description": "Created",
                    "headers": {
                        "Location": {"schema": {"type": "string"}},
                        "ETag": {"schema": {"type": "string"}},
                    },
                    "content": _json(_ref(name)),
                },
                **_errors(400, 409, 413, 415, 422, guards=entity.guards("create")),
            },
        },
    }


def _item_path(entity: Entity) -> dict[str, Any]:
    name = entity.name
    record = {
        "description": name,
        "headers": {"ETag": {"schema": {"type": "string"}}},
        "content": _json(_ref(name)),
    }
    if_match = {"name": "If-Match", "in": "header", "schema": {"type": "string", "pattern": IF_MATCH.pattern}}
    return {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
        ],
        "get": {
            "summary": f"Read a {name}",
            "operationId": f"read_{entity.plural}",
            "parameters": _with_parameter(entity),
            "responses": {
                "200": record,
                "304": {"description": "Not modified"},
                **_errors(400, 404, guards=entity.guards("read")),
            },
        },
        "patch": {
            "summary": f"Change fields of a {name}",
            "operationId": f"patch_{entity.plural}",
            "parameters": [if_match],
            "requestBody": {"required": True, "content": _json(_ref(f"{name}Patch"))},
            "responses": {
                "200": record,
                **_errors(400, 404, 409, 412, 413, 415, 422, guards=entity.guards("update")),
            },
        },
        "put": {
            "summary": f"Replace a {name}",
            "operationId": f"put_{entity.plural}",
            "parameters": [if_match],
            "requestBody": {"required": True, "content": _json(_ref(f"{name}Input"))},
            "responses": {
                "200": record,
                **_errors(400, 404, 409, 412, 413, 415, 422, guards=entity.guards("update")),
            },
        },
        "delete": {
            "summary": f"Delete a {name}",
            "operationId": f"delete_{entity.plural}",
            "parameters": [if_match],
            "responses": {
                "200": {"description": "Deleted", "content": _json(_ref("Deleted"))},
                **_errors(400, 404, 409, 412, guards=entity.guards("delete")),
            },
        },
    }


def _auth_paths(schemas: dict[str, Any]) -> dict[str, Any]:
    """``/auth``: register, login, me, logout, password."""
    schemas["Credentials"] = {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": 1},
        },
    }
    schemas["UserToken"] = {
        "type": "object",
        "required": ["user"],  # with verify_email, registering answers the user alone
        "additionalProperties": False,
        "properties": {"user": _ref("User"), "token": {"type": "string"}},
    }
    register = {**schemas["UserInput"]}
    register["properties"] = {
        **{k: v for k, v in register["properties"].items() if k not in ("roles", "verified")},
        "password": {"type": "string", "minLength": 8, "maxLength": 1024},
    }
    register["required"] = ["email", "password"]
    schemas["Registration"] = register
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    verification = {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}
    verified_user = {"type": "object", "required": ["user"], "properties": {"user": _ref("User")}}
    verified = {"description": "the user, now verified", "content": _json(verified_user)}
    token = {"description": "the user and a token", "content": _json(_ref("UserToken"))}
    unauthorized = {"description": "no valid token", "content": _json(_ref("Error"))}
    return {
        "/auth/register": {
            "post": {
                "summary": "Create a user",
                "operationId": "auth_register",
                "requestBody": {"required": True, "content": _json(_ref("Registration"))},
                "responses": {"201": token, **_errors(400, 409, 413, 415, 422)},
            }
        },
        "/auth/login": {
            "post": {
                "summary": "Exchange email and password for a token",
                "operationId": "auth_login",
                "requestBody": {"required": True, "content": _json(_ref("Credentials"))},
                "responses": {"200": token, "401": unauthorized, **_errors(400, 403, 413, 415, 422, 429)},
            }
        },
        "/auth/verify": {
            "post": {
                "summary": "Verify an email address with the token the mail carried",
                "operationId": "auth_verify",
                "requestBody": {"required": True, "content": _json(verification)},
                "responses": {"200": verified, **_errors(400, 413, 415, 422)},
            }
        },
        "/auth/me": {
            "get": {
                "summary": "The calling user",
                "operationId": "auth_me",
                "security": bearer,
                "responses": {
                    "200": {"description": "the user", "content": _json(_ref("User"))},
                    "401": unauthorized,
                },
            }
        },
        "/auth/logout": {
            "post": {
                "summary": "Revoke the token of this request",
                "operationId": "auth_logout",
                "security": bearer,
                "responses": {"204": {"description": "revoked"}, "401": unauthorized},
            }
        },
        "/auth/password": {
            "post": {
                "summary": "Change the password; older tokens stop working",
                "operationId": "auth_password",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": _json(
                        {
                            "type": "object",
                            "required": ["password", "new_password"],
                            "properties": {
                                "password": {"type": "string"},
                                "new_password": {"type": "string", "minLength": 8, "maxLength": 1024},
                            },
                        }
                    ),
                },
                "responses": {"200": token, "401": unauthorized, **_errors(400, 413, 415, 422)},
            }
        },
    }


def _health_operation() -> dict[str, Any]:
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
        "responses": {"200": {"description": "Up", "content": _json(schema)}},
    }


def _route_operation(route: Route, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.target,
        "operationId": f"route_{route.index}_{method.lower()}",
        "responses": _route_responses(route),
    }
    if route.params:
        operation["parameters"] = [
            {
                "name": param.name,
                "in": "path",
                "required": True,
                "schema": _CONVERTOR_SCHEMAS[param.convertor],
            }
            for param in route.params
        ]
    return operation


def _route_responses(route: Route) -> dict[str, Any]:
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
        return {"default": {"description": returns}, **_errors(404, guards=route.guards)}
    location = {"Location": {"schema": {"type": "string"}}}
    return {
        str(route.status): {"description": f"redirect to {route.redirect}", "headers": location},
        **_errors(404, guards=route.guards),
    }
