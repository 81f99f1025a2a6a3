"""Who is calling: the user behind a request's ``Authorization: Bearer`` token, or nobody."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request

from kiln.auth.limits import LoginLimiter
from kiln.auth.passwords import Passwords
from kiln.auth.tokens import Tokens
from kiln.errors import Forbidden, TokenError

if TYPE_CHECKING:
    from kiln.records import Shape

__all__ = ["SESSION_COOKIE", "AuthRuntime", "authenticate", "token_claims", "user_for_token"]

#: The cookie ``POST /auth/login`` with ``"session": true`` sets, carrying the token.
SESSION_COOKIE = "kiln_session"

REVOKED_TABLE = "_kiln_revoked_tokens"


@dataclass
class AuthRuntime:
    """One app instance's auth: its token signer, its password hasher and how users look as JSON."""

    tokens: Tokens
    passwords: Passwords
    users: Shape
    limiter: LoginLimiter


def authenticate(request: Request) -> dict[str, Any] | None:
    """The calling user's record, ``None`` without credentials, 401 for credentials that fail.

    A bad token is never treated as no token: a client that sends one learns it is bad.
    The result is kept on the request, so guards and handlers ask once.
    """
    if "kiln_user" in request.scope:
        return request.scope["kiln_user"]  # type: ignore[no-any-return]
    state = request.app.state.kiln
    header = request.headers.get("authorization")
    user = None
    if header is not None and state.auth is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("send the token as Authorization: Bearer <token>")
        user, request.scope["kiln_claims"] = _user_for(state.db.conn, state.auth, token.strip())
    elif state.auth is not None and SESSION_COOKIE in request.cookies:
        _check_origin(request)
        user, request.scope["kiln_claims"] = _user_for(
            state.db.conn, state.auth, request.cookies[SESSION_COOKIE]
        )
    request.scope["kiln_user"] = user
    return user


def _check_origin(request: Request) -> None:
    """403 for a write that only a session cookie authenticates and that does not come from one
    of the app's own pages (``Origin``, else ``Referer``): the CSRF check."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer", "")
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme else None
    if origin != own:
        raise Forbidden(
            "a write signed in by the session cookie must come from this app's own pages "
            f"(Origin {origin or 'missing'}, expected {own})"
        )


def user_for_token(state: Any, token: str) -> dict[str, Any]:
    """The user a token signs in, for an app's ``state``; :class:`TokenError` if it must not be
    accepted (tampered, expired, revoked, or its user gone). For connections that are not HTTP
    requests: WebSockets send their token in the query or their first message."""
    if state.auth is None:
        raise TokenError("this app has no users")
    user, _ = _user_for(state.db.conn, state.auth, token)
    return user


def token_claims(request: Request) -> dict[str, Any]:
    """The claims of the token :func:`authenticate` accepted for this request."""
    claims: dict[str, Any] = request.scope["kiln_claims"]
    return claims


def _user_for(
    conn: sqlite3.Connection, auth: AuthRuntime, token: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    claims = auth.tokens.decode(token)
    revoked = conn.execute(f"SELECT 1 FROM {REVOKED_TABLE} WHERE jti = ?", [claims["jti"]]).fetchone()
    if revoked is not None:
        raise TokenError("the token was revoked (logged out)")
    shape = auth.users
    row = conn.execute(
        f"SELECT {shape.columns}, token_version FROM users WHERE id = ?", [int(claims["sub"])]
    ).fetchone()
    if row is None:
        raise TokenError("the token's user no longer exists")
    if claims.get("ver") != row[-1]:
        raise TokenError("the token was revoked (the password changed)")
    return shape.to_json(row[:-1]), claims
