"""``/auth``: register, login, me, logout, password change and reset, and email verification."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiln.auth.accounts import password_problem
from kiln.auth.current import REVOKED_TABLE, SESSION_COOKIE, AuthRuntime, authenticate, token_claims
from kiln.errors import (
    BadRequest,
    EmailNotVerified,
    InvalidCredentials,
    RateLimited,
    TokenError,
    Unauthorized,
    UniqueViolation,
    ValidationFailed,
)
from kiln.fieldtypes import format_datetime
from kiln.http.body import read_json
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Entity
from kiln.records import validate
from kiln.store.database import Database
from kiln.store.outbox import queue_mail
from kiln.store.schema import quote

__all__ = ["auth_routes"]

_NOT_SETTABLE = ("roles", "verified")


def auth_routes(user: Entity) -> list[Route]:
    """The ``/auth`` routes for the app's ``User`` entity."""
    endpoints = _Endpoints(user)
    return [
        Route("/auth/register", endpoints.register, methods=["POST"]),
        Route("/auth/login", endpoints.login, methods=["POST"]),
        Route("/auth/me", endpoints.me, methods=["GET"]),
        Route("/auth/logout", endpoints.logout, methods=["POST"]),
        Route("/auth/password", endpoints.password, methods=["POST"]),
        Route("/auth/verify", verify, methods=["POST"]),
        Route("/auth/forgot", forgot, methods=["POST"]),
        Route("/auth/reset", reset, methods=["POST"]),
    ]


