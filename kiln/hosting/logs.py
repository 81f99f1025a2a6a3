"""Each project's log, in one process: a context variable names the project a piece of work is
for (the host sets it around each request it hands a project, and around the project's startup,
so the tasks its runtime starts inherit it), and one handler on the root logger writes each
record to that project's ``<data>/logs/kiln.jsonl``, as ``kiln serve`` would. So the owner's
``/logs`` endpoint and ``kiln logs ROOT/projects/<slug>`` read the same lines."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from kiln.logs import LOG_BACKUPS, LOG_MAX_BYTES, JsonLinesFormatter, RequestIdFilter

__all__ = ["ProjectLogs", "for_project", "project_of_this_work"]

_project: ContextVar[str | None] = ContextVar("kiln_host_project", default=None)


def project_of_this_work() -> str | None:
    """The project the running code works for, if the host said."""
    return _project.get()


@contextlib.contextmanager
def for_project(slug: str) -> Iterator[None]:
    """While the block runs (and in tasks it starts), records are ``slug``'s."""
    token = _project.set(slug)
    try:
        yield
    finally:
        _project.reset(token)


class ProjectLogs(logging.Handler):
    """A root handler that sends each record to the file of the project it was made for."""

    def __init__(self) -> None:
        super().__init__()
        self._files: dict[str, logging.Handler] = {}
        self.addFilter(RequestIdFilter())

    def open(self, slug: str, log_file: Path) -> None:
        """Write ``slug``'s records to ``log_file`` (rotated as ``kiln serve``'s is)."""
        self.close_project(slug)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        handler.setFormatter(JsonLinesFormatter())
        self._files[slug] = handler

    def close_project(self, slug: str) -> None:
        """Stop writing ``slug``'s file."""
        handler = self._files.pop(slug, None)
        if handler is not None:
            handler.close()

    def emit(self, record: logging.LogRecord) -> None:
        slug = _project.get()
        handler = self._files.get(slug) if slug is not None else None
        if handler is not None:
            handler.handle(record)

    def close(self) -> None:
        for slug in list(self._files):
            self.close_project(slug)
        super().close()
