"""Capture the log records each served app emits, kept apart per ``TestApp``.

One handler on the root logger serves every ``TestApp`` in the process. Each server runs in its
own :mod:`contextvars` context holding its :class:`LogBuffer`; asyncio tasks, callbacks and the
worker threads Starlette runs sync endpoints in all inherit that context, so a record lands in the
buffer of the server that emitted it, never in a neighbour's.

A plain :class:`threading.Thread` the app starts inherits no context. Its records land in the
buffer of the only app serving at that moment; while several serve at once, nothing says which
one started the thread, and such records reach none of them (they still reach the other
handlers, pytest's among them). Records from the main thread outside any server are the test's
own and go to no app.

While any app serves, the root logger is at INFO or lower and carries the routing handler; both
are put back exactly when the last app stops. (uvicorn's access logger is the server's business:
see :mod:`harness.server`.)
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import overload

__all__ = ["LogBuffer", "format_record", "request_id_var"]

#: The request id of the request being served, set by the recorder for each HTTP/WebSocket scope.
request_id_var: ContextVar[str | None] = ContextVar("harness_request_id", default=None)
_buffer_var: ContextVar[LogBuffer | None] = ContextVar("harness_log_buffer", default=None)


class LogBuffer(Sequence[logging.LogRecord]):
    """The log records one served app emitted, oldest first, each with a ``request_id`` attribute.

    ``request_id`` is the record's own when the app set one, else the id of the request being
    served when it was emitted, else ``None``.
    """

    def __init__(self, maxlen: int = 10_000) -> None:
        self._records: deque[logging.LogRecord] = deque(maxlen=maxlen)

    def append(self, record: logging.LogRecord) -> None:
        """Keep ``record``; the oldest records go once ``maxlen`` is reached."""
        self._records.append(record)

    @overload
    def __getitem__(self, index: int) -> logging.LogRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[logging.LogRecord]: ...
    def __getitem__(self, index: int | slice) -> logging.LogRecord | list[logging.LogRecord]:
        if isinstance(index, slice):
            return list(self._records)[index]
        return self._records[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[logging.LogRecord]:
        return iter(list(self._records))

    @property
    def messages(self) -> list[str]:
        """Every record's formatted message, oldest first."""
        return [record.getMessage() for record in self]

    @property
    def text(self) -> str:
        """Every record as one line of text (plus its traceback, if any)."""
        return "\n".join(format_record(record) for record in self)

    def bind(self) -> None:
        """Make this buffer the destination of records emitted in the current context."""
        _buffer_var.set(self)


class _RoutingHandler(logging.Handler):
    """Sends each record to the buffer of the context it was emitted in (see the module's notes)."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.serving: list[LogBuffer] = []  # the buffers of the apps serving now

    def emit(self, record: logging.LogRecord) -> None:
        buffer = _buffer_var.get()
        if buffer is None:
            buffer = self._sole_server_of_thread()
            if buffer is None:
                return
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        buffer.append(record)

    def _sole_server_of_thread(self) -> LogBuffer | None:
        serving = self.serving
        if len(serving) != 1 or threading.current_thread() is threading.main_thread():
            return None
        return serving[0]


class _SavedLogging:
    """What the harness changes in the process's logging while apps serve, saved to be put back."""

    def __init__(self) -> None:
        root = logging.getLogger()
        self.root_level: int | None = None  # set when the harness lowered it
        if root.level > logging.INFO or root.level == logging.NOTSET:
            self.root_level = root.level

    def restore(self) -> None:
        root = logging.getLogger()
        root.removeHandler(_handler)
        if self.root_level is not None:
            root.setLevel(self.root_level)


_handler = _RoutingHandler()
_lock = threading.Lock()
_saved: _SavedLogging | None = None


def attach(buffer: LogBuffer) -> None:
    """Start routing records to ``buffer``; the first app to serve installs the routing handler.

    The root logger is lowered to INFO while any ``TestApp`` is serving, as ``caplog.set_level``
    would, and every logger the harness or uvicorn touched is restored when the last one stops.
    """
    global _saved
    with _lock:
        if _saved is None:
            _saved = _SavedLogging()
            root = logging.getLogger()
            root.addHandler(_handler)
            if _saved.root_level is not None:
                root.setLevel(logging.INFO)
        _handler.serving.append(buffer)


def detach(buffer: LogBuffer) -> None:
    """Undo :func:`attach` for ``buffer``; the last app to stop puts the process's logging back."""
    global _saved
    with _lock:
        with contextlib.suppress(ValueError):
            _handler.serving.remove(buffer)
        if not _handler.serving and _saved is not None:
            _saved.restore()
            _saved = None


def format_record(record: logging.LogRecord) -> str:
    """One readable line per record: time, level, logger, request id, message, then any traceback."""
    when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
    request_id = getattr(record, "request_id", None)
    line = f"{when} {record.levelname:<7} {record.name}"
    if request_id:
        line += f" [{request_id}]"
    line += f": {record.getMessage()}"
    if record.exc_text:  # already rendered (and, by kiln, stripped of secret values)
        line += "\n" + record.exc_text
    elif record.exc_info:
        line += "\n" + logging.Formatter().formatException(record.exc_info)
    return line
