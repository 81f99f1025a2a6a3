"""Running workflows: each run is replayed from its events and continued from where it stopped.

A run's function is called from the top every time a worker takes the run up. ``wf.step``,
``wf.sleep`` and scratchpad writes are *commands*: the i-th command of this execution must be the
i-th recorded one (else the run fails with a ``nondeterminism`` error naming the step), and a
recorded command is not done again. A step's result comes from its ``step_completed`` event; a
sleep whose time has come records ``woke`` and goes on; anything that must wait (a sleep, a retry)
records why and ends the execution until the run is due again.

Every append names the sequence number it expects, so a worker whose run was taken over (or
recorded by someone else meanwhile) stops at its next append instead of recording twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from kiln.clock import Clock
from kiln.fieldtypes.times import format_datetime
from kiln.workflows.definition import NonRetryableError, Workflow
from kiln.workflows.events import FINAL_STATUSES, Event, NewEvent, Run, SequenceConflict, copy_json
from kiln.workflows.store import EventStore

__all__ = ["Engine", "UnknownWorkflow", "WorkflowContext", "backoff"]

logger = logging.getLogger("kiln.workflows")
#: Part of the append that ends an execution (a sleep, a retry, the end): the worker lets the run go
#: in the same write, instead of a release of its own.
_LET_GO = {"owner": None, "lease_until": None}
#: The fields of a run only appends change, so this execution's view of them is the stored one,
#: and setting one to what it is already can be left out of the write. (Not ``owner`` and
#: ``lease_until``: claims change those, so the view may be stale. Nor ``attempts``: a step's
#: record always says its tries, which lets a store keep a first try with its event alone.)
_UNCHANGED_IF_EQUAL = frozenset({"status", "error", "due_at", "output"})
_NO_TIME, _MILLISECOND = timedelta(0), timedelta(milliseconds=1)


class UnknownWorkflow(LookupError):
    """No workflow has this name."""


class _Suspend(Exception):
    """The execution stops here: the run waits (a sleep, a retry) or has ended."""


class _Lost(Exception):
    """Another worker recorded this run meanwhile; this execution stops without writing."""


def backoff(attempts: int) -> timedelta:
    """The wait before the next try of a step that failed ``attempts`` times: 1 s, 2 s, 4 s …"""
    return timedelta(seconds=2 ** (attempts - 1))


def _json(value: Any, what: str) -> str | None:
    """Why ``value`` is not JSON (orjson's rules: string keys only), or ``None``."""
    try:
        orjson.dumps(value)
    except TypeError as exc:
        return f"{what} must be JSON, but it is {type(value).__name__}: {exc}"
    return None


class _Stamps:
    """Kiln's stamps of the clock's instants, and of the end of a hold taken at one, each formatted
    once for each millisecond: the events of a quick run, or of a frozen clock, share one."""

    def __init__(self, hold: timedelta) -> None:
        self._hold = hold
        #: The last instant stamped, its stamp, and the stamp of a hold's end then (if asked).
        self._last: tuple[datetime | None, str, str | None] = (None, "", None)

    def at(self, when: datetime) -> str:
        """The stamp of ``when`` (milliseconds)."""
        return self._for(when)[1]

    def hold_until(self, when: datetime) -> str:
        """The stamp of the end of a hold taken at ``when``."""
        before, stamp, until = self._for(when)
        if until is None:
            until = format_datetime(when + self._hold)
            self._last = (before, stamp, until)
        return until

    def _for(self, when: datetime) -> tuple[datetime | None, str, str | None]:
        last = self._last
        before = last[0]
        # less than a millisecond on, with the same millisecond digits: the same stamps
        if before is None or not (
            _NO_TIME <= when - before < _MILLISECOND
            and when.microsecond // 1000 == before.microsecond // 1000
        ):
            last = self._last = (when, format_datetime(when), None)  # one assignment: no torn read
        return last


class _History:
    """What the events of a run say: its commands in order, step results and failures, sleeps."""

    def __init__(self, events: list[Event]) -> None:
        self.commands: list[tuple[str, str]] = []
        self.seen: set[tuple[str, str]] = set()  # the commands, for the test of a name used twice
        self.results: dict[str, Any] = {}
        self.failures: dict[str, int] = {}
        self.sleeping: dict[str, str] = {}
        self.woke: set[str] = set()
        for event in events:
            if event.type == "step_completed" and event.step is not None:
                self.record("step", event.step)
                self.results[event.step] = (event.data or {}).get("result")
            elif event.type == "step_failed" and event.step is not None:
                self.failures[event.step] = self.failures.get(event.step, 0) + 1
            elif event.type == "sleeping" and event.step is not None:
                self.record("sleep", event.step)
                self.sleeping[event.step] = (event.data or {}).get("until", "")
            elif event.type == "woke" and event.step is not None:
                self.woke.add(event.step)
            elif event.type == "scratchpad" and event.step is not None:
                self.record("scratchpad", event.step)

    def record(self, kind: str, name: str) -> None:
        """One more command in the run's order."""
        self.commands.append((kind, name))
        self.seen.add((kind, name))


class Scratchpad(dict[str, Any]):
    """``wf.scratchpad``: a dict whose writes are recorded with the run (values must be JSON)."""

    def __init__(self, write: Callable[[str, Any], None]) -> None:
        super().__init__()
        self._write = write

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"scratchpad keys are strings, not {type(key).__name__}")
        problem = _json(value, f"scratchpad[{key!r}]")
        if problem:
            raise TypeError(problem)
        self._write(key, value)
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("scratchpad entries cannot be deleted; set them to None")


