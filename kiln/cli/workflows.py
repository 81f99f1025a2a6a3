"""``kiln workflow list|show|start``: an app's workflow runs, from its data directory.

``start`` records the run and carries it in this process as far as it goes now (to its first
sleep, or its end), as a server would, and prints it; a running ``kiln serve`` on the same data
directory takes it up from there when it comes due.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kiln.cli.common import add_app_arguments, compile_folder, fail, prepare, print_json, print_table
from kiln.logs import LOG_FILE, logging_to
from kiln.workflows import STATUSES, Engine, UnknownWorkflow
from kiln.workflows.admin import MAX_ID_LENGTH, run_json

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add ``workflow`` and its subcommands to the ``kiln`` parser's ``commands``."""
    group = commands.add_parser("workflow", help="list, show and start workflow runs")
    actions = group.add_subparsers(required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="runs, newest first")
    add_app_arguments(listing, as_json=True)
    listing.add_argument("--status", choices=STATUSES, help="only runs with this status")
    listing.add_argument("--workflow", help="only runs of this workflow")
    listing.add_argument("--limit", type=int, default=50, help="at most this many runs (default: 50)")
    listing.set_defaults(run=_list)

    show = actions.add_parser("show", help="one run; -v adds its events")
    add_app_arguments(show, as_json=True)
    show.add_argument("run_id", help="the run's id")
    show.add_argument("-v", "--verbose", action="store_true", help="print the run's events too")
    show.set_defaults(run=_show)

    start = actions.add_parser("start", help="start a run and carry it as far as it goes now")
    add_app_arguments(start, as_json=True)
    start.add_argument("name", help="the workflow's name")
    start.add_argument("--input", default="null", help="the run's input, as JSON (default: null)")
    start.add_argument("--id", help="the run's id (default: a new UUID); a known id starts nothing")
    start.set_defaults(run=_start)


@contextmanager
def _engine(args: argparse.Namespace) -> Iterator[Engine | None]:
    compiled = compile_folder(args.app)
    directory = prepare(compiled, args) if compiled is not None else None
    if compiled is None or directory is None:
        yield None
        return
    if not compiled.manifest.workflows:
        fail(f"{compiled.name} has no workflows: handlers.py marks none with @workflow")
        yield None
        return
    _, state = compiled.instance(directory, smtp=None)
    assert state.runtime is not None
    engine = state.runtime.workflows
    assert engine is not None
    state.db.open()
    try:
        with logging_to(directory / LOG_FILE):
            yield engine
    finally:
        state.db.close()
        engine.store.close()


def _list(args: argparse.Namespace) -> int:
    with _engine(args) as engine:
        if engine is None:
            return 1
        if args.workflow is not None and args.workflow not in engine.workflows:
            return fail(f"no workflow named {args.workflow!r} (workflows: {', '.join(engine.workflows)})")
        runs, total = engine.store.runs(workflow=args.workflow, status=args.status, limit=max(1, args.limit))
        items = [run_json(engine, run) for run in runs]
    if args.json:
        print_json({"items": items, "total": total})
        return 0
    rows = [(i["id"], i["workflow"], i["status"], i["attempts"], i["created_at"], i["error"]) for i in items]
    print_table(("ID", "WORKFLOW", "STATUS", "ATTEMPTS", "CREATED", "ERROR"), rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    with _engine(args) as engine:
        if engine is None:
            return 1
        run = engine.store.get(args.run_id)
        if run is None:
            return fail(f"no workflow run has the id {args.run_id!r}")
        body = run_json(engine, run, events=args.verbose)
    _print_run(body, as_json=args.json)
    return 0


def _start(args: argparse.Namespace) -> int:
    try:
        given = json.loads(args.input)
    except ValueError as exc:
        return fail(f"--input is not JSON: {exc}")
    if args.id is not None and not 0 < len(args.id) <= MAX_ID_LENGTH:
        return fail(f"--id must be 1 to {MAX_ID_LENGTH} characters")
    with _engine(args) as engine:
        if engine is None:
            return 1
        try:
            run, _ = asyncio.run(engine.start_and_run(args.name, given, args.id))
        except UnknownWorkflow as exc:
            return fail(str(exc))
        current = engine.store.get(run.id)
        assert current is not None
        body = run_json(engine, current)
    _print_run(body, as_json=args.json)
    return 1 if body["status"] == "failed" else 0


def _print_run(body: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(body)
        return
    for key in ("id", "workflow", "status", "attempts", "created_at", "updated_at"):
        print(f"{key + ':':<12}{body[key]}")
    for key in ("input", "output", "scratchpad"):
        print(f"{key + ':':<12}{json.dumps(body[key], ensure_ascii=False)}")
    if body["error"] is not None:
        print(f"{'error:':<12}{body['error']}")
    if "events" in body:
        print("events:")
        print_table(
            ("SEQ", "TYPE", "STEP", "AT", "DATA"),
            [
                (e["seq"], e["type"], e["step"], e["at"], json.dumps(e["data"], ensure_ascii=False))
                for e in body["events"]
            ],
        )
