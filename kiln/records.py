"""Records: validating request bodies into rows, and rows into the exact JSON the API returns."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from kiln.errors import Invalid, ValidationFailed
from kiln.fieldtypes import FieldType
from kiln.manifest.model import SYSTEM_FIELDS, Entity
from kiln.store.schema import quote

__all__ = ["Shape", "etag", "validate"]

_READ_ONLY = frozenset(SYSTEM_FIELDS)


class Shape:
    """How one entity's rows are selected and turned into JSON, worked out once per entity."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self.fields = list(entity.fields.values())
        self.table = quote(entity.table)
        fields = [field.kind.select(self.table, quote(field.name)) for field in self.fields]
        self.columns = ", ".join([quote("id"), *fields, quote("created_at"), quote("updated_at")])
        # types that store their JSON value as it is (text, int …) need no call per value
        self._converters = [
            (field.name, None if type(field.kind).to_json is FieldType.to_json else field.kind.to_json)
            for field in self.fields
        ]

    def to_json(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row selected with :attr:`columns` as the API's record: id, fields in order, timestamps."""
        record: dict[str, Any] = {"id": row[0]}
        for (name, convert), value in zip(self._converters, row[1:-2], strict=True):
            record[name] = value if convert is None or value is None else convert(value)
        record["created_at"] = row[-2]
        record["updated_at"] = row[-1]
        return record


def validate(entity: Entity, body: Any, *, partial: bool) -> dict[str, Any]:
    """Column values from a request body, or a 422 naming every invalid field at once.

    ``partial`` (PATCH) validates only the fields given. Otherwise (POST, PUT) every field gets a
    value: the one given, else its default, else null. ``id``, ``created_at`` and ``updated_at``
    are read-only and ignored, so a client may send back a record it read.
    """
    if not isinstance(body, dict):
        raise ValidationFailed(f"{entity.name} must be a JSON object")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in body:
        if key not in entity.fields and key not in _READ_ONLY:
            errors[key] = f"is not a field of {entity.name}"
    for name, field in entity.fields.items():
        if name in body:
            value = body[name]
        elif partial:
            continue
        elif field.has_default:
            values[name] = field.default
            continue
        else:
            value = None
        if value is None:
            if field.required:
                errors[name] = "is required"
            else:
                values[name] = None
            continue
        try:
            values[name] = field.kind.coerce(value, field)
        except Invalid as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationFailed(f"{entity.name} is invalid", fields=errors)
    return values


def etag(record: dict[str, Any]) -> str:
    """A strong ETag: a digest of the record's JSON, so any change to the record changes it."""
    digest = hashlib.blake2b(json.dumps(record, sort_keys=True).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'