class WorkflowContext:
    """``wf``: what a workflow function gets: ``step``, ``sleep``, ``scratchpad``, ``run_id``,
    ``input``, ``db`` and ``clock``."""

    def __init__(self, execution: _Execution) -> None:
        self._execution = execution
        self.run_id = execution.run.id
        self.input = execution.input
        self.db = execution.db
        self.clock = execution.clock
        self.scratchpad = Scratchpad(execution.write_scratchpad)

    async def step(self, name: str, function: Callable[[], Any]) -> Any:
        """Run ``function`` (sync or async) once, record its result, and answer it; on replay the
        recorded result comes back and the function is not called."""
        return await self._execution.step(name, function)

    async def sleep(self, name: str, *, seconds: float) -> None:
        """Wait ``seconds`` of kiln's clock, durably: the run sleeps, and wakes on the clock."""
        await self._execution.sleep(name, seconds)


class _Execution:
    """One pass over one run by one worker."""

    def __init__(self, engine: Engine, definition: Workflow, run: Run, events: list[Event], db: Any) -> None:
        self.engine = engine
        self.definition = definition
        self.run = run
        self.seq = run.last_seq
        #: The input as this execution's own copy: a workflow that changes it changes no store's
        #: (a store may answer its own objects), and each replay starts from the input as started.
        self.input = copy_json(run.input)
        self.history = _History(events)
        self.clock = engine.clock
        self.db = db
        self.index = 0
        #: A finished step's record, written with the execution's next write (see :meth:`step`).
        self._pending: list[NewEvent] = []
        self._pending_update: dict[str, Any] = {}
        self._stamps = engine.stamps

    def now(self) -> str:
        """The clock's time as a stamp (milliseconds)."""
        return self._stamps.at(self.clock.now())

    def append(self, events: list[NewEvent], **update: Any) -> None:
        if self._pending:  # a step's record goes first, in the same write
            events = [*self._pending, *events]
            update = {**self._pending_update, **update}
            self._pending, self._pending_update = [], {}
        if "updated_at" not in update:
            update["updated_at"] = events[-1].at if events else self.now()
        run = self.run.__dict__
        for name in _UNCHANGED_IF_EQUAL & update.keys():
            if run[name] == update[name]:  # as it is: not written (an indexed one costs a page)
                del update[name]
        try:
            self.seq = self.engine.store.append(self.run.id, self.seq, events, update)
        except SequenceConflict:
            raise _Lost from None
        # the run as stored now (but for a lease renewed meanwhile by this worker's heartbeat)
        self.run = self.run.changed(**update, last_seq=self.seq)

    def _command(self, kind: str, name: str) -> bool:
        """Take the next command; ``True`` if the history has it already (replay)."""
        index = self.index
        self.index += 1
        if index < len(self.history.commands):
            recorded = self.history.commands[index]
            if recorded != (kind, name):
                self.fail(
                    f"nondeterminism: the workflow asked for {kind} {name!r} where its history has "
                    f"{recorded[0]} {recorded[1]!r} (command {index + 1}): the code changed under a "
                    "running run",
                )
            return True
        if kind != "scratchpad" and (kind, name) in self.history.seen:
            self.fail(f"{kind} {name!r} is used twice in one run: give each its own name")
        return False

    def fail(self, error: str, events: list[NewEvent] | None = None, attempts: int | None = None) -> None:
        update: dict[str, Any] = {"status": "failed", "error": error, "due_at": None, **_LET_GO}
        if attempts is not None:
            update["attempts"] = attempts
        self.append([*(events or []), NewEvent("failed", self.now(), data={"error": error})], **update)
        logger.warning("workflow run %s (%s) failed: %s", self.run.id, self.definition.name, error)
        raise _Suspend

    async def step(self, name: str, function: Callable[[], Any]) -> Any:
        if self._command("step", name):
            return self.history.results[name]
        attempts = self.history.failures.get(name, 0) + 1
        if self._pending:  # the last step's record is written before this one's effect can happen
            self.append([])
        try:
            result = await self._call(name, function)
        except (_Suspend, _Lost):
            raise
        except NonRetryableError as exc:
            failed = NewEvent(
                "step_failed", self.now(), step=name, data={"error": str(exc), "attempt": attempts}
            )
            self.fail(str(exc), [failed], attempts)
        except Exception as exc:
            self._retry_or_fail(name, attempts, exc)
        problem = _json(result, f"the result of step {name!r}")
        if problem:
            failed = NewEvent(
                "step_failed", self.now(), step=name, data={"error": problem, "attempt": attempts}
            )
            self.fail(problem, [failed], attempts)
        # recorded with the execution's next write: before the next step runs, or with the sleep,
        # the retry or the end that comes next. Nothing outside a step happens in between but the
        # workflow's own code, which replay runs again anyway; so the last step and the end share
        # a write, and a run of n steps costs n writes, not n + 1.
        self._pending = [NewEvent("step_completed", self.now(), step=name, data={"result": result})]
        self._pending_update = {"status": "running", "attempts": attempts}
        self.history.record("step", name)
        return result

    async def _call(self, name: str, function: Callable[[], Any]) -> Any:
        """Run the step's function: a sync one now; an async one after saying the run is running,
        and with heartbeats while it awaits. The observer hears of it when its body runs."""
        observe = self.engine.observer
        try:
            result = function()
        except BaseException:
            if observe is not None:
                observe(self.run.id, name)  # its body ran, and raised
            raise
        if not hasattr(result, "__await__"):  # inspect.isawaitable, without its cost
            if observe is not None:
                observe(self.run.id, name)
            return result
        if self.run.status != "running":  # it may take long: say so while it does
            try:
                self.append([], status="running", due_at=None)
            except BaseException:
                if inspect.iscoroutine(result):
                    result.close()  # never started: its body did not run
                raise
        if observe is not None:
            observe(self.run.id, name)
        async with self.engine.heartbeat(self.run.id):
            return await result

    def _retry_or_fail(self, name: str, attempts: int, exc: Exception) -> None:
        error = str(exc) or type(exc).__name__
        failed = NewEvent("step_failed", self.now(), step=name, data={"error": error, "attempt": attempts})
        if attempts >= self.definition.max_attempts:
            self.fail(error, [failed], attempts)
        due = format_datetime(self.clock.now() + backoff(attempts))
        self.append([failed], status="retrying", error=error, attempts=attempts, due_at=due, **_LET_GO)
        logger.info(
            "workflow run %s: step %s failed (try %s), retrying at %s", self.run.id, name, attempts, due
        )
        raise _Suspend

    async def sleep(self, name: str, seconds: float) -> None:
        now = self.now()
        if self._command("sleep", name):  # recorded: it ended already, ends now, or goes on
            if name in self.history.woke:
                return
            until = self.history.sleeping[name]
            if now >= until:
                self.append([NewEvent("woke", now, step=name)], status="running", due_at=None)
                self.history.woke.add(name)
                return
            self.append([], status="sleeping", due_at=until, **_LET_GO)
            raise _Suspend
        until = format_datetime(self.clock.now() + timedelta(seconds=seconds))
        sleeping = NewEvent("sleeping", now, step=name, data={"until": until})
        self.history.record("sleep", name)
        self.history.sleeping[name] = until
        if now >= until:  # no time to wait: it sleeps and wakes in one write
            self.append([sleeping, NewEvent("woke", now, step=name)], status="running", due_at=None)
            self.history.woke.add(name)
            return
        # the sleep and the wait are one write, so no crash can leave a sleep with no due time
        self.append([sleeping], status="sleeping", due_at=until, **_LET_GO)
        raise _Suspend

    def write_scratchpad(self, key: str, value: Any) -> None:
        if self._command("scratchpad", key):
            return
        pad = {**self.run.scratchpad, key: value}
        self.append([NewEvent("scratchpad", self.now(), step=key, data={"value": value})], scratchpad=pad)
        self.history.record("scratchpad", key)

    async def execute(self) -> None:
        # the run reads "running" from its first append on (a quick sync step's own, or the one an
        # awaiting step makes before it waits), which spares a write for each run
        try:
            # the context refers to the execution, and not the other way round: no cycle, so an
            # execution is freed as soon as it ends, not at the next garbage collection
            output = await self.definition.function(WorkflowContext(self), self.input)
        except (_Suspend, _Lost):
            raise
        except Exception as exc:  # outside any step: the workflow's own code broke
            self.fail(f"{type(exc).__name__}: {exc}")
        problem = _json(output, "the workflow's result")
        if problem:
            self.fail(problem)
        self.append([NewEvent("completed", self.now(), data={"output": output})],
                    status="completed", output=output, error=None, due_at=None, **_LET_GO)  # fmt: skip


