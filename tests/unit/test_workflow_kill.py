"""A worker process killed mid-step (SIGKILL: no clean-up at all) loses the run to another worker
once its heartbeat is older than the timeout, and the run resumes from its last event."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiln.clock import Clock
from kiln.workflows import Engine, SqliteEventStore, definition_of, workflow

STEPS: list[str] = []


@workflow("killable")
async def killable(wf: Any, input: Any) -> str:
    first = await wf.step("prepare", lambda: STEPS.append("prepare") or "prepared")
    second = await wf.step("work", lambda: STEPS.append("work") or "worked")
    return f"{first} {second}"


CHILD = textwrap.dedent(
    """
    import asyncio, sys, threading
    from typing import Any
    from kiln.clock import Clock
    from kiln.workflows import Engine, SqliteEventStore, definition_of, workflow

    @workflow("killable")
    async def killable(wf: Any, input: Any) -> str:
        first = await wf.step("prepare", lambda: "prepared")

        async def work() -> str:
            print("in the step", flush=True)
            await asyncio.Event().wait()  # never ends: the parent kills this process here
            return "never"

        return f"{first} {await wf.step('work', work)}"

    store = SqliteEventStore(sys.argv[1])
    engine = Engine(store, Clock(), {"killable": definition_of(killable)}, worker="doomed",
                    heartbeat_timeout=30, heartbeat_interval=3600)
    engine.start("killable", None, run_id="job")
    asyncio.run(engine.run("job"))
    """
)


def test_a_run_whose_worker_was_killed_mid_step_resumes_on_another(tmp_path: Path) -> None:
    STEPS.clear()
    database = tmp_path / "kiln.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(database)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "in the step\n"  # blocks until the child is mid-step
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        if child.stdout is not None:
            child.stdout.close()

    store = SqliteEventStore(database)
    held = store.get("job")
    assert held is not None
    assert (held.owner, held.status) == ("doomed", "running")  # the dead worker never let go
    clock = Clock()
    lease_end = datetime.fromisoformat(held.lease_until or "")
    clock.set(lease_end - timedelta(seconds=1))
    survivor = Engine(store, clock, {"killable": definition_of(killable)}, worker="survivor")  # type: ignore[dict-item]
    assert asyncio.run(survivor.run_due()) == []  # the lease still stands

    clock.set(lease_end)
    [resumed] = asyncio.run(survivor.run_due())

    assert (resumed.status, resumed.output) == ("completed", "prepared worked")
    assert STEPS == ["work"]  # "prepare" was recorded by the dead worker and not run again
    assert [(e.type, e.step) for e in store.events("job")] == [
        ("started", None),
        ("step_completed", "prepare"),
        ("step_completed", "work"),
        ("completed", None),
    ]
    assert lease_end.tzinfo == UTC
    store.close()
