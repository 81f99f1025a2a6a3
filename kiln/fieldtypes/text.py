"""Text and its refinements: ``text``, ``email``, ``url`` and ``enum``."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from kiln.errors import Invalid
from kiln.fieldtypes.base import FieldType, Spec, one_of

__all__ = ["EmailType", "EnumType", "TextType", "UrlType"]

_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, less its angle brackets


class TextType(FieldType):
    """``text``: a string, with optional ``min_length``, ``max_length`` and ``pattern``."""

    name, sql = "text", "TEXT"
    options = frozenset({"min_length", "max_length", "pattern", "search"})
    operators = FieldType.operators | {"contains"}

    def coerce(self, value: Any, spec: Spec) -> str:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        if spec.min_length is not None and len(value) < spec.min_length:
            raise Invalid(f"must be at least {_characters(spec.min_length)}")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise Invalid(f"must be at most {_characters(spec.max_length)}")
        if spec.pattern is not None and not re.search(spec.pattern, value):
            raise Invalid(f"must match the pattern {spec.pattern}")
        return value

    def parse_query(self, raw: str) -> str:
        return raw  # filters compare text as given, without length or pattern rules

    def schema(self, spec: Spec) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if spec.min_length is not None:
            schema["minLength"] = spec.min_length
        if spec.max_length is not None:
            schema["maxLength"] = spec.max_length
        if spec.pattern is not None:
            schema["pattern"] = spec.pattern
        return schema


class EmailType(TextType):
    """``email``: text that is an email address by RFC 5322's syntax, as email-validator reads it."""

    name = "email"

    def coerce(self, value: Any, spec: Spec) -> str:
        text = super().coerce(value, spec)
        if len(text) > _EMAIL_LENGTH:
            raise Invalid("must be an email address")
        try:
            validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            raise Invalid("must be an email address") from None
        return text

    def schema(self, spec: Spec) -> dict[str, Any]:
        schema = super().schema(spec)
        return {
            **schema,
            "format": "email",
            "maxLength": min(schema.get("maxLength", _EMAIL_LENGTH), _EMAIL_LENGTH),
        }


class UrlType(TextType):
    """``url``: text that is an absolute ``http`` or ``https`` URL."""

    name = "url"

    def coerce(self, value: Any, spec: Spec) -> str:
        text = super().coerce(value, spec)
        try:
            parts = urlsplit(text)
        except ValueError:  # "Invalid IPv6 URL", or a netloc that NFKC would change
            raise Invalid("must be an http or https URL") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid("must be an http or https URL")
        return text

    def schema(self, spec: Spec) -> dict[str, Any]:
        schema = super().schema(spec)
        return schema if spec.pattern is not None else {**schema, "pattern": r"^https?://[^/\s?#@]+"}


class EnumType(FieldType):
    """``enum``: one of the declared ``choices``."""

    name, sql = "enum", "TEXT"
    options = frozenset({"choices"})
    operators = frozenset({"eq", "ne", "in", "isnull"})

    def coerce(self, value: Any, spec: Spec) -> str:
        if not isinstance(value, str) or (spec.choices and value not in spec.choices):
            raise Invalid("must be one of " + ", ".join(spec.choices))
        return value

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {"type": "string", "enum": list(spec.choices)}

    def in_item(self, spec: Spec) -> str:
        return one_of(spec.choices)


def _characters(count: int) -> str:
    return f"{count} character" + ("" if count == 1 else "s")
