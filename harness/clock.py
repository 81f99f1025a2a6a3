"""``TestApp.clock``: move the time an app sees, without sleeping.

For kiln apps the harness drives the app's own injected :class:`kiln.clock.Clock`, which only that
app reads. For any other app it uses time-machine, which moves ``time.time()`` and
``datetime.now()`` for the whole process (the server thread included) but leaves
``time.monotonic()`` alone, so asyncio timers keep working.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

__all__ = ["AppClock", "Instant", "KilnClock", "ProcessClock", "to_datetime"]

Instant = datetime | str | float | int


def _utc(when: datetime) -> datetime:
    """``when`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def to_datetime(when: Instant) -> datetime:
    """Accept an aware or naive (UTC) datetime, an ISO-8601 string (``Z`` allowed) or a timestamp."""
    if isinstance(when, datetime):
        return _utc(when)
    if isinstance(when, int | float):
        return datetime.fromtimestamp(when, UTC)
    if isinstance(when, str):
        try:
            return _utc(datetime.fromisoformat(when.replace("Z", "+00:00").replace("z", "+00:00")))
        except ValueError:
            raise ValueError(f"not an ISO-8601 instant: {when!r}") from None
    raise TypeError(f"expected a datetime, an ISO-8601 string or a timestamp, not {type(when).__name__}")


class AppClock(Protocol):
    """What ``TestApp.clock`` offers, whichever clock is behind it."""

    def set(self, when: Instant) -> None:
        """Freeze the app's time at ``when``."""

    def advance(self, **delta: float) -> None:
        """Move the app's time by ``timedelta(**delta)``: ``advance(hours=2)``."""

    def now(self) -> datetime:
        """The time the app sees, as an aware UTC datetime."""


class _InjectedClock(Protocol):
    """The part of :class:`kiln.clock.Clock` the harness drives."""

    def set(self, when: datetime) -> None: ...

    def advance(self, delta: timedelta) -> None: ...

    def now(self) -> datetime: ...


class KilnClock:
    """Drives a kiln app's own clock; nothing else in the process is affected."""

    def __init__(self, clock: _InjectedClock) -> None:
        self.clock = clock

    def set(self, when: Instant) -> None:
        """Freeze the app's time at ``when``."""
        self.clock.set(to_datetime(when))

    def advance(self, **delta: float) -> None:
        """Move the app's time by ``timedelta(**delta)``."""
        self.clock.advance(timedelta(**delta))

    def now(self) -> datetime:
        """The time the app sees."""
        return self.clock.now()

    def close(self) -> None:
        """Nothing to undo: the clock dies with its app."""


class _ProcessTime:
    """The one time-machine travel that every :class:`ProcessClock` in the process shares.

    time-machine keeps a stack of travels and its ``stop()`` pops the newest, whichever travel it
    is called on; so clocks never start travels of their own. The first one to move starts the
    shared travel, each move moves it, and the last one to close ends it. A clock closing while
    others remain leaves the time where it is.
    """

    def __init__(self) -> None:
        # runs once, at import, before mutation testing can swap a mutant in
        self._lock = threading.Lock()  # pragma: no mutate
        self._travel: Any = None  # pragma: no mutate
        self._coordinates: Any = None  # pragma: no mutate
        self._users: set[object] = set()  # pragma: no mutate

    def move_to(self, user: object, destination: datetime) -> None:
        with self._lock:
            if self._travel is None:
                import time_machine

                self._travel = time_machine.travel(
                    destination, tick=False
                )  # pragma: no mutate (None is False)
                self._coordinates = self._travel.start()
            else:
                self._coordinates.move_to(destination)
            self._users.add(user)

    def release(self, user: object) -> None:
        with self._lock:
            self._users.discard(user)
            if not self._users and self._travel is not None:
                self._travel.stop()
                self._travel = self._coordinates = None


_process_time = _ProcessTime()


class ProcessClock:
    """Moves the process clock with time-machine, for apps that read ``time.time()``/``datetime.now()``.

    Travel starts on the first :meth:`set` or :meth:`advance` and ends when the last such clock
    closes. The process clock is shared: two such apps in one test see the same moved time, and
    closing one, in any order, leaves the other's time where it is.
    """

    def set(self, when: Instant) -> None:
        """Freeze the process clock at ``when``."""
        _process_time.move_to(self, to_datetime(when))

    def advance(self, **delta: float) -> None:
        """Move the process clock by ``timedelta(**delta)`` and keep it frozen there."""
        self.set(self.now() + timedelta(**delta))

    def now(self) -> datetime:
        """The process's (possibly moved) time."""
        return datetime.now(UTC)

    def close(self) -> None:
        """Stop holding the process's time; the last clock to close returns it to real time."""
        _process_time.release(self)
