"""Declaring a workflow: the ``@workflow(name, max_attempts=3)`` decorator and ``NonRetryableError``.

The decorator leaves the function as it is and marks it with its :class:`Workflow`, so a
``handlers.py`` that defines workflows imports nothing else of kiln's.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

__all__ = ["NonRetryableError", "Workflow", "definition_of", "workflow"]

WorkflowFunction = Callable[[Any, Any], Awaitable[Any]]
F = TypeVar("F", bound=WorkflowFunction)
_MARK = "__kiln_workflow__"


class NonRetryableError(Exception):
    """Raised in a step: the run fails now, with no more tries."""


@dataclass(frozen=True)
class Workflow:
    """A workflow: its name, its ``async def fn(wf, input)``, and how often a step is tried."""

    name: str
    function: WorkflowFunction
    max_attempts: int = 3


def workflow(name: str, *, max_attempts: int = 3) -> Callable[[F], F]:
    """Mark ``async def fn(wf, input)`` as the workflow ``name``; a failing step is tried up to
    ``max_attempts`` times in all."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a workflow needs a name")
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
        raise ValueError(f"max_attempts must be a whole number of 1 or more, not {max_attempts!r}")

    def mark(function: F) -> F:
        if not inspect.iscoroutinefunction(function):
            raise TypeError(
                f"workflow {name!r} must be an async function: async def {function.__name__}(wf, input)"
            )
        setattr(function, _MARK, Workflow(name, function, max_attempts))
        return cast(F, function)  # iscoroutinefunction narrowed it; it is the same function

    return mark


def definition_of(function: Any) -> Workflow | None:
    """The :class:`Workflow` a function was marked with, or ``None``."""
    found = getattr(function, _MARK, None)
    return found if isinstance(found, Workflow) else None
