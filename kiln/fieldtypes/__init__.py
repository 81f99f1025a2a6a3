"""The field types of ``app.toml``, one object each, and :data:`TYPES`, the table of them.

The manifest checks options and defaults with them, the store takes its column types from them,
the REST layer validates bodies and filter values with them, and OpenAPI asks them for schemas,
so a type behaves the same way everywhere. A new type is one class and one line here.
"""

from kiln.fieldtypes.base import COMPARISONS, INT64, UNCONSTRAINED, FieldType, Spec, list_of, one_of
from kiln.fieldtypes.files import FILES_TABLE, FileType, file_object, file_url
from kiln.fieldtypes.json_values import JsonType
from kiln.fieldtypes.numbers import BoolType, FloatType, IntType
from kiln.fieldtypes.references import RefType
from kiln.fieldtypes.sizes import parse_duration, parse_size
from kiln.fieldtypes.text import EmailType, EnumType, TextType, UrlType
from kiln.fieldtypes.times import DateTimeType, DateType, format_datetime

__all__ = [
    "COMPARISONS",
    "FILES_TABLE",
    "INT64",
    "NOT_BUILT_YET",
    "OPERATORS",
    "TYPES",
    "UNCONSTRAINED",
    "FieldType",
    "Spec",
    "file_object",
    "file_url",
    "format_datetime",
    "list_of",
    "one_of",
    "parse_duration",
    "parse_size",
]

#: The field types kiln stores today, by name, in the order the docs list them.
TYPES: dict[str, FieldType] = {
    kind.name: kind
    for kind in (
        TextType(),
        IntType(),
        FloatType(),
        BoolType(),
        DateType(),
        DateTimeType(),
        JsonType(),
        EmailType(),
        UrlType(),
        EnumType(),
        RefType(),
        FileType(),
    )
}

#: Every filter operator, in the order OpenAPI lists them.
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "isnull")

#: Types the contract defines whose features are not built yet: accepted with a warning, not stored.
NOT_BUILT_YET = {
    "password": frozenset({"min_length", "max_length"}),
}
