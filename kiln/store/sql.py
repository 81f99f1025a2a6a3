"""Writing SQL text safely: identifiers and string literals."""

from __future__ import annotations

__all__ = ["literal", "quote"]


def quote(name: str) -> str:
    """An SQL identifier, double-quoted (names are validated, but quoting keeps keywords safe)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """An SQL string literal, for the places that take no parameters (DDL)."""
    return "'" + text.replace("'", "''") + "'"
