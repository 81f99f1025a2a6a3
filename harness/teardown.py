"""Cleanup that cannot half-happen: every step runs, in reverse, and a failed one can be retried."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Teardown"]

Step = Callable[[], object]


class Teardown:
    """Cleanup steps registered as their resources are acquired, run last-in first-out.

    Like :class:`contextlib.ExitStack`, :meth:`close` runs every step even when an earlier one
    raised. Unlike it, no failure is lost: the first one is raised once all steps have run, with
    every later one added to it as a note. A step that raised stays registered, so calling
    :meth:`close` again retries just the steps that failed, in their original order.
    """

    def __init__(self) -> None:
        self._steps: list[Step] = []

    def push(self, step: Step) -> None:
        """Register ``step``, to run before every step registered earlier."""
        self._steps.append(step)

    @property
    def pending(self) -> bool:
        """Whether some step has not yet run successfully."""
        return bool(self._steps)

    def close(self) -> None:
        """Run every pending step, newest first; raise the first failure once all have run."""
        steps, self._steps = self._steps, []
        failed: list[Step] = []
        errors: list[BaseException] = []
        for step in reversed(steps):
            try:
                step()
            except BaseException as exc:
                failed.append(step)
                errors.append(exc)
        self._steps = [step for step in steps if any(step is f for f in failed)]
        if errors:
            first = errors[0]
            for later in errors[1:]:
                first.add_note(f"and then: {type(later).__name__}: {later}")
            raise first