class Engine:
    """Starts runs and runs them: ``start()``, then ``run(run_id)`` or ``run_due()`` on each worker;
    or ``start_and_run()``, which does both on this worker.

    Steps run in the caller's event loop: an async step may await, and a sync one should be quick
    (a database write), as it holds the loop while it runs.
    """

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        workflows: Mapping[str, Workflow],
        *,
        worker: str | None = None,
        heartbeat_timeout: float = 30.0,
        heartbeat_interval: float | None = None,
        db: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.workflows = dict(workflows)
        self.worker = worker or f"worker-{uuid.uuid4().hex[:8]}"
        self.heartbeat_timeout = heartbeat_timeout
        self.stamps = _Stamps(timedelta(seconds=heartbeat_timeout))
        #: Real seconds between renewals of the hold on a run while an async step awaits.
        self.heartbeat_interval = heartbeat_timeout / 3 if heartbeat_interval is None else heartbeat_interval
        #: Opens ``wf.db`` for one execution (the app's database; nothing without one).
        self._db = db or (lambda: contextlib.nullcontext(None))
        self._running: set[str] = set()
        #: Called with ``(run_id, step)`` just before a step's function runs (the simulation counts).
        self.observer: Callable[[str, str], None] | None = None

    def start(self, name: str, input: Any = None, run_id: str | None = None) -> tuple[Run, bool]:
        """Start a run of ``name``; ``(run, True)``, or ``(existing, False)`` for a known ``run_id``."""
        return self._create(name, input, run_id, held=False)

    async def start_and_run(
        self, name: str, input: Any = None, run_id: str | None = None
    ) -> tuple[Run, bool]:
        """Start a run of ``name`` and carry it as far as it goes now, as :meth:`start` then
        :meth:`run` would, with a write fewer: the run is created held by this worker (and
        ``running``), so it needs no claim (and has no history to read). ``(run as it then is,
        True)``; for a known ``run_id``, ``(existing, False)`` after a :meth:`run` of it (which
        may find it held or finished, and leave it so).

        If this worker dies before the run's first write, the run waits out ``heartbeat_timeout``
        before another worker takes it up, as it would after a claim."""
        run, created = self._create(name, input, run_id, held=True)
        if not created:
            return await self.run(run.id) or run, False
        return await self._carry(run, []), True

    def _create(self, name: str, input: Any, run_id: str | None, *, held: bool) -> tuple[Run, bool]:
        if name not in self.workflows:
            raise UnknownWorkflow(
                f"no workflow named {name!r} (workflows: {', '.join(self.workflows) or 'none'})"
            )
        problem = _json(input, "a workflow's input")
        if problem:
            raise TypeError(problem)
        when = self.clock.now()
        now = self.stamps.at(when)
        run = Run(
            id=run_id or str(uuid.uuid4()),
            workflow=name,
            input=input,
            created_at=now,
            updated_at=now,
            # held, it is running from the start: its first step's write need not say so (the
            # status is in the index of due runs, so a change of it costs a page)
            status="running" if held else "pending",
            owner=self.worker if held else None,
            lease_until=self.stamps.hold_until(when) if held else None,
            last_seq=1,  # as the store will have it
        )
        return self.store.create(run, NewEvent("started", now, data={"input": input}))

    async def run(self, run_id: str) -> Run | None:
        """Take the run up if it is due and nobody holds it, and carry it as far as it goes now;
        the run as it then is, or ``None`` if this worker could not take it."""
        if run_id in self._running:  # this worker is carrying it already (another task of the loop)
            return None
        now = format_datetime(self.clock.now())
        current = self.store.claim(run_id, self.worker, self._lease_end(), now)
        if current is None:  # finished, not due, unknown, or held by another worker
            run = self.store.get(run_id)
            if run is None or run.status in FINAL_STATUSES or (run.due_at or "") > now:
                return run
            return None
        return await self._carry(current, None)

    async def _carry(self, current: Run, events: list[Event] | None) -> Run:
        """Execute a run this worker holds, from ``events`` (``None``: read them), and let it go."""
        run_id = current.id
        self._running.add(run_id)
        execution: _Execution | None = None
        try:
            definition = self.workflows.get(current.workflow)
            if definition is None:
                logger.error(
                    "workflow run %s is of %r, which this app does not define", run_id, current.workflow
                )
                return current
            history = self.store.events(run_id) if events is None else events
            with self._db() as db:
                execution = _Execution(self, definition, current, history, db)
                with contextlib.suppress(_Suspend, _Lost):
                    await execution.execute()
            return execution.run
        finally:
            self._running.discard(run_id)
            if execution is None or execution.run.owner == self.worker:  # not let go with a write
                self.store.release(run_id, self.worker)

    @contextlib.asynccontextmanager
    async def heartbeat(self, run_id: str) -> AsyncIterator[None]:
        """While the block runs, renew this worker's hold on the run every ``heartbeat_interval``
        seconds, so that a long step is not taken for a dead worker's."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.heartbeat_interval)
                now = format_datetime(self.clock.now())
                if not self.store.claim(run_id, self.worker, self._lease_end(), now):
                    logger.warning("worker %s lost its hold on workflow run %s", self.worker, run_id)
                    return

        task = asyncio.get_running_loop().create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_due(self, limit: int = 100) -> list[Run]:
        """Run every run that is due now, oldest first; the runs this worker carried on."""
        carried = []
        for run in self.store.due(format_datetime(self.clock.now()), limit):
            after = await self.run(run.id)
            if after is not None:
                carried.append(after)
        return carried

    def next_wake(self) -> datetime | None:
        """When the next run becomes due after now, by kiln's clock: a sleep or a retry whose time
        comes, or a hold that runs out (``None``: nothing waits)."""
        when = self.store.next_due(format_datetime(self.clock.now()))
        return datetime.fromisoformat(when) if when else None  # Python 3.11 reads the Z

    def _lease_end(self, now: datetime | None = None) -> str:
        """When a hold taken at ``now`` (the clock's time by default) runs out."""
        return self.stamps.hold_until(now or self.clock.now())
