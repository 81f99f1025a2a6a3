"""Run ``[[cron]]`` jobs on kiln's clock, once per due time, with their history in the database.

The schedule state of each job is the last due time it accounted for (``_kiln_cron_state``).
When the clock passes due times (real time going by, or a test moving ``app.clock``), the job
runs once: a ``schedule`` run for one due time, a ``missed`` run standing for several, and
``missed`` too for a due time that passed while the server was down. Jobs run in order of their
first due time. Setting the clock back re-bases the schedule at the new time.

Two guards keep a job from running twice: the due time is claimed by compare-and-set on
``last_due``, so two processes on one data directory never both run it, and the run holds the
lease ``cron:<name>`` (:mod:`kiln.store.leases`), so a manual trigger in one process waits for
nobody and answers 409 ``job_running`` while another process runs the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from kiln.clock import Clock
from kiln.errors import Conflict, NotFound
from kiln.fieldtypes.times import format_datetime
from kiln.http.context import HandlerContext, call_handler
from kiln.manifest.model import CronJob
from kiln.secrets import redact
from kiln.store.database import Database
from kiln.store.leases import HOLDER, release_lease, take_lease

__all__ = ["JobRunning", "Scheduler", "due_times"]

logger = logging.getLogger("kiln.cron")
LEASE_SECONDS = 60.0
_RENEW_EVERY = 20.0
_RUN = "id, job, trigger, started_at, finished_at, status, error"


class JobRunning(Conflict):
    """A job was triggered while a run of it is still going, here or in another process."""

    code = "job_running"


@dataclass(frozen=True)
class Due:
    """What the clock's move means for one job: its first and last due time, and how many."""

    first: datetime
    last: datetime
    several: bool


def due_times(schedule: str, after: datetime, until: datetime) -> Due | None:
    """The due times of ``schedule`` in ``(after, until]``, or ``None`` if there are none."""
    from croniter import croniter

    first = croniter(schedule, after).get_next(datetime)
    if first > until:
        return None
    last = croniter(schedule, until + timedelta(microseconds=1)).get_prev(datetime)
    return Due(first=first, last=last, several=last != first)


def next_due(schedule: str, after: datetime) -> datetime:
    """The first due time of ``schedule`` after ``after``."""
    from croniter import croniter

    result: datetime = croniter(schedule, after).get_next(datetime)
    return result


