"""The host's control API under ``/_host/``: health, the dev outbox, projects, and the
administrator's clean-up of test users.

Users and the projects they own live in the control app (``kiln/hosting/control/app.toml``), a
kiln app with ``[auth]``: a request is signed in with that app's token, and a project row names
its owner. ``/_host/auth/...`` is that app's own ``/auth/...`` (:mod:`kiln.hosting.host` sends it
there).
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiln.auth.current import user_for_token
from kiln.errors import (
    BadRequest,
    EmailNotVerified,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TokenError,
    UniqueViolation,
    ValidationFailed,
)
from kiln.fieldtypes.times import format_datetime
from kiln.hosting import owner
from kiln.hosting.bundles import MAX_BUNDLE_BYTES
from kiln.hosting.mail import outbox_items
from kiln.hosting.projects import Project, Projects, check_slug
from kiln.http.body import read_json
from kiln.http.responses import JSONResponse

__all__ = ["ControlHost", "routes"]


class ControlHost(Protocol):
    """What the API needs of the host (:class:`kiln.hosting.host.Host` is one)."""

    mode: str
    admin_token: str | None
    control: Any  # the control app's AppState: its database, auth and clock
    projects: Projects

    def url_of(self, slug: str, port: int | None) -> str:
        """Where the project ``slug`` is served, on ``port``."""
        ...


def routes(host: ControlHost) -> Sequence[Route]:
    """The control API's routes, bound to ``host``."""
    api = _Api(host)
    return [
        Route("/_host/health", api.health, methods=["GET"]),
        Route("/_host/dev/outbox", api.outbox, methods=["GET"]),
        Route("/_host/projects", api.deploy, methods=["POST"]),
        Route("/_host/projects", api.mine, methods=["GET"]),
        Route("/_host/projects/{slug}", api.rename, methods=["PATCH"]),
        Route("/_host/projects/{slug}", api.take_down, methods=["DELETE"]),
        Route("/_host/projects/{slug}/token", api.token, methods=["POST"]),
        Route("/_host/projects/{slug}/sql", api.sql, methods=["POST"]),
        Route("/_host/projects/{slug}/secrets", api.secrets, methods=["POST"]),
        Route("/_host/projects/{slug}/clock", api.clock, methods=["POST"]),
        Route("/_host/projects/{slug}/logs", api.logs, methods=["GET"]),
        Route("/_host/projects/{slug}/cron", api.cron, methods=["GET"]),
        Route("/_host/users", api.remove_users, methods=["DELETE"]),
    ]


