"""Failed-login limits, counted on the app's clock: per email and per client address."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque

from kiln.clock import Clock

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """Blocks a key (an email, an address) after ``limit`` failures within ``window`` seconds.

    The block lasts until the oldest counted failure leaves the window; ``retry_after`` says how
    long that is. Success clears an email's count. Kept in memory, per app instance.
    """

    def __init__(self, clock: Clock, limit: int, window: int) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until every key may try again; 0 when none is blocked."""
        now = self.clock.timestamp()
        wait = 0.0
        with self._lock:
            for key in keys:
                failures = self._prune(key, now)
                if len(failures) >= self.limit:
                    wait = max(wait, failures[0] + self.window - now)
        return math.ceil(wait)

    def fail(self, *keys: str) -> None:
        """Count one failure against each key."""
        now = self.clock.timestamp()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
