"""Collect every problem in a manifest, instead of stopping at the first."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from kiln.errors import Problem

__all__ = ["Report"]


class Report:
    """Errors and warnings about one file, each at a key path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, key_path: str, message: str) -> None:
        """Record a problem that stops the app from compiling."""
        self.errors.append(Problem(self.file, key_path, message))

    def warn(self, key_path: str, message: str) -> None:
        """Record something that has no effect but does not stop the app."""
        self.warnings.append(Problem(self.file, key_path, message))

    def not_built(self, key_path: str) -> None:
        """A key the contract defines whose feature is not built yet."""
        self.warn(key_path, "is not supported yet and has no effect")

    def check_keys(
        self, table: Mapping[str, Any], prefix: str, known: Iterable[str], later: Iterable[str] = ()
    ) -> None:
        """Error on keys that are neither ``known`` nor ``later``; warn on ``later`` ones."""
        known, later = set(known), set(later)
        for key in table:
            path = f"{prefix}.{key}" if prefix else key
            if key in later:
                self.not_built(path)
            elif key not in known:
                self.error(path, unknown_key(key, known | later))

    def table(self, value: Any, key_path: str, example: str) -> dict[str, Any] | None:
        """``value`` if it is a table, else an error saying what was expected."""
        if isinstance(value, dict):
            return value
        self.error(key_path, f"must be a table, such as {example}")
        return None


def unknown_key(key: str, known: Iterable[str]) -> str:
    """``unknown key "nmae" (did you mean "name"?)``."""
    message = f'unknown key "{key}"'
    near = difflib.get_close_matches(key, sorted(known))  # the best match comes first
    if near:
        message += f' (did you mean "{near[0]}"?)'
    return message


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean "Author"?)`` or an empty string."""
    near = difflib.get_close_matches(word, sorted(known))  # the best match comes first
    return f' (did you mean "{near[0]}"?)' if near else ""