class _Endpoints:
    def __init__(self, user: Entity) -> None:
        self.user = user

    async def register(self, request: Request) -> Response:
        """``{"email", "password", ...user_fields}`` → 201 ``{"user", "token"}``.

        With ``verify_email``, 201 ``{"user"}``: the token comes with login, after verification.
        """
        auth, db = _runtime(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ValidationFailed("send a JSON object with email and password")
        errors = {key: "cannot be set when registering" for key in _NOT_SETTABLE if key in body}
        password = body.pop("password", None)
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
        fields = {key: value for key, value in body.items() if key not in _NOT_SETTABLE}
        try:
            values = validate(self.user, fields, partial=False)
        except ValidationFailed as exc:
            errors = {**exc.fields, **errors}
            values = {}
        if errors or not isinstance(password, str):
            raise ValidationFailed("User is invalid", fields=errors)
        values["email"] = values["email"].lower()
        password_hash = await run_in_threadpool(auth.passwords.hash, password)
        now = format_datetime(request.app.state.kiln.clock.now())
        columns = {"created_at": now, "updated_at": now, **values, "password_hash": password_hash}
        names = ", ".join(quote(name) for name in columns)
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO users ({names}) VALUES ({marks}) RETURNING {auth.users.columns}"
        with db.write() as conn:
            if conn.execute("SELECT 1 FROM users WHERE email = ?", [values["email"]]).fetchone():
                taken = {"email": "is already registered"}
                raise UniqueViolation("this email is already registered", fields=taken)
            user = auth.users.to_json(conn.execute(sql, list(columns.values())).fetchall()[0])
            if request.app.state.kiln.verify_email:
                _mail_verification(conn, request, auth, user)
        if request.app.state.kiln.verify_email:
            return JSONResponse({"user": user}, 201)  # the token comes after verification
        token = auth.tokens.issue(user["id"], user["roles"], 0)
        return JSONResponse({"user": user, "token": token}, 201)

    async def login(self, request: Request) -> Response:
        """``{"email", "password"}`` → ``{"token", "user"}``; 401 ``invalid_credentials`` otherwise."""
        auth, db = _runtime(request)
        body = await read_json(request)
        email, password = (
            (body.get("email"), body.get("password")) if isinstance(body, dict) else (None, None)
        )
        session = body.get("session", False) if isinstance(body, dict) else False
        if not isinstance(session, bool):
            raise ValidationFailed("the login is invalid", fields={"session": "must be true or false"})
        if not isinstance(email, str) or not email or not isinstance(password, str) or not password:
            missing = {
                name: "is required" for name, value in (("email", email), ("password", password)) if not value
            }
            raise ValidationFailed("send email and password", fields=missing or {"email": "is required"})
        keys = (f"email:{email.lower()}", f"address:{request.client.host if request.client else '-'}")
        wait = auth.limiter.retry_after(*keys)
        if wait:
            message = f"too many failed logins: try again in {wait} seconds"
            raise RateLimited(message, retry_after=wait)
        columns = f"{auth.users.columns}, password_hash, token_version"
        row = db.conn.execute(f"SELECT {columns} FROM users WHERE email = ?", [email.lower()]).fetchone()
        stored = row[-2] if row is not None else None
        if row is None or not await run_in_threadpool(auth.passwords.verify, stored, password):
            if row is None:  # spend the time a real check takes, so timing does not tell who exists
                await run_in_threadpool(auth.passwords.verify, None, password)
            auth.limiter.fail(*keys)
            raise InvalidCredentials("the email or the password is wrong")
        auth.limiter.clear(keys[0])
        user = auth.users.to_json(row[:-2])
        state = request.app.state.kiln
        if state.verify_email and not user["verified"] and not state.login_unverified:
            message = f"verify your email address first: a link was sent to {user['email']}"
            raise EmailNotVerified(message)
        token = auth.tokens.issue(user["id"], user["roles"], row[-1])
        response = JSONResponse({"token": token, "user": user})
        if session:  # a browser's session: template pages see the user, the cookie is not scripts'
            response.set_cookie(
                SESSION_COOKIE,
                token,
                max_age=auth.tokens.ttl,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        return response

    async def me(self, request: Request) -> Response:
        """The calling user."""
        return JSONResponse(_require(request))

    async def logout(self, request: Request) -> Response:
        """Revoke the token the request carries; 204."""
        _require(request)
        claims = token_claims(request)
        _auth, db = _runtime(request)
        with db.write() as conn:
            conn.execute(
                f"INSERT OR IGNORE INTO {REVOKED_TABLE} (jti, exp) VALUES (?, ?)",
                [claims["jti"], claims["exp"]],
            )
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
        return response

    async def password(self, request: Request) -> Response:
        """``{"password", "new_password"}`` → ``{"user", "token"}``; every older token stops working."""
        user = _require(request)
        auth, db = _runtime(request)
        body = await read_json(request)
        current, new = (
            (body.get("password"), body.get("new_password")) if isinstance(body, dict) else (None, None)
        )
        errors = {}
        problem = password_problem(new)
        if problem:
            errors["new_password"] = problem
        stored = db.conn.execute("SELECT password_hash FROM users WHERE id = ?", [user["id"]]).fetchone()[0]
        if not isinstance(current, str) or not await run_in_threadpool(
            auth.passwords.verify, stored, current
        ):
            errors["password"] = "is not your current password"
        if errors or not isinstance(new, str):
            raise ValidationFailed("the password was not changed", fields=errors)
        password_hash = await run_in_threadpool(auth.passwords.hash, new)
        now = format_datetime(request.app.state.kiln.clock.now())
        with db.write() as conn:
            version = conn.execute(
                "UPDATE users SET password_hash = ?, token_version = token_version + 1, updated_at = ? "
                "WHERE id = ? RETURNING token_version",
                [password_hash, now, user["id"]],
            ).fetchone()[0]
        fresh = user | {"updated_at": now}
        return JSONResponse({"user": fresh, "token": auth.tokens.issue(user["id"], user["roles"], version)})


async def forgot(request: Request) -> Response:
    """``{"email"}`` → 202 whatever the address; a registered one is mailed a reset token."""
    auth, db = _runtime(request)
    body = await read_json(request)
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not email.strip():
        raise ValidationFailed("send the email address to reset", fields={"email": "is required"})
    with db.write() as conn:
        row = conn.execute(
            "SELECT id, email, token_version FROM users WHERE email = ?", [email.strip().lower()]
        ).fetchone()
        if row is not None:
            token = auth.tokens.issue_reset(row[0], row[2])
            link = f"{request.base_url}auth/reset"
            text = (
                f"Someone asked to reset the password of {row[1]}. If it was you, within the hour:\n\n"
                f'POST {link} with {{"token": "{token}", "password": "<your new password>"}}\n\n'
                f"token: {token}\n\nIf it was not you, ignore this mail: your password stays as it is.\n"
            )
            send_mail(conn, request, to=row[1], subject="Reset your password", text=text)
    message = "if that address is registered, a mail with a reset token is on its way"
    return JSONResponse({"message": message}, 202)


async def reset(request: Request) -> Response:
    """``{"token", "password"}`` → ``{"user", "token"}``; every older token stops working."""
    auth, db = _runtime(request)
    body = await read_json(request)
    token, new = (body.get("token"), body.get("password")) if isinstance(body, dict) else (None, None)
    errors = {}
    if not isinstance(token, str) or not token:
        errors["token"] = "is required"
    problem = password_problem(new)
    if problem:
        errors["password"] = problem
    if errors or not isinstance(token, str) or not isinstance(new, str):
        raise ValidationFailed("the password was not reset", fields=errors)
    try:
        claims = auth.tokens.decode(token, purpose="reset_password")
    except TokenError:
        raise BadRequest("the reset token is invalid or expired") from None
    password_hash = await run_in_threadpool(auth.passwords.hash, new)
    now = format_datetime(request.app.state.kiln.clock.now())
    with db.write() as conn:
        # the token's version must still be the user's: a reset (or password change) since
        # then has moved it on, so each reset token works once
        row = conn.execute(
            "UPDATE users SET password_hash = ?, token_version = token_version + 1, verified = 1, "
            f"updated_at = ? WHERE id = ? AND token_version = ? RETURNING {auth.users.columns}, "
            "token_version",
            [password_hash, now, int(claims["sub"]), claims.get("ver")],
        ).fetchone()
    if row is None:
        raise BadRequest("the reset token is invalid or expired")
    user = auth.users.to_json(row[:-1])
    return JSONResponse({"user": user, "token": auth.tokens.issue(user["id"], user["roles"], row[-1])})


async def verify(request: Request) -> Response:
    """``{"token"}`` from the verification mail → ``{"user"}``, now verified."""
    auth, db = _runtime(request)
    body = await read_json(request)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ValidationFailed("send the token from the mail", fields={"token": "is required"})
    try:
        claims = auth.tokens.decode(token, purpose="verify_email")
    except TokenError:
        raise BadRequest("the verification token is invalid or expired") from None
    now = format_datetime(request.app.state.kiln.clock.now())
    with db.write() as conn:
        row = conn.execute(
            f"UPDATE users SET verified = 1, updated_at = ? WHERE id = ? AND email = ? "
            f"RETURNING {auth.users.columns}",
            [now, int(claims["sub"]), claims.get("email")],
        ).fetchall()
    if not row:
        raise BadRequest("the verification token is invalid or expired")
    return JSONResponse({"user": auth.users.to_json(row[0])})


def _mail_verification(conn: Any, request: Request, auth: AuthRuntime, user: dict[str, Any]) -> None:
    token = auth.tokens.issue_verification(user["id"], user["email"])
    link = f"{request.base_url}auth/verify"
    body = (
        f"Welcome! Confirm that {user['email']} is your address:\n\n"
        f'POST {link} with {{"token": "{token}"}}\n\ntoken: {token}\n'
    )
    send_mail(conn, request, to=user["email"], subject="Verify your email address", text=body)


def send_mail(conn: Any, request: Request, *, to: str, subject: str, text: str) -> None:
    """Queue a mail in the outbox inside the caller's transaction; delivered after it commits."""
    state = request.app.state.kiln
    outbox = state.outbox
    queue_mail(
        conn,
        state.clock.now(),
        to=to,
        subject=subject,
        text=text,
        sender=outbox.sender,
        deliver=outbox.deliver,
    )


def _runtime(request: Request) -> tuple[AuthRuntime, Database]:
    state = request.app.state.kiln
    return state.auth, state.db


def _require(request: Request) -> dict[str, Any]:
    user = authenticate(request)
    if user is None:
        raise Unauthorized("sign in first: send Authorization: Bearer <token>")
    return user
