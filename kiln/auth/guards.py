"""Enforce guards on a request: authentication first, then authorization.

Whatever order the guards are written in, a request without a user gets 401 as soon as any guard
needs one (``auth``, ``verified``, ``role:<name>``, ``owner``); only then are roles, verification,
ownership and ``handlers:<fn>`` checked, each failure a 403.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from kiln.auth.current import authenticate
from kiln.errors import EmailNotVerified, Forbidden, Unauthorized
from kiln.http.context import HandlerContext

__all__ = ["check_owner", "enforce", "needs_user", "refusal"]


def needs_user(guards: tuple[str, ...]) -> bool:
    """Whether any guard needs an authenticated user."""
    return any(g in ("auth", "verified", "owner") or g.startswith("role:") for g in guards)


async def enforce(
    request: Request, guards: tuple[str, ...], handlers: ModuleType | None
) -> dict[str, Any] | None:
    """The caller after every guard but ``owner`` has passed; 401 or 403 otherwise."""
    user = authenticate(request)
    if guards == ("public",):
        return user
    refused = refusal(guards, user)
    if refused is not None:
        raise refused
    for guard in guards:
        if guard.startswith("handlers:") and not await _handler_allows(request, guard, handlers, user):
            raise Forbidden(f"{guard} does not allow this request")
    return user


def refusal(guards: tuple[str, ...], user: Any) -> Unauthorized | Forbidden | None:
    """Why ``user`` (``None`` for nobody) fails ``guards``, leaving out ``owner`` and
    ``handlers:``, which need a record or a request; ``None`` if it passes. For callers that have
    no HTTP request to enforce on, such as WebSocket messages."""
    if user is None:
        return (
            Unauthorized("sign in first: send Authorization: Bearer <token>") if needs_user(guards) else None
        )
    for guard in guards:
        if guard == "verified" and not user["verified"]:
            return EmailNotVerified("verify your email address first")
        if guard.startswith("role:") and guard[5:] not in user["roles"]:
            return Forbidden(f"this needs the {guard[5:]} role")
    return None


def check_owner(guards: tuple[str, ...], owner_field: str | None, record: dict[str, Any], user: Any) -> None:
    """403 when ``owner`` guards the operation and the record is not the caller's."""
    if (
        "owner" in guards
        and owner_field is not None
        and (user is None or record.get(owner_field) != user["id"])
    ):
        raise Forbidden("only its owner may do this")


async def _handler_allows(request: Request, guard: str, handlers: ModuleType | None, user: Any) -> bool:
    function = getattr(handlers, guard.removeprefix("handlers:"))
    ctx = HandlerContext.for_request(request, user)
    try:
        if inspect.iscoroutinefunction(function):
            return bool(await function(request, ctx))
        return bool(await run_in_threadpool(function, request, ctx))
    finally:
        ctx.close()
