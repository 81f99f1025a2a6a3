"""Numbers and truth values: ``int``, ``float`` and ``bool``."""

from __future__ import annotations

import math
from typing import Any

from kiln.errors import Invalid
from kiln.fieldtypes.base import INT64, UNCONSTRAINED, FieldType, Spec

__all__ = ["BoolType", "FloatType", "IntType"]


class _Number(FieldType):
    options = frozenset({"min", "max"})
    integer: bool

    def coerce(self, value: Any, spec: Spec) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("must be an integer" if self.integer else "must be a number")
        if self.integer and isinstance(value, float):
            if not value.is_integer():  # 3.0 is an integer, as JSON Schema says; 3.5 is not
                raise Invalid("must be an integer")
            value = int(value)
        if not self.integer and not math.isfinite(value):
            raise Invalid("must be a finite number")
        if self.integer and not -(2**63) <= value < 2**63:
            raise Invalid("is out of range for a 64-bit integer")
        if spec.min is not None and value < spec.min:
            raise Invalid(f"must be at least {spec.min:g}")
        if spec.max is not None and value > spec.max:
            raise Invalid(f"must be at most {spec.max:g}")
        return value if self.integer else float(value)

    def parse_form(self, raw: str) -> int | float | None:
        return None if raw == "" else self.parse_query(raw)

    def _bounds(self, schema: dict[str, Any], spec: Spec) -> dict[str, Any]:
        if spec.min is not None:
            schema["minimum"] = spec.min
        if spec.max is not None:
            schema["maximum"] = spec.max
        return schema


class IntType(_Number):
    """``int``: a 64-bit integer, with optional ``min`` and ``max``."""

    name, sql, integer = "int", "INTEGER", True

    def parse_query(self, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise Invalid("must be an integer") from None
        return int(self.coerce(value, UNCONSTRAINED))  # still a 64-bit integer

    def schema(self, spec: Spec) -> dict[str, Any]:
        return self._bounds({"type": "integer", **INT64}, spec)

    def in_item(self, spec: Spec) -> str:
        return r"-?[0-9]{1,18}"

    def filter_schema(self, spec: Spec, operator: str) -> dict[str, Any]:
        schema = super().filter_schema(spec, operator)
        return {**schema, **INT64} if operator not in ("isnull", "in", "contains") else schema


class FloatType(_Number):
    """``float``: a finite number, with optional ``min`` and ``max``."""

    name, sql, integer = "float", "REAL", False

    def to_json(self, stored: Any) -> float:
        return float(stored)

    def parse_query(self, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise Invalid("must be a number") from None
        if not math.isfinite(value):
            raise Invalid("must be a finite number")
        return value

    def schema(self, spec: Spec) -> dict[str, Any]:
        return self._bounds({"type": "number"}, spec)

    def in_item(self, spec: Spec) -> str:
        return r"-?[0-9]{1,15}(\.[0-9]{1,6})?"


class BoolType(FieldType):
    """``bool``: ``true`` or ``false``, stored as 1 or 0."""

    name, sql = "bool", "INTEGER"
    operators = frozenset({"eq", "ne", "isnull"})

    def coerce(self, value: Any, spec: Spec) -> int:
        if not isinstance(value, bool):
            raise Invalid("must be true or false")
        return int(value)

    def to_json(self, stored: Any) -> bool:
        return bool(stored)

    def parse_query(self, raw: str) -> int:
        if raw not in ("true", "false"):
            raise Invalid("must be true or false")
        return 1 if raw == "true" else 0

    def parse_form(self, raw: str) -> bool | None:
        return None if raw == "" else self.parse_query(raw) == 1

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {"type": "boolean"}

    def filter_schema(self, spec: Spec, operator: str) -> dict[str, Any]:
        return {"type": "string", "enum": ["true", "false"]}
