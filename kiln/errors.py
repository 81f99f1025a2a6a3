"""Errors kiln reports to the people who write apps.

::

    KilnError
     └── ManifestError    app.toml has problems; ``problems`` lists each one with its key path
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KilnError", "ManifestError", "Problem"]


class KilnError(Exception):
    """Base class of kiln's own errors."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an app's files: ``app.toml: app.name: is required``."""

    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: {self.message}"


class ManifestError(KilnError):
    """The app's manifest cannot be compiled; each problem is one line of the message."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
