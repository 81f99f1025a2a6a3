"""``ref``: the id of a record of another entity, kept consistent by a foreign key."""

from __future__ import annotations

from typing import Any

from kiln.errors import Invalid
from kiln.fieldtypes.base import FieldType, Spec

__all__ = ["RefType"]


class RefType(FieldType):
    """``ref``: a record id; whether the record exists is checked against the database.

    ``to``, ``on_delete`` and ``related_name`` describe the relation: the store declares the
    foreign key, and ``kiln.manifest.relations`` names both directions.
    """

    name, sql = "ref", "INTEGER"
    options = frozenset({"to", "on_delete", "related_name"})
    operators = frozenset({"eq", "ne", "in", "isnull"})

    def coerce(self, value: Any, spec: Spec) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
            raise Invalid("must be the id of a record (a positive integer)")
        return value

    def parse_query(self, raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise Invalid("must be a record id") from None

    def parse_form(self, raw: str) -> int | None:
        return None if raw == "" else self.parse_query(raw)

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {
            "type": "integer",
            "minimum": 1,
            "maximum": 2**63 - 1,
            "description": f"the id of a {spec.to}",
        }

    def in_item(self, spec: Spec) -> str:
        return r"[0-9]{1,18}"
