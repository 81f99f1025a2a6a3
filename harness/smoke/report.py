"""kiln-smoke's output, with rich: a line per step as it ends (its time, and the error when it
failed), teardown failures as warnings, and a summary table with the ``N/N passed`` line."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from harness.smoke.runner import InstanceResult, StepResult

__all__ = ["Report"]

_MARKS = {"passed": "[green]✓[/green]", "failed": "[red]✗[/red]", "skipped": "[dim]-[/dim]"}


class Report:
    """Where the run's progress goes (stdout by default; ``console`` for tests)."""

    def __init__(self, console: Console | None = None, *, verbose: bool = False) -> None:
        self.console = console or Console(highlight=False)
        self.verbose = verbose
        self._lock = threading.Lock()

    def note(self, text: str) -> None:
        """A line about the run itself."""
        with self._lock:
            self.console.print(text, markup=False)

    def step(self, instance_id: str, result: StepResult) -> None:
        """A step ended: one line, as the instances run."""
        if result.phase == "teardown" and result.status == "failed":
            warning = f"[yellow]warning[/yellow] {_escape(result.error)}"
            line = f"[yellow]![/yellow] {instance_id} teardown {result.name}: {warning}"
        elif result.phase == "teardown" and not self.verbose:
            return
        else:
            took = f"[dim]{result.seconds * 1000:.0f} ms[/dim]"
            line = f"{_MARKS[result.status]} {instance_id} {result.name} {took}"
            if result.status == "failed":
                line += f"\n    [red]{_escape(result.error)}[/red]"
        with self._lock:
            self.console.print(line)

    def summary(self, results: Sequence[InstanceResult], seconds: float) -> None:
        """The table of instances and the ``N/N passed`` line."""
        table = Table(title="kiln-smoke")
        for column in ("instance", "steps passed", "failed step", "time", "evidence"):
            table.add_column(column)
        for result in results:
            failed = next((step for step in result.steps if step.status == "failed"), None)
            passed = sum(step.status == "passed" for step in result.steps)
            table.add_row(
                result.id,
                f"{passed}/{len(result.steps)}",
                failed.name if failed else "-",
                f"{sum(step.seconds for step in result.steps):.2f} s",
                str(result.evidence) if result.evidence else "-",
            )
        passed = sum(result.passed for result in results)
        with self._lock:
            self.console.print(table)
            self.console.print(f"{passed}/{len(results)} passed in {seconds:.1f} s", markup=False)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
