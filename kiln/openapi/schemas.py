"""JSON Schemas of records, request bodies, lists and the error envelope."""

from __future__ import annotations

from typing import Any

from kiln.manifest.model import Entity, Field
from kiln.openapi.common import ref

__all__ = [
    "deleted_schema",
    "error_schema",
    "input_schema",
    "list_schema",
    "nullable",
    "output_schema",
    "record_schema",
    "search_results_schema",
    "value_schema",
]


def error_schema() -> dict[str, Any]:
    """The error envelope."""
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


def deleted_schema() -> dict[str, Any]:
    """The body of a successful delete."""
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


def value_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of a field's value, with the bounds the validator enforces."""
    return field.kind.schema(field)


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` admitting ``null`` too."""
    if not schema:
        return schema  # json already admits null
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


def record_schema(entity: Entity) -> dict[str, Any]:
    """A record as the API returns it: every field, exact types, and any relation ``with`` loaded."""
    properties: dict[str, Any] = {"id": {"type": "integer"}}
    for field in entity.fields.values():
        properties[field.name] = nullable(output_schema(field))
    properties["created_at"] = {"type": "string", "format": "date-time"}
    properties["updated_at"] = {"type": "string", "format": "date-time"}
    required = list(properties)
    for name, relation in entity.relations.items():  # present only when asked for with ?with=
        target = ref(relation.target)
        properties[name] = (
            {"type": "array", "items": target}
            if relation.kind == "many"
            else {"anyOf": [target, {"type": "null"}]}
        )
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def output_schema(field: Field) -> dict[str, Any]:
    """What the API returns; lenient where stored data may predate the manifest's current bounds."""
    returned = field.kind.returned_schema()
    if returned is not None:
        return returned
    schema = value_schema(field)
    return {key: value for key, value in schema.items() if key in ("type", "enum", "format")}


def input_schema(entity: Entity, *, partial: bool) -> dict[str, Any]:
    """A create/PUT (or, ``partial``, PATCH) body, with the validators' bounds."""
    properties: dict[str, Any] = {}
    required = []
    for field in entity.fields.values():
        value = value_schema(field)
        properties[field.name] = value if field.required else nullable(value)
        if field.required and not field.has_default and not partial:
            required.append(field.name)
    for name in ("id", "created_at", "updated_at"):
        properties[name] = {"readOnly": True, "description": "ignored when sent"}
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def list_schema(entity: Entity) -> dict[str, Any]:
    """A page of records."""
    return _page(ref(entity.name))


def search_results_schema(entity: Entity, fields: list[str]) -> dict[str, Any]:
    """A page of search results: each record with its score and the highlights of its matched fields."""
    highlights = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"type": "string"} for name in fields},
        "description": "for each field that matched, a snippet, HTML-escaped, the matches in <mark>",
    }
    item = {
        "type": "object",
        "required": ["record", "score", "highlights"],
        "additionalProperties": False,
        "properties": {"record": ref(entity.name), "score": {"type": "number"}, "highlights": highlights},
    }
    return _page(item)


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": item},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
        },
    }
