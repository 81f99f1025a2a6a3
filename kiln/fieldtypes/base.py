"""What every field type is: one object owning a type's whole behaviour.

A field type validates a JSON value into what SQLite stores (:meth:`FieldType.coerce`), turns it
back into JSON (:meth:`~FieldType.to_json`), reads a filter value from a query string
(:meth:`~FieldType.parse_query`), and says which column type it needs, which filter operators
it supports, whether lists sort by it, and the JSON Schemas of its values and filters. Nothing
outside its class asks which type a field is to decide how it behaves.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol

__all__ = ["COMPARISONS", "INT64", "UNCONSTRAINED", "FieldType", "Spec", "list_of", "one_of"]

#: The operators of types whose values are ordered.
COMPARISONS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"})
#: The bounds of a 64-bit integer, as JSON Schema keywords.
INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


class Spec(Protocol):
    """The declared options of one field that a type reads (``kiln.manifest.model.Field`` is one)."""

    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def min_length(self) -> int | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def choices(self) -> tuple[str, ...]: ...
    @property
    def to(self) -> str | None: ...


class _Unconstrained:
    """A spec with no limits, for values that must only have the right type (filters)."""

    min = max = min_length = max_length = pattern = to = None
    choices: tuple[str, ...] = ()


#: The spec of a value that needs only the right type, such as a filter value.
UNCONSTRAINED: Spec = _Unconstrained()


class FieldType:
    """One field type of ``app.toml``. Subclasses set the class attributes and override what differs."""

    #: The name written in ``app.toml``: ``type = "int"``.
    name: ClassVar[str]
    #: The SQLite column type.
    sql: ClassVar[str]
    #: The options this type takes beyond ``type``, ``required``, ``unique`` and ``default``.
    options: ClassVar[frozenset[str]] = frozenset()
    #: The filter operators lists accept on fields of this type.
    operators: ClassVar[frozenset[str]] = COMPARISONS
    #: Whether ``?sort=`` may name a field of this type.
    sortable: ClassVar[bool] = True

    def coerce(self, value: Any, spec: Spec) -> Any:
        """Validate a JSON value for the field; return what is stored, or raise :class:`Invalid`."""
        raise NotImplementedError

    def to_json(self, stored: Any) -> Any:
        """The JSON value of what the database holds (never ``None``: callers pass that through)."""
        return stored

    def select(self, table: str, column: str) -> str:
        """The SQL that selects the field's value from a row of ``table`` (both quoted)."""
        return column

    def parse_query(self, raw: str) -> Any:
        """A filter value from a query string, as the database holds it, or :class:`Invalid`.

        By default the text is checked like a body value, without the field's own limits.
        """
        return self.coerce(raw, UNCONSTRAINED)

    def parse_form(self, raw: str) -> Any:
        """The JSON value a multipart form part's text stands for; text as it is by default.

        Types whose values are not text read it as a filter value, and an empty part as ``null``.
        """
        return raw

    def schema(self, spec: Spec) -> dict[str, Any]:
        """The JSON Schema of a value sent in a body, with the bounds :meth:`coerce` enforces."""
        raise NotImplementedError

    def returned_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of the value records return, when it is not the one bodies send."""
        return None

    def in_item(self, spec: Spec) -> str | None:
        """A regex for one item of an ``__in`` list, or ``None`` when any text will do."""
        return None

    def filter_schema(self, spec: Spec, operator: str) -> dict[str, Any]:
        """The JSON Schema of the query parameter ``<field>__<operator>``."""
        if operator == "isnull":
            return {"type": "string", "enum": ["true", "false"]}
        if operator == "in":
            item = self.in_item(spec)
            return {"type": "string", "pattern": list_of(item)} if item else {"type": "string"}
        if operator == "contains":
            return {"type": "string"}
        schema = self.schema(spec)
        return {key: value for key, value in schema.items() if key in ("type", "enum", "format")}

    def __repr__(self) -> str:
        return f"<field type {self.name}>"


def one_of(names: list[str] | tuple[str, ...]) -> str:
    """A regex matching exactly one of ``names``."""
    return "(" + "|".join(re.escape(name) for name in names) + ")"


def list_of(item: str) -> str:
    """A regex for a comma-separated list of ``item``s."""
    return f"^{item}(,{item})*$"
