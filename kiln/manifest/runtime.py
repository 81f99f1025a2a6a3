"""Validate the runtime's tables: ``[[cron]]`` jobs, ``[mail]`` and ``[wasm]`` modules::

[[cron]]
name = "digest"
schedule = "0 3 * * *"          # five fields, UTC, parsed with croniter
handler = "handlers:digest"     # fn(ctx)

[mail]
inbound = "handlers:on_mail"    # fn(message, ctx)
outbound = "smtp://127.0.0.1:1025"

[wasm]
add = "wasm/add.wasm"           # compiled now: a bad module is a manifest error

[workflows]
heartbeat_timeout = "30s"       # a run whose worker is silent this long is taken over

Workflows themselves are the functions of ``handlers.py`` marked with ``@workflow(name)``; the
mark is read here by its attribute, so the manifest does not import the engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from kiln.errors import Invalid
from kiln.fieldtypes import parse_duration
from kiln.manifest.model import CronJob, MailConfig, WorkflowDecl
from kiln.manifest.report import Report
from kiln.manifest.routes import read_handler
from kiln.wasm import WasmError, WasmModule, load_module

__all__ = ["read_cron", "read_mail", "read_wasm", "read_workflows"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_CRON_KEYS = {"name", "schedule", "handler"}
_MAIL_KEYS = {"inbound", "outbound"}
_WORKFLOW_KEYS = {"heartbeat_timeout"}
#: The attribute ``kiln.workflows.workflow`` marks a function with.
WORKFLOW_MARK = "__kiln_workflow__"


def read_cron(raw: Any, report: Report, *, handlers: ModuleType | None) -> tuple[CronJob, ...]:
    """The ``[[cron]]`` jobs, in declaration order."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        report.error("cron", 'must be an array of tables: [[cron]] name = "digest" ...')
        return ()
    jobs: list[CronJob] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        at = f"cron[{index}]"
        table = report.table(
            item, at, '{ name = "digest", schedule = "0 3 * * *", handler = "handlers:digest" }'
        )
        if table is None:
            continue
        report.check_keys(table, at, _CRON_KEYS)
        before = len(report.errors)
        name = table.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            report.error(
                f"{at}.name", "is required: a name of letters, digits, '-' and '_' starting with a letter"
            )
        elif name in seen:
            report.error(f"{at}.name", f'"{name}" names another job already')
        else:
            seen.add(name)
        schedule = table.get("schedule")
        problem = schedule_problem(schedule)
        if problem is not None:
            report.error(f"{at}.schedule", problem)
        if "handler" not in table:
            report.error(f"{at}.handler", 'is required: the function to run, such as "handlers:digest"')
        else:
            read_handler(table["handler"], handlers, f"{at}.handler", report, takes=("ctx",))
        if len(report.errors) == before:
            jobs.append(CronJob(name=str(name), schedule=str(schedule), handler=table["handler"]))
    return tuple(jobs)


def schedule_problem(schedule: Any) -> str | None:
    """Why ``schedule`` is not a five-field cron expression croniter accepts, or ``None``."""
    from croniter import croniter

    example = 'such as "0 3 * * *" (minute hour day-of-month month day-of-week)'
    if not isinstance(schedule, str) or not schedule.strip():
        return f"is required: a five-field cron expression, {example}"
    fields = len(schedule.split())
    if fields != 5:
        return f'"{schedule}" has {fields} field{"" if fields == 1 else "s"}; a schedule has five, {example}'
    if not croniter.is_valid(schedule):
        return f'"{schedule}" is not a valid cron expression, {example}'
    return None


def read_mail(raw: Any, report: Report, *, handlers: ModuleType | None) -> MailConfig | None:
    """``[mail]``, or ``None`` when the table is absent."""
    if raw is None:
        return None
    table = report.table(raw, "mail", '[mail] inbound = "handlers:on_mail"')
    if table is None:
        return None
    report.check_keys(table, "mail", _MAIL_KEYS)
    inbound = None
    if "inbound" in table:
        inbound = read_handler(table["inbound"], handlers, "mail.inbound", report, takes=("message", "ctx"))
    outbound = table.get("outbound")
    if outbound is not None:
        problem = _smtp_url_problem(outbound)
        if problem is not None:
            report.error("mail.outbound", problem)
            outbound = None
    return MailConfig(inbound=inbound, outbound=outbound)


def _smtp_url_problem(url: Any) -> str | None:
    example = 'such as "smtp://127.0.0.1:1025"'
    if not isinstance(url, str):
        return f"must be an SMTP URL, {example}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f'"{url}" is not an SMTP URL, {example}'
    if parts.scheme != "smtp" or not parts.hostname or port is None or parts.path not in ("", "/"):
        return f'"{url}" is not an SMTP URL with a host and a port, {example}'
    return None


def read_wasm(raw: Any, folder: Path, report: Report) -> dict[str, WasmModule]:
    """The ``[wasm]`` modules, compiled: name -> module."""
    if raw is None:
        return {}
    table = report.table(raw, "wasm", '[wasm] add = "wasm/add.wasm"')
    if table is None:
        return {}
    modules: dict[str, WasmModule] = {}
    for name, value in table.items():
        at = f"wasm.{name}"
        if not _NAME.match(name):
            report.error(at, "a module's name is letters, digits, '-' and '_', starting with a letter")
            continue
        parts = value.split("/") if isinstance(value, str) else []
        if not parts or any(part in ("", ".", "..") for part in parts) or "\\" in value:
            report.error(at, 'must be a path inside the app folder, such as "wasm/add.wasm"')
            continue
        path = folder / value
        if not path.is_file():
            report.error(at, f"{value} does not exist")
            continue
        try:
            modules[name] = load_module(name, path)
        except WasmError as exc:
            report.error(at, f"{value} {exc}")
    return modules


def read_workflows(
    raw: Any, report: Report, *, handlers: ModuleType | None
) -> tuple[tuple[WorkflowDecl, ...], int]:
    """The workflows ``handlers.py`` defines, in its order, and ``[workflows] heartbeat_timeout``."""
    timeout = 30
    if raw is not None:
        table = report.table(raw, "workflows", '[workflows] heartbeat_timeout = "30s"')
        if table is not None:
            report.check_keys(table, "workflows", _WORKFLOW_KEYS)
            if "heartbeat_timeout" in table:
                try:
                    timeout = parse_duration(table["heartbeat_timeout"])
                except Invalid as exc:
                    report.error("workflows.heartbeat_timeout", exc.message)
    found: list[WorkflowDecl] = []
    seen: dict[str, str] = {}
    for attribute, value in vars(handlers).items() if handlers is not None else ():
        mark: Any = getattr(value, WORKFLOW_MARK, None) if callable(value) else None
        name = getattr(mark, "name", None)
        if not isinstance(name, str) or getattr(mark, "function", None) is not value:
            continue  # not a workflow, or one imported under another name from elsewhere
        if name in seen:
            report.error(
                f"handlers.{attribute}", f'workflow "{name}" is defined twice (also by handlers.{seen[name]})'
            )
            continue
        seen[name] = attribute
        found.append(WorkflowDecl(name=name, function=attribute, max_attempts=int(mark.max_attempts)))
    return tuple(found), timeout
