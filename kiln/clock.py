"""The one clock every time-dependent part of kiln reads.

Record timestamps, token expiry, presigned-URL expiry, rate limits and cron all ask an app's
:class:`Clock` for the time instead of calling :func:`datetime.now`, so a test can move time for
one app without touching the process clock (or its neighbours running in the same process).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "utc"]


def utc(when: datetime) -> datetime:
    """``when`` as an aware UTC datetime; a naive datetime is taken to be UTC already."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


class Clock:
    """Real UTC time until :meth:`set` or :meth:`advance` freezes it; :meth:`resume` unfreezes it.

    A frozen clock stays where it was put, so tests are exact: after ``set(t)``, ``now()`` is ``t``
    until the test moves it again.

    Whatever must happen when time moves (cron jobs coming due, mail retries) subscribes with
    :meth:`subscribe`; each move calls the subscribers, in the mover's thread, before it returns.
    """

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[], None]] = []

    def subscribe(self, moved: Callable[[], None]) -> Callable[[], None]:
        """Call ``moved()`` after every :meth:`set`, :meth:`advance` and :meth:`resume`; returns
        the function that unsubscribes it."""
        self._subscribers.append(moved)
        return lambda: self._subscribers.remove(moved)

    def _moved(self) -> None:
        for moved in list(self._subscribers):
            moved()

    @property
    def frozen(self) -> bool:
        """Whether the clock has been set and no longer follows real time."""
        return self._frozen is not None

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        frozen = self._frozen
        return frozen if frozen is not None else datetime.now(UTC)

    def timestamp(self) -> float:
        """The current instant as seconds since the epoch."""
        return self.now().timestamp()

    def set(self, when: datetime) -> None:
        """Freeze the clock at ``when``."""
        with self._lock:
            self._frozen = utc(when)
        self._moved()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta`` (backward if negative) and keep it frozen there."""
        with self._lock:
            self._frozen = self.now() + delta
        self._moved()

    def resume(self) -> None:
        """Follow real time again."""
        with self._lock:
            self._frozen = None
        self._moved()