class Scheduler:
    """The app's cron jobs: :meth:`run_due` runs what came due, :meth:`trigger` runs one now."""

    def __init__(
        self,
        jobs: tuple[CronJob, ...],
        handlers: ModuleType | None,
        database: Database,
        clock: Clock,
        context: Callable[[], HandlerContext],
        hidden: tuple[str, ...] = (),
    ) -> None:
        self.jobs = {job.name: job for job in jobs}
        self._handlers = handlers
        self._db = database
        self._clock = clock
        self._context = context
        self._hidden = hidden
        self._lock = asyncio.Lock()  # one pass over the schedule at a time
        self._running: set[str] = set()  # jobs with a run going in this process

    def start(self) -> None:
        """Give each new job its schedule state, starting now: it owes no runs from before it existed."""
        now = format_datetime(self._clock.now())
        with self._db.write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO _kiln_cron_state (job, last_due) VALUES (?, ?)",
                [(name, now) for name in self.jobs],
            )

    async def run_due(self, *, catch_up: bool = False) -> list[dict[str, Any]]:
        """Run each job whose due time the clock has passed, once, in order; returns the runs.

        ``catch_up`` is for startup: any due time that passed while the server was down is a
        ``missed`` run.
        """
        async with self._lock:
            now = self._clock.now()
            plans: list[tuple[datetime, int, CronJob, str, Due]] = []
            for index, job in enumerate(self.jobs.values()):
                last = self._last_due(job.name)
                if last is None:
                    continue
                if now < _parse(last):  # the clock went back: start again from here
                    self._claim(job.name, last, now)
                    continue
                due = due_times(job.schedule, _parse(last), now)
                if due is not None:
                    plans.append((due.first, index, job, last, due))
            runs = []
            for _, _, job, last, due in sorted(plans, key=lambda plan: plan[:2]):
                if not self._claim(job.name, last, due.last):
                    continue  # another process took this due time
                trigger = "missed" if due.several or catch_up else "schedule"
                run = await self._run(job, trigger, due.last, refuse_if_busy=False)
                if run is not None:
                    runs.append(run)
            return runs

    async def trigger(self, name: str) -> dict[str, Any]:
        """Run ``name`` now, outside its schedule; raises :class:`JobRunning` if it is running."""
        job = self._job(name)
        run = await self._run(job, "manual", None, refuse_if_busy=True)
        assert run is not None
        return run

    def listing(self) -> list[dict[str, Any]]:
        """``{"name", "schedule", "next_run", "last_run", "last_status"}`` for each job."""
        now = self._clock.now()
        conn = self._db.conn
        items = []
        for job in self.jobs.values():
            last = self._last_due(job.name)
            base = max(now, _parse(last)) if last is not None else now
            run = conn.execute(
                "SELECT started_at, status FROM _kiln_cron_runs WHERE job = ? ORDER BY id DESC LIMIT 1",
                [job.name],
            ).fetchone()
            items.append(
                {
                    "name": job.name,
                    "schedule": job.schedule,
                    "next_run": format_datetime(next_due(job.schedule, base)),
                    "last_run": run[0] if run else None,
                    "last_status": run[1] if run else None,
                }
            )
        return items

    def history(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        """The runs of ``name``, newest first."""
        self._job(name)
        rows = self._db.conn.execute(
            f"SELECT {_RUN} FROM _kiln_cron_runs WHERE job = ? ORDER BY id DESC LIMIT ?", [name, limit]
        ).fetchall()
        return [_run_json(row) for row in rows]

    def next_wake(self) -> datetime | None:
        """The earliest time any job comes due, from its schedule state."""
        now = self._clock.now()
        times = []
        for job in self.jobs.values():
            last = self._last_due(job.name)
            base = max(now, _parse(last)) if last is not None else now
            times.append(next_due(job.schedule, base))
        return min(times, default=None)

    # -- running one job --------------------------------------------------------------------

    def _job(self, name: str) -> CronJob:
        job = self.jobs.get(name)
        if job is None:
            known = ", ".join(self.jobs) or "none"
            raise NotFound(f'no cron job named "{name}" (jobs: {known})')
        return job

    async def _run(
        self, job: CronJob, trigger: str, due: datetime | None, *, refuse_if_busy: bool
    ) -> dict[str, Any] | None:
        lease = f"cron:{job.name}"
        if job.name in self._running or not take_lease(self._db.conn, lease, HOLDER, LEASE_SECONDS):
            if refuse_if_busy:
                raise JobRunning(f'cron job "{job.name}" is running already; try again when it has finished')
            logger.warning("cron job %s is running elsewhere; its %s run is skipped", job.name, trigger)
            return None
        self._running.add(job.name)
        try:
            with self._renewing(lease):
                run_id = self._record_start(job, trigger, due)
                error = await self._call(job)
                return self._record_end(run_id, error)
        finally:
            self._running.discard(job.name)
            release_lease(self._db.conn, lease, HOLDER)

    async def _call(self, job: CronJob) -> str | None:
        function = getattr(self._handlers, job.handler.removeprefix("handlers:"))
        ctx = self._context()
        try:
            await call_handler(function, ctx)
        except Exception as exc:
            logger.exception("cron job %s failed", job.name)
            return redact(f"{type(exc).__name__}: {exc}", self._hidden)
        finally:
            ctx.close()
        logger.info("cron job %s ran", job.name)
        return None

    @contextlib.contextmanager
    def _renewing(self, lease: str) -> Iterator[None]:
        """Keep the lease while the job runs longer than the lease lasts."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(_RENEW_EVERY)
                take_lease(self._db.conn, lease, HOLDER, LEASE_SECONDS)

        task = asyncio.get_running_loop().create_task(renew())
        try:
            yield
        finally:
            task.cancel()

    def _record_start(self, job: CronJob, trigger: str, due: datetime | None) -> int:
        with self._db.write() as conn:
            row = conn.execute(
                "INSERT INTO _kiln_cron_runs (job, trigger, due_at, started_at, status) "
                "VALUES (?, ?, ?, ?, 'running') RETURNING id",
                [
                    job.name,
                    trigger,
                    format_datetime(due) if due else None,
                    format_datetime(self._clock.now()),
                ],
            ).fetchone()
        return int(row[0])

    def _record_end(self, run_id: int, error: str | None) -> dict[str, Any]:
        with self._db.write() as conn:
            row = conn.execute(
                "UPDATE _kiln_cron_runs SET finished_at = ?, status = ?, error = ? "
                f"WHERE id = ? RETURNING {_RUN}",
                [format_datetime(self._clock.now()), "error" if error else "ok", error, run_id],
            ).fetchone()
        return _run_json(row)

    # -- schedule state ---------------------------------------------------------------------

    def _last_due(self, name: str) -> str | None:
        row = self._db.conn.execute("SELECT last_due FROM _kiln_cron_state WHERE job = ?", [name]).fetchone()
        return row[0] if row else None

    def _claim(self, name: str, expected: str, due: datetime) -> bool:
        """Move ``name``'s state from ``expected`` to ``due``; ``False`` if another process moved it."""
        with self._db.write() as conn:
            changed = conn.execute(
                "UPDATE _kiln_cron_state SET last_due = ? WHERE job = ? AND last_due = ?",
                [format_datetime(due), name, expected],
            ).rowcount
        return changed == 1


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _run_json(row: Any) -> dict[str, Any]:
    run_id, _, trigger, started, finished, status, error = row
    return {
        "id": run_id,
        "trigger": trigger,
        "started_at": started,
        "finished_at": finished,
        "status": status,
        "error": error,
    }
