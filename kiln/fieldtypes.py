"""The field types of ``app.toml``: how each is validated, stored in SQLite and written as JSON.

One table, :data:`TYPES`, serves the manifest (checking defaults and options), the store (column
types) and the REST layer (request bodies and filter values), so a type behaves the same way
everywhere.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from kiln.errors import Invalid

__all__ = ["NOT_BUILT_YET", "TYPES", "FieldType", "format_datetime"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def format_datetime(when: datetime) -> str:
    """Stored and JSON form of a datetime: UTC, milliseconds, ``Z``; fixed width, so text sorts as time."""
    when = when.astimezone(UTC)
    # not strftime("%Y"): it writes year 746 as "746", which breaks the fixed width
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:{when.second:02d}."
        f"{when.microsecond // 1000:03d}Z"
    )


@dataclass(frozen=True)
class FieldType:
    """A field type: its SQLite column type and the options it takes beyond the common ones."""

    name: str
    sql: str
    options: frozenset[str] = frozenset()

    def coerce(self, value: Any, spec: Any) -> Any:
        """Validate a JSON value for the field ``spec``; return what is stored, or raise :class:`Invalid`."""
        checker = _COERCE[self.name]
        return checker(value, spec)

    def to_json(self, stored: Any) -> Any:
        """The JSON value of what the database holds."""
        if stored is None:
            return None
        if self.name == "bool":
            return bool(stored)
        if self.name == "json":
            return json.loads(stored)
        if self.name == "float":
            return float(stored)
        return stored

    def parse_query(self, raw: str, spec: Any) -> Any:
        """A filter value from a query string, as the database holds it. Raise :class:`Invalid`."""
        value: Any = raw
        if self.name == "int":
            try:
                value = int(raw)
            except ValueError:
                raise Invalid("must be an integer") from None
        elif self.name == "float":
            try:
                value = float(raw)
            except ValueError:
                raise Invalid("must be a number") from None
            if not math.isfinite(value):
                raise Invalid("must be a finite number")
        elif self.name == "bool":
            if raw not in ("true", "false"):
                raise Invalid("must be true or false")
            return 1 if raw == "true" else 0
        elif self.name == "json":
            raise Invalid("cannot be filtered: it is a json field")
        elif self.name in ("text", "email", "url"):
            return raw  # filters compare text as given, without length or pattern rules
        elif self.name == "ref":
            try:
                return int(raw)
            except ValueError:
                raise Invalid("must be a record id") from None
        return self.coerce(value, _Unconstrained())


class _Unconstrained:
    """A spec with no limits, for values that must only have the right type (filters)."""

    min = max = min_length = max_length = pattern = None
    choices: tuple[str, ...] = ()


def _text(value: Any, spec: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be a string")
    if spec.min_length is not None and len(value) < spec.min_length:
        raise Invalid(f"must be at least {_characters(spec.min_length)}")
    if spec.max_length is not None and len(value) > spec.max_length:
        raise Invalid(f"must be at most {_characters(spec.max_length)}")
    if spec.pattern is not None and not re.search(spec.pattern, value):
        raise Invalid(f"must match the pattern {spec.pattern}")
    return value


def _characters(count: int) -> str:
    return f"{count} character" + ("" if count == 1 else "s")


def _number(value: Any, spec: Any, integer: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("must be an integer" if integer else "must be a number")
    if integer and isinstance(value, float):
        if not value.is_integer():  # 3.0 is an integer, as JSON Schema says; 3.5 is not
            raise Invalid("must be an integer")
        value = int(value)
    if not integer and not math.isfinite(value):
        raise Invalid("must be a finite number")
    if integer and not -(2**63) <= value < 2**63:
        raise Invalid("is out of range for a 64-bit integer")
    if spec.min is not None and value < spec.min:
        raise Invalid(f"must be at least {spec.min:g}")
    if spec.max is not None and value > spec.max:
        raise Invalid(f"must be at most {spec.max:g}")
    return value if integer else float(value)


def _bool(value: Any, spec: Any) -> int:
    if not isinstance(value, bool):
        raise Invalid("must be true or false")
    return int(value)


def _date(value: Any, spec: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise Invalid("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise Invalid("must be a valid calendar date") from None


def _datetime(value: Any, spec: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be an ISO-8601 datetime string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Invalid("must be an ISO-8601 datetime such as 2030-01-31T12:00:00Z") from None
    if parsed.tzinfo is None:
        raise Invalid("must include a timezone, such as Z")
    return format_datetime(parsed)


def _json(value: Any, spec: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _email(value: Any, spec: Any) -> str:
    text = _text(value, spec)
    if len(text) > 254 or not _EMAIL.match(text):
        raise Invalid("must be an email address")
    return text


def _url(value: Any, spec: Any) -> str:
    text = _text(value, spec)
    try:
        parts = urlsplit(text)
    except ValueError:  # "Invalid IPv6 URL", or a netloc that NFKC would change
        raise Invalid("must be an http or https URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid("must be an http or https URL")
    return text


def _ref(value: Any, spec: Any) -> int:
    """A record id; whether that record exists is checked against the database."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
        raise Invalid("must be the id of a record (a positive integer)")
    return value


def _enum(value: Any, spec: Any) -> str:
    if not isinstance(value, str) or (spec.choices and value not in spec.choices):
        raise Invalid("must be one of " + ", ".join(spec.choices))
    return value


_COERCE: dict[str, Any] = {
    "text": _text,
    "int": lambda value, spec: _number(value, spec, integer=True),
    "float": lambda value, spec: _number(value, spec, integer=False),
    "bool": _bool,
    "date": _date,
    "datetime": _datetime,
    "json": _json,
    "email": _email,
    "url": _url,
    "enum": _enum,
    "ref": _ref,
}

_STRING_OPTIONS = frozenset({"min_length", "max_length", "pattern", "search"})

#: The field types kiln stores today, by name.
TYPES: dict[str, FieldType] = {
    "text": FieldType("text", "TEXT", _STRING_OPTIONS),
    "int": FieldType("int", "INTEGER", frozenset({"min", "max"})),
    "float": FieldType("float", "REAL", frozenset({"min", "max"})),
    "bool": FieldType("bool", "INTEGER"),
    "date": FieldType("date", "TEXT"),
    "datetime": FieldType("datetime", "TEXT"),
    "json": FieldType("json", "TEXT"),
    "email": FieldType("email", "TEXT", _STRING_OPTIONS),
    "url": FieldType("url", "TEXT", _STRING_OPTIONS),
    "enum": FieldType("enum", "TEXT", frozenset({"choices"})),
    "ref": FieldType("ref", "INTEGER", frozenset({"to", "on_delete", "related_name"})),
}

#: Types the contract defines whose features are not built yet: accepted with a warning, not stored.
NOT_BUILT_YET = {
    "file": frozenset({"max_size", "accept", "thumbs"}),
    "password": frozenset({"min_length", "max_length"}),
}
