"""``json``: any JSON value, stored as its text."""

from __future__ import annotations

import json
from typing import Any

import orjson

from kiln.errors import Invalid
from kiln.fieldtypes.base import FieldType, Spec

__all__ = ["JsonType"]


class JsonType(FieldType):
    """``json``: any JSON value; lists may test it only for null, and never sort by it."""

    name, sql = "json", "TEXT"
    operators = frozenset({"isnull"})
    sortable = False

    def coerce(self, value: Any, spec: Spec) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def to_json(self, stored: Any) -> Any:
        return json.loads(stored)

    def parse_form(self, raw: str) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise Invalid("must be JSON") from None

    def parse_query(self, raw: str) -> Any:
        raise Invalid("cannot be filtered: it is a json field")

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {}  # any value
