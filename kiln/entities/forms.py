"""The body of a write: JSON, or ``multipart/form-data`` on an entity with ``file`` fields.

A multipart body's file parts set their fields (each checked against the field's ``max_size``
and ``accept`` as it streams, see :mod:`kiln.files.multipart`); every other part is a field
value, read from its string as a query-string filter value is: integers and numbers, ``true``
and ``false``, JSON for ``json`` fields, text as it is. An empty part clears a field that is
not text, as a browser's empty input does.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from kiln.errors import BadRequest, Invalid, ValidationFailed
from kiln.files import Form, read_form
from kiln.files.multipart import FilePolicy, is_multipart
from kiln.http.body import read_json
from kiln.manifest.model import Entity, Manifest

__all__ = ["UPLOADING", "read_body"]

#: What a file field holds in a body until its upload's row is written and gives the real id.
UPLOADING = 2**62


async def read_body(request: Request, entity: Entity, manifest: Manifest) -> tuple[Any, Form | None]:
    """The body as JSON values, and the uploads of a multipart body (``None`` for JSON).

    The caller discards the form's uploads once it has kept those it wants.
    """
    files = {name: field for name, field in entity.fields.items() if field.type == "file"}
    if not files or not is_multipart(request):
        return await read_json(request), None

    def policy(name: str) -> FilePolicy:
        field = files.get(name)
        if field is None:
            raise ValidationFailed(f"{entity.name} is invalid", fields={name: "is not a file field"})
        return FilePolicy(name, field.max_size or manifest.files.max_size, field.accept)

    state = request.app.state.kiln
    form = await read_form(request, state.blobs, policy, state.max_body)
    body: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, raw in form.fields.items():
        field = entity.fields.get(name)
        try:
            body[name] = field.kind.parse_form(raw) if field is not None else raw
        except Invalid as exc:
            problems[name] = str(exc)
    if problems:
        form.discard()
        raise ValidationFailed(f"{entity.name} is invalid", fields=problems)
    for name in form.files:
        if name in body:
            form.discard()
            raise BadRequest(f'"{name}" is given both as a file and as a value')
        body[name] = UPLOADING
    return body, form
