"""How ``kiln serve`` logs, and how ``kiln logs`` reads it back.

``kiln serve`` writes each record twice: a line on stderr for the person watching, and a JSON
object per line in ``<data dir>/logs/kiln.jsonl`` (``time``, ``level``, ``logger``,
``request_id``, ``message``), rotated at 10 MB. :func:`read_log` filters that file and its
rotated predecessors, oldest first; :func:`parse_since` reads ``--since``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "LEVELS",
    "LOG_BACKUPS",
    "LOG_FILE",
    "LOG_MAX_BYTES",
    "JsonLinesFormatter",
    "LogFilter",
    "RequestIdFilter",
    "log_files",
    "logging_to",
    "parse_line",
    "parse_since",
    "read_log",
    "read_log_file",
    "serve_log_config",
]

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
#: Where, under the data directory, ``kiln serve`` writes its JSON lines.
LOG_FILE = Path("logs") / "kiln.jsonl"
#: The size at which the log file is rotated, and how many rotated files are kept.
LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 5
#: The levels ``kiln logs --level`` takes, lowest first.
LEVELS = ("debug", "info", "warning", "error")
_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class RequestIdFilter(logging.Filter):
    """Gives records from outside any request a ``-`` request id, so the format always applies."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (wall clock, UTC), ``level``, ``logger``,
    ``request_id`` (``null`` outside a request) and ``message``, with the traceback after it."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            message = f"{message}\n{record.exc_text}"
        request_id = getattr(record, "request_id", None)
        line = {
            "time": _stamp(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": None if request_id in (None, "-") else request_id,
            "message": message,
        }
        return json.dumps(line, ensure_ascii=False)


def serve_log_config(level: str = "INFO", log_file: Path | None = None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``kiln serve``: stderr, request ids, uvicorn included,
    and JSON lines in ``log_file`` (made with its folder) when one is given."""
    handlers: dict[str, Any] = {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "kiln",
            "filters": ["request_id"],
            "stream": "ext://sys.stderr",
        }
    }
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "formatter": "json",
            "filename": str(log_file),
            "maxBytes": LOG_MAX_BYTES,
            "backupCount": LOG_BACKUPS,
            "encoding": "utf-8",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"kiln": {"format": FORMAT}, "json": {"()": JsonLinesFormatter}},
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        # uvicorn's own defaults give "uvicorn" and "uvicorn.access" handlers and stop them
        # propagating; naming "uvicorn" here removes the handlers of it and of every child logger
        # (uvicorn.error, uvicorn.access), and lets all of them propagate to the root handler
        # aiosmtpd logs every SMTP command it reads at INFO: only its warnings are worth a line
        "loggers": {"uvicorn": {"propagate": True}, "mail.log": {"level": "WARNING"}},
    }


@contextmanager
def logging_to(log_file: Path, level: int = logging.INFO) -> Iterator[None]:
    """For a command that runs app code (``kiln cron trigger``): while it runs, records go to
    stderr and to ``log_file`` as ``kiln serve`` writes them; the handlers are removed after."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter(FORMAT))
    stderr.addFilter(RequestIdFilter())
    file = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file.setFormatter(JsonLinesFormatter())
    root = logging.getLogger()
    saved = root.level
    if saved != logging.NOTSET and saved > level:  # NOTSET on the root lets everything through
        root.setLevel(level)
    root.addHandler(stderr)
    root.addHandler(file)
    try:
        yield
    finally:
        root.removeHandler(file)
        root.removeHandler(stderr)
        root.setLevel(saved)
        file.close()


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: ``30s``, ``5m``, ``1h`` or ``2d`` before ``now``, or an ISO 8601 datetime (UTC
    unless it says otherwise). Raises ``ValueError`` with the accepted forms."""
    found = _SINCE.match(text.strip())
    if found:
        return now - timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())  # Python 3.11 reads a trailing Z
    except ValueError:
        raise ValueError(
            f"--since takes 30s, 5m, 1h, 2d or an ISO datetime such as 2026-12-01T09:30, not {text!r}"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LogFilter:
    """Which lines ``kiln logs`` shows: from ``since``, at ``level`` or above, of ``request_id``."""

    since: datetime | None = None
    level: str | None = None
    request_id: str | None = None

    def __call__(self, line: dict[str, Any]) -> bool:
        if self.level is not None and _rank(line.get("level")) < _rank(self.level):
            return False
        if self.request_id is not None and line.get("request_id") != self.request_id:
            return False
        if self.since is not None:
            stamp = line.get("time")
            try:
                when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
            except ValueError:
                when = None
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=UTC)  # a line written without a zone is UTC, as kiln writes
            return when is not None and when >= self.since
        return True


def log_files(log_file: Path) -> list[Path]:
    """``log_file`` and its rotated copies that exist, oldest first (``kiln.jsonl.5`` … ``kiln.jsonl``)."""
    rotated = [log_file.with_name(f"{log_file.name}.{n}") for n in range(LOG_BACKUPS, 0, -1)]
    return [path for path in [*rotated, log_file] if path.is_file()]


def read_log(log_file: Path, keep: LogFilter) -> Iterator[dict[str, Any]]:
    """The lines of ``log_file`` (rotated copies first) that ``keep`` accepts, oldest first. A
    line that is not a JSON object (a torn last line, say) is skipped."""
    for path in log_files(log_file):
        yield from read_log_file(path, keep)


def read_log_file(path: Path, keep: LogFilter) -> Iterator[dict[str, Any]]:
    """The lines of one log file that ``keep`` accepts, in order."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = parse_line(raw)
            if line is not None and keep(line):
                yield line


def parse_line(raw: str) -> dict[str, Any] | None:
    """One line of the log as its object, or ``None`` if it is not one."""
    try:
        line = json.loads(raw)
    except ValueError:
        return None
    return line if isinstance(line, dict) else None


def _rank(level: Any) -> int:
    name = level.lower() if isinstance(level, str) else ""
    name = {"critical": "error", "warn": "warning"}.get(name, name)
    return LEVELS.index(name) if name in LEVELS else 0


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
