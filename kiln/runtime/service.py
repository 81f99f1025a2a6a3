"""The runtime of one app instance: its cron scheduler, mail delivery and SMTP listener.

:class:`Runtime` starts with the app's lifespan and stops with it. It subscribes to the app's
clock, so moving the clock runs whatever came due (cron jobs, mail retries) before the move
returns; meanwhile a background task wakes when the next thing is due in real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from kiln.clock import Clock
from kiln.runtime.cron import Scheduler
from kiln.runtime.delivery import Delivery
from kiln.runtime.inbound import InboundMail
from kiln.workflows import Engine

__all__ = ["Runtime"]

logger = logging.getLogger("kiln.runtime")
#: The longest the background task sleeps before it looks at the schedule again.
LONGEST_NAP = 60.0
#: How long a clock move waits for the jobs it made due.
CLOCK_MOVE_TIMEOUT = 120.0


class Runtime:
    """Owns the parts that run outside requests; ``start()`` and ``stop()`` in the event loop."""

    def __init__(
        self,
        clock: Clock,
        *,
        scheduler: Scheduler | None = None,
        delivery: Delivery | None = None,
        inbound: InboundMail | None = None,
        smtp: tuple[str, int] | None = None,
        workflows: Engine | None = None,
    ) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.delivery = delivery
        self.inbound = inbound
        self.workflows = workflows
        self.smtp = smtp
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def smtp_port(self) -> int | None:
        """The inbound SMTP listener's port, once it listens."""
        return self.inbound.port if self.inbound is not None else None

    async def start(self) -> None:
        """Listen for mail, catch up on missed cron runs, and start the background task."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._wake = asyncio.Event()
        if self.inbound is not None and self.smtp is not None:
            await self.inbound.listen(*self.smtp)
        if self.scheduler is not None:
            self.scheduler.start()
            await self.scheduler.run_due(catch_up=True)
        if self.workflows is not None:
            await self.workflows.run_due()  # runs that came due, or lost their worker, while down
        self._unsubscribe = self.clock.subscribe(self._clock_moved)
        self._task = self._loop.create_task(self._background())

    async def stop(self) -> None:
        """Stop everything :meth:`start` started."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.inbound is not None:
            await self.inbound.close()
        if self.workflows is not None:
            self.workflows.store.close()

    def wake(self) -> None:
        """Look at the schedule and the outbox now; safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._thread:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def run_due(self) -> None:
        """Run the cron jobs that came due, the workflow runs that are due, and try the mail whose
        time came, in that order."""
        if self.scheduler is not None:
            await self.scheduler.run_due()
        if self.workflows is not None:
            await self.workflows.run_due()
        if self.delivery is not None:
            await self.delivery.deliver_due()

    def settle(self) -> None:
        """Run what is due and wait for it, and for any delivery already under way.

        Called from outside the app's event loop (a test, a clock move); from inside it, this
        only wakes the background task, since the loop cannot wait for itself.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._thread:
            self._wake.set()
            return
        asyncio.run_coroutine_threadsafe(self.run_due(), loop).result(CLOCK_MOVE_TIMEOUT)

    def _clock_moved(self) -> None:
        """The clock's subscriber: run what came due before the move returns."""
        self.settle()

    async def _background(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # never let the loop die: log it and look again later
                logger.exception("the runtime's background pass failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._nap())

    def _nap(self) -> float:
        """Seconds until the next thing is due on the real clock (a frozen clock waits for a move)."""
        if self.clock.frozen:
            return LONGEST_NAP
        times: list[datetime] = []
        if self.scheduler is not None:
            wake = self.scheduler.next_wake()
            if wake is not None:
                times.append(wake)
        for part in (self.delivery, self.workflows):
            wake = part.next_wake() if part is not None else None
            if wake is not None:
                times.append(wake)
        if not times:
            return LONGEST_NAP
        seconds = (min(times) - self.clock.now()).total_seconds()
        return max(0.0, min(LONGEST_NAP, seconds + 0.01))
