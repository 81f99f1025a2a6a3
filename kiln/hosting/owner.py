"""What a project's owner may do to it through the host, besides deploying: a token in which
they are the project's ``admin``, read-only SQL, secrets, and (in dev mode) its clock.

Each function takes the running :class:`~kiln.hosting.projects.Project` and the request's JSON
body, and answers the JSON to send; :mod:`kiln.hosting.api` checks who asks.
"""

from __future__ import annotations

import json
import secrets as random_secrets
import sqlite3
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kiln.auth.accounts import add_user, set_roles
from kiln.clock import utc
from kiln.errors import NotFound, ValidationFailed
from kiln.fieldtypes.times import format_datetime
from kiln.hosting.projects import Project
from kiln.logs import LEVELS, LOG_FILE, LogFilter, parse_since, read_log
from kiln.manifest.auth import USER
from kiln.secrets import check_name, read_stored, set_secret

__all__ = [
    "MAX_LOG_LINES",
    "MAX_ROWS",
    "SQL_SECONDS",
    "cron_jobs",
    "move_clock",
    "project_token",
    "read_logs",
    "read_sql",
    "store_secret",
]

#: The most rows ``/sql`` answers; more are cut off, and ``truncated`` says so.
MAX_ROWS = 1000
#: How long a ``/sql`` statement may run before it is stopped.
SQL_SECONDS = 2.0
#: The most log lines ``/logs`` answers: the last ones.
MAX_LOG_LINES = 1000


def project_token(project: Project, email: str) -> dict[str, str]:
    """``{"token"}`` for ``email`` in the project, as an ``admin`` (the user made, verified, if
    the project has none with that address); 404 for a project without ``[auth]``."""
    state = project.state
    if state.auth is None:
        raise NotFound(f"the project {project.slug!r} has no users: its app.toml has no [auth]")
    entity = project.compiled.manifest.entities[USER]
    now = state.clock.now()
    conn = state.db.connect()
    try:
        row = conn.execute("SELECT roles FROM users WHERE email = ?", [email.lower()]).fetchone()
        if row is None:
            unused = random_secrets.token_urlsafe(24)  # the owner signs in with tokens, not this
            user = add_user(
                conn,
                entity,
                email=email,
                password=unused,
                roles=["admin"],
                now=now,
                passwords=state.auth.passwords,
            )
        else:
            roles = sorted({*_roles(row[0]), "admin"})
            user = set_roles(conn, entity, email=email, roles=roles, now=now)
        version = conn.execute("SELECT token_version FROM users WHERE id = ?", [user["id"]]).fetchone()[0]
    finally:
        conn.close()
    return {"token": state.auth.tokens.issue(user["id"], user["roles"], version)}


def _roles(raw: str) -> list[str]:
    value = json.loads(raw or "[]")
    return [str(role) for role in value] if isinstance(value, list) else []


def read_sql(project: Project, body: Any) -> dict[str, Any]:
    """``{"sql"}``: one statement, run read-only → ``{"columns", "rows", "truncated"}``."""
    sql = body.get("sql") if isinstance(body, dict) else None
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationFailed('send {"sql": "SELECT ..."}', fields={"sql": "is required"})
    conn = sqlite3.connect(f"file:{project.state.db.path}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")
        deadline = time.monotonic() + SQL_SECONDS
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = conn.execute(sql)
            rows = cursor.fetchmany(MAX_ROWS + 1)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            reason = "it ran too long" if "interrupted" in str(exc) else str(exc)
            raise ValidationFailed(f"the statement failed: {reason}", fields={"sql": reason}) from None
        columns = [column[0] for column in cursor.description or []]
    finally:
        conn.close()
    return {
        "columns": columns,
        "rows": [list(row) for row in rows[:MAX_ROWS]],
        "truncated": len(rows) > MAX_ROWS,
    }


def store_secret(project: Project, body: Any) -> dict[str, Any]:
    """``{"name", "value"}`` → ``{"secrets": [names]}``; the project restarts to read it."""
    name = body.get("name") if isinstance(body, dict) else None
    value = body.get("value") if isinstance(body, dict) else None
    problem = check_name(name) if isinstance(name, str) else "is required"
    errors = {"name": problem} if problem else {}
    if not isinstance(value, str):
        errors["value"] = "is required: a string"
    if errors:
        raise ValidationFailed("the secret is invalid", fields=errors)
    assert isinstance(name, str)
    assert isinstance(value, str)
    set_secret(project.state.data_dir, name, value)
    return {"secrets": sorted(read_stored(project.state.data_dir))}


async def move_clock(project: Project, body: Any) -> dict[str, str]:
    """``{"advance": seconds}`` or ``{"set": datetime}``: move the project's clock, run what came
    due (cron jobs, workflow wakes, mail retries), and answer ``{"now"}``."""
    if not isinstance(body, dict) or len(body.keys() & {"advance", "set"}) != 1 or len(body) != 1:
        raise ValidationFailed(
            'send {"advance": seconds} or {"set": "2030-01-01T00:00:00Z"}',
            fields={"advance": "or set is required"},
        )
    clock = project.state.clock
    if "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValidationFailed(
                "the clock only moves forward", fields={"advance": "must be seconds, 0 or more"}
            )
        clock.advance(timedelta(seconds=seconds))
    else:
        try:
            when = datetime.fromisoformat(str(body["set"]).replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(
                "the time is invalid", fields={"set": "must be an ISO-8601 datetime"}
            ) from None
        clock.set(utc(when))
    if project.state.runtime is not None:  # from inside the loop, the move only woke it: run it now
        await project.state.runtime.run_due()
    return {"now": format_datetime(clock.now())}


def read_logs(project: Project, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """The project's log lines that ``since``, ``level`` and ``request_id`` let through, oldest
    first, the last :data:`MAX_LOG_LINES`; ``since`` counts back from real time, as log lines do."""
    errors = {}
    since = None
    if query.get("since"):
        try:
            since = parse_since(query["since"], datetime.now(UTC))
        except ValueError as exc:
            errors["since"] = str(exc).replace("--since", "since")
    level = query.get("level") or None
    if level is not None and level not in LEVELS:
        errors["level"] = f"must be one of {', '.join(LEVELS)}"
    if errors:
        raise ValidationFailed("the log query is invalid", fields=errors)
    keep = LogFilter(since=since, level=level, request_id=query.get("request_id") or None)
    return list(deque(read_log(project.state.data_dir / LOG_FILE, keep), maxlen=MAX_LOG_LINES))


def cron_jobs(project: Project) -> list[dict[str, Any]]:
    """The project's cron jobs with their next and last runs (none for an app without cron)."""
    runtime = project.state.runtime
    if runtime is None or runtime.scheduler is None:
        return []
    jobs: list[dict[str, Any]] = runtime.scheduler.listing()
    return jobs
