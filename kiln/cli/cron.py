"""``kiln cron list|trigger|history``: an app's cron jobs, run in this process on its data directory.

``trigger`` takes the job's lease like the server does, so it refuses (exit 1) while a running
``kiln serve`` on the same data directory has that job going; its log lines go to the app's log
file too, where ``kiln logs`` finds them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kiln.app import AppState
from kiln.cli.common import add_app_arguments, compile_folder, fail, prepare, print_json, print_table
from kiln.errors import KilnError
from kiln.logs import LOG_FILE, logging_to
from kiln.runtime.cron import Scheduler

__all__ = ["add_commands"]

_RUN_HEADER = ("ID", "TRIGGER", "STARTED", "FINISHED", "STATUS", "ERROR")


def add_commands(commands: Any) -> None:
    """Add ``cron`` and its subcommands to the ``kiln`` parser's ``commands``."""
    group = commands.add_parser("cron", help="list, trigger and show the history of cron jobs")
    actions = group.add_subparsers(required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="each job with its schedule, next and last run")
    add_app_arguments(listing, as_json=True)
    listing.set_defaults(run=_list)

    trigger = actions.add_parser("trigger", help="run a job now; exit 1 if it fails")
    add_app_arguments(trigger, as_json=True)
    trigger.add_argument("name", help="the job's name")
    trigger.set_defaults(run=_trigger)

    history = actions.add_parser("history", help="a job's runs, newest first")
    add_app_arguments(history, as_json=True)
    history.add_argument("name", help="the job's name")
    history.add_argument("--limit", type=int, default=20, help="at most this many runs (default: 20)")
    history.set_defaults(run=_history)


@contextmanager
def _scheduler(args: argparse.Namespace) -> Iterator[Scheduler | None]:
    """The app's scheduler on its open database; ``None`` after printing why there is none."""
    compiled = compile_folder(args.app)
    directory = prepare(compiled, args) if compiled is not None else None
    if compiled is None or directory is None:
        yield None
        return
    if not compiled.manifest.cron:
        fail(f"{compiled.name} has no [[cron]] jobs")
        yield None
        return
    _, state = compiled.instance(directory, smtp=None)
    state.db.open()
    try:
        with logging_to(directory / LOG_FILE):  # a trigger runs app code: log where `kiln logs` reads
            yield _of(state)
    finally:
        state.db.close()
        if state.runtime is not None and state.runtime.workflows is not None:
            state.runtime.workflows.store.close()  # the instance opened it for its workflows


def _of(state: AppState) -> Scheduler:
    runtime = state.runtime  # an app with [[cron]] has both
    assert runtime is not None
    assert runtime.scheduler is not None
    return runtime.scheduler


def _list(args: argparse.Namespace) -> int:
    with _scheduler(args) as scheduler:
        if scheduler is None:
            return 1
        items = scheduler.listing()
    if args.json:
        print_json({"items": items})
    else:
        header = ("NAME", "SCHEDULE", "NEXT RUN", "LAST RUN", "LAST STATUS")
        rows = [(i["name"], i["schedule"], i["next_run"], i["last_run"], i["last_status"]) for i in items]
        print_table(header, rows)
    return 0


def _trigger(args: argparse.Namespace) -> int:
    with _scheduler(args) as scheduler:
        if scheduler is None:
            return 1
        try:
            run = asyncio.run(scheduler.trigger(args.name))
        except KilnError as exc:  # no such job, or it is running already
            return fail(exc.message)
    if args.json:
        print_json(run)
    else:
        print_table(_RUN_HEADER, [_row(run)])
    return 1 if run["status"] == "error" else 0


def _history(args: argparse.Namespace) -> int:
    with _scheduler(args) as scheduler:
        if scheduler is None:
            return 1
        try:
            runs = scheduler.history(args.name, limit=max(1, args.limit))
        except KilnError as exc:
            return fail(exc.message)
    if args.json:
        print_json({"items": runs})
    else:
        print_table(_RUN_HEADER, [_row(run) for run in runs])
    return 0


def _row(run: dict[str, Any]) -> tuple[Any, ...]:
    return (run["id"], run["trigger"], run["started_at"], run["finished_at"], run["status"], run["error"])