class _Api:
    def __init__(self, host: ControlHost) -> None:
        self.host = host

    @property
    def _db(self) -> Any:
        return self.host.control.db

    def _user(self, request: Request) -> dict[str, Any]:
        """The host user the request's Bearer token signs in; 401 otherwise."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("log in to the host: send Authorization: Bearer <token> from /_host/auth/login")
        return user_for_token(self.host.control, token.strip())

    def _owned(self, request: Request, slug: str) -> tuple[dict[str, Any], int]:
        """The signed-in user and the id of their project ``slug``; 404 or 403 otherwise."""
        user = self._user(request)
        row = self._db.conn.execute("SELECT id, owner_id FROM projects WHERE slug = ?", [slug]).fetchone()
        if row is None:
            raise NotFound(f"no project is named {slug!r}")
        if row[1] != user["id"]:
            raise Forbidden(f"the project {slug!r} is another user's")
        return user, int(row[0])

    async def health(self, request: Request) -> Response:
        """``{"status": "ok", "mode", "projects"}``."""
        return JSONResponse(
            {"status": "ok", "mode": self.host.mode, "projects": len(self.host.projects.running)}
        )

    async def outbox(self, request: Request) -> Response:
        """Dev mode: the mail to ``?to=`` from the host and its projects, newest first, as
        ``{"items": [{"to", "subject", "text", "project", "created_at"}]}``; 404 in prod."""
        if self.host.mode != "dev":
            raise NotFound(f"no route matches {request.url.path}")
        address = request.query_params.get("to", "").strip().lower()
        if "@" not in address:
            raise ValidationFailed("name the address: ?to=ann@example.com", fields={"to": "is required"})
        return JSONResponse({"items": outbox_items(self._db, self.host.projects, address)})

    async def mine(self, request: Request) -> Response:
        """The signed-in user's projects: ``{"items": [{"slug", "url"}]}``, by name."""
        user = self._user(request)
        rows = self._db.conn.execute(
            "SELECT slug FROM projects WHERE owner_id = ? ORDER BY slug", [user["id"]]
        ).fetchall()
        return JSONResponse({"items": [self._project(slug, request) for (slug,) in rows]})

    async def deploy(self, request: Request) -> Response:
        """Multipart ``slug`` and ``bundle`` → 201 ``{"slug", "url"}`` for a new project, 200 for
        new code over one's own project (its data kept)."""
        user = self._user(request)
        if not user["verified"]:
            raise EmailNotVerified(
                f"verify your email address before deploying: a link was sent to {user['email']}"
            )
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise BadRequest("send the bundle as multipart/form-data with the fields slug and bundle")
        async with request.form(max_files=1, max_fields=10, max_part_size=MAX_BUNDLE_BYTES) as form:
            slug = check_slug(form.get("slug"))
            upload = form.get("bundle")
            if not isinstance(upload, UploadFile):
                raise ValidationFailed("send the bundle", fields={"bundle": "is required: a .tar.gz file"})
            bundle = await upload.read(MAX_BUNDLE_BYTES + 1)
        if len(bundle) > MAX_BUNDLE_BYTES:
            raise PayloadTooLarge(
                f"a bundle is at most {MAX_BUNDLE_BYTES} bytes", fields={"bundle": "is too large"}
            )
        row = self._db.conn.execute("SELECT id, owner_id FROM projects WHERE slug = ?", [slug]).fetchone()
        if row is not None and row[1] != user["id"]:
            raise UniqueViolation(f"the name {slug!r} is another user's project", fields={"slug": "is taken"})
        if row is None:  # the name is claimed first, so two deploys of one new name cannot both win
            project_id = self._claim(slug, user["id"])
            try:
                await self.host.projects.deploy(slug, bundle)
            except BaseException:
                with self._db.write() as conn:
                    conn.execute("DELETE FROM projects WHERE id = ?", [project_id])
                raise
        else:
            await self.host.projects.deploy(slug, bundle)
        return JSONResponse(self._project(slug, request), 201 if row is None else 200)

    def _claim(self, slug: str, owner_id: int) -> int:
        """Record ``slug`` as ``owner_id``'s project; 409 if someone took it meanwhile."""
        now = self._now()
        try:
            with self._db.write() as conn:
                conn.execute("DELETE FROM renames WHERE old = ?", [slug])  # the name is this project's now
                return int(
                    conn.execute(
                        "INSERT INTO projects (slug, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?) "
                        "RETURNING id",
                        [slug, owner_id, now, now],
                    ).fetchone()[0]
                )
        except sqlite3.IntegrityError:
            raise UniqueViolation(
                f"the name {slug!r} is another user's project", fields={"slug": "is taken"}
            ) from None

    async def rename(self, request: Request) -> Response:
        """``{"slug": "new"}`` → ``{"slug", "url"}``; the old name answers 308 to the new one."""
        slug = request.path_params["slug"]
        _, project_id = self._owned(request, slug)
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"slug"}:
            raise ValidationFailed('send the new name as {"slug": "..."}', fields={"slug": "is required"})
        new = check_slug(body["slug"])
        if new == slug:
            return JSONResponse(self._project(slug, request))
        if self._db.conn.execute("SELECT 1 FROM projects WHERE slug = ?", [new]).fetchone():
            raise UniqueViolation(f"the name {new!r} is taken", fields={"slug": "is taken"})
        await self.host.projects.rename(slug, new)
        now = self._now()
        with self._db.write() as conn:
            conn.execute("UPDATE projects SET slug = ?, updated_at = ? WHERE id = ?", [new, now, project_id])
            conn.execute("DELETE FROM renames WHERE old = ?", [new])
            conn.execute(
                "INSERT INTO renames (old, project_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
                [slug, project_id, now, now],
            )
        return JSONResponse(self._project(new, request))

    async def take_down(self, request: Request) -> Response:
        """Stop serving the project and remove its data: 204; its name answers 404 afterwards."""
        slug = request.path_params["slug"]
        _, project_id = self._owned(request, slug)
        await self._remove(slug, project_id)
        return Response(status_code=204)

    def _running(self, request: Request) -> tuple[dict[str, Any], Project]:
        """The signed-in owner and their running project named in the path."""
        slug = request.path_params["slug"]
        user, _ = self._owned(request, slug)
        project = self.host.projects.running.get(slug)
        if project is None:
            raise NotFound(f"the project {slug!r} is not running: deploy it again")
        return user, project

    async def token(self, request: Request) -> Response:
        """``{"token"}``: the owner, as the project's ``admin``."""
        user, project = self._running(request)
        return JSONResponse(await run_in_threadpool(owner.project_token, project, user["email"]))

    async def sql(self, request: Request) -> Response:
        """``{"sql"}``: one read-only statement → ``{"columns", "rows", "truncated"}``."""
        _, project = self._running(request)
        body = await read_json(request)
        return JSONResponse(await run_in_threadpool(owner.read_sql, project, body))

    async def secrets(self, request: Request) -> Response:
        """``{"name", "value"}`` → ``{"secrets": [names]}``; the project restarts with it."""
        _, project = self._running(request)
        answer = owner.store_secret(project, await read_json(request))
        await self.host.projects.restart(project.slug)
        return JSONResponse(answer)

    async def clock(self, request: Request) -> Response:
        """Dev mode: ``{"advance": seconds}`` or ``{"set": datetime}`` → ``{"now"}``, with what
        came due run; 404 in prod."""
        if self.host.mode != "dev":
            raise NotFound(f"no route matches {request.url.path}")
        _, project = self._running(request)
        return JSONResponse(await owner.move_clock(project, await read_json(request)))

    async def logs(self, request: Request) -> Response:
        """``?since=5m&level=&request_id=`` → ``{"items": [line]}``, the project's JSON log lines,
        oldest first, the last 1,000 of them."""
        _, project = self._running(request)
        return JSONResponse({"items": owner.read_logs(project, request.query_params)})

    async def cron(self, request: Request) -> Response:
        """``{"items": [{"name", "schedule", "next_run", "last_run", "last_status"}]}``."""
        _, project = self._running(request)
        return JSONResponse({"items": owner.cron_jobs(project)})

    async def remove_users(self, request: Request) -> Response:
        """The administrator's clean-up: ``?prefix=st-`` removes the users whose email starts
        with it, and their projects; ``{"users", "projects"}`` counts what went."""
        expected = self.host.admin_token
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
            raise TokenError("this needs the host's administrator token")
        prefix = request.query_params.get("prefix", "")
        if len(prefix) < 2:
            raise ValidationFailed(
                "name the users' prefix, such as ?prefix=st-", fields={"prefix": "is required"}
            )
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conn = self._db.conn
        users = [
            row[0] for row in conn.execute("SELECT id FROM users WHERE email LIKE ? ESCAPE '\\'", [pattern])
        ]
        projects = [
            (slug, project_id)
            for user_id in users
            for project_id, slug in conn.execute(
                "SELECT id, slug FROM projects WHERE owner_id = ?", [user_id]
            )
        ]
        for slug, project_id in projects:
            await self._remove(slug, project_id)
        with self._db.write() as write:
            write.executemany("DELETE FROM users WHERE id = ?", [[user_id] for user_id in users])
        return JSONResponse({"users": len(users), "projects": len(projects)})

    async def _remove(self, slug: str, project_id: int) -> None:
        await self.host.projects.take_down(slug)
        with self._db.write() as conn:
            conn.execute("DELETE FROM projects WHERE id = ?", [project_id])  # its renames go with it

    def _project(self, slug: str, request: Request) -> dict[str, str]:
        return {"slug": slug, "url": self.host.url_of(slug, request.url.port)}

    def _now(self) -> str:
        return format_datetime(self.host.control.clock.now())
