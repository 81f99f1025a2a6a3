"""The files API in OpenAPI: the file object, uploads (multipart), downloads and presigned URLs."""

from __future__ import annotations

from typing import Any

from kiln.manifest.model import Entity, Manifest
from kiln.openapi.common import errors, json_content, ref

__all__ = ["file_paths", "file_schema", "multipart_content"]

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_BINARY = {"type": "string", "format": "binary"}


def file_schema() -> dict[str, Any]:
    """The file object: what an upload answers and what a record's ``file`` field holds."""
    properties = {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "content_type": {"type": "string"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "url": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    }
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def multipart_content(entity: Entity) -> dict[str, Any]:
    """A multipart body for ``entity``: a binary part per file field, every other field as text."""
    properties = {
        field.name: _BINARY if field.type == "file" else {"type": "string"}
        for field in entity.fields.values()
    }
    return {"multipart/form-data": {"schema": {"type": "object", "properties": properties}}}


def file_paths(manifest: Manifest, schemas: dict[str, Any]) -> dict[str, Any]:
    """The paths of the files API, adding their schemas to ``schemas``."""
    settings = manifest.files
    schemas["File"] = file_schema()
    upload_body = {"type": "object", "required": ["file"], "properties": {"file": _BINARY}}
    collection: dict[str, Any] = {
        "post": {
            "summary": "Upload a file",
            "operationId": "upload_file",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload_body}}},
            "responses": {
                "201": {
                    "description": "The file",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": json_content(ref("File")),
                },
                **errors(400, 413, 415, 422, guards=settings.upload),
            },
        }
    }
    download_headers = [
        {"name": "Range", "in": "header", "schema": {"type": "string"}},
        {"name": "If-Range", "in": "header", "schema": {"type": "string"}},
        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
    ]
    binary = {"*/*": {"schema": _BINARY}}
    paths: dict[str, Any] = {
        "/api/_files": collection,
        "/files/{id}/{name}": {
            "parameters": [_ID, _NAME],
            "get": {
                "summary": "Download a file",
                "operationId": "download_file",
                "parameters": [
                    {"name": "thumb", "in": "query", "schema": {"type": "string"}, "description": "WxH"},
                    *download_headers,
                ],
                "responses": {
                    "200": {"description": "The bytes", "content": binary},
                    "206": {"description": "A range of the bytes", "content": binary},
                    "304": {"description": "Not modified"},
                    **errors(400, 401, 404, 416),
                },
            },
        },
    }
    if manifest.auth is not None:
        schemas["FileList"] = {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "additionalProperties": False,
            "properties": {
                "items": {"type": "array", "items": ref("File")},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
                "total": {"type": "integer", "minimum": 0},
            },
        }
        whole = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
        collection["get"] = {
            "summary": "List files",
            "operationId": "list_files",
            "parameters": [
                {"name": "prefix", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": whole},
                {"name": "per_page", "in": "query", "schema": whole},
            ],
            "responses": {
                "200": {"description": "A page of files", "content": json_content(ref("FileList"))},
                **errors(400, guards=("role:admin",)),
            },
        }
        deleted = {"type": "object", "required": ["deleted"], "properties": {"deleted": ref("File")}}
        paths["/api/_files/{id}"] = {
            "parameters": [_ID],
            "delete": {
                "summary": "Delete a file",
                "operationId": "delete_file",
                "responses": {
                    "200": {"description": "Deleted", "content": json_content(deleted)},
                    **errors(404, 409, guards=("role:admin",)),
                },
            },
        }
    if settings.presign:
        paths.update(_presign_paths(settings.presign))
    return paths


def _presign_paths(guards: tuple[str, ...]) -> dict[str, Any]:
    request = {
        "type": "object",
        "required": ["method", "name"],
        "additionalProperties": False,
        "properties": {
            "method": {"enum": ["GET", "PUT"]},
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "expires_in": {"type": "integer", "minimum": 1, "maximum": 604800},
        },
    }
    answer = {
        "type": "object",
        "required": ["url", "method", "expires_at"],
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string"},
            "method": {"enum": ["GET", "PUT"]},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    }
    signed = [
        {"name": "method", "in": "query", "schema": {"enum": ["GET", "PUT"]}},
        {"name": "expires", "in": "query", "schema": {"type": "string"}},
        {"name": "signature", "in": "query", "schema": {"type": "string"}},
    ]
    return {
        "/api/_files/presign": {
            "post": {
                "summary": "Presign a URL",
                "operationId": "presign_file",
                "requestBody": {"required": True, "content": json_content(request)},
                "responses": {
                    "200": {"description": "The URL", "content": json_content(answer)},
                    **errors(400, 413, 415, 422, guards=guards),
                },
            }
        },
        "/files/presigned/{name}": {
            "parameters": [_NAME, *signed],
            "get": {
                "summary": "Download a presigned file",
                "operationId": "download_presigned",
                "responses": {
                    "200": {"description": "The bytes", "content": {"*/*": {"schema": _BINARY}}},
                    "206": {"description": "A range of the bytes", "content": {"*/*": {"schema": _BINARY}}},
                    "304": {"description": "Not modified"},
                    **errors(400, 403, 404, 416),
                },
            },
            "put": {
                "summary": "Upload a presigned file",
                "operationId": "upload_presigned",
                "requestBody": {
                    "required": True,
                    "content": {"application/octet-stream": {"schema": _BINARY}},
                },
                "responses": {
                    "201": {"description": "The file", "content": json_content(ref("File"))},
                    **errors(403, 413, 415),
                },
            },
        },
    }
