"""Validate ``[auth]`` and build the built-in ``User`` entity from it.

``[auth]`` turns authentication on: the ``User`` entity (table ``users``) and the ``/auth``
endpoints. ``[auth.user_fields]`` adds fields to ``User`` the way ``[entities.X.fields]`` does.
"""

from __future__ import annotations

from typing import Any

from kiln.manifest.entities import read_fields
from kiln.manifest.model import AuthConfig, Entity, Field
from kiln.manifest.report import Report

__all__ = ["USER", "read_auth"]

USER = "User"
_KEYS = {"user_fields", "token_ttl", "max_login_failures", "login_window", "verify_email", "login_unverified"}
_LATER: set[str] = set()
#: Columns of ``users`` that no API ever returns.
HIDDEN_COLUMNS = (("password_hash", "TEXT NOT NULL"), ("token_version", "INTEGER NOT NULL DEFAULT 0"))
_BUILT_IN_FIELDS = {
    "email": Field("email", "email", required=True, unique=True),
    "roles": Field("roles", "json", default="[]"),
    "verified": Field("verified", "bool", default=0),
}
_RESERVED = (*_BUILT_IN_FIELDS, "password", "password_hash", "token_version")


def read_auth(raw: Any, report: Report) -> tuple[AuthConfig | None, Entity | None]:
    """The auth settings and the ``User`` entity, or ``(None, None)`` when ``[auth]`` is absent."""
    if raw is None:
        return None, None
    table = report.table(raw, "auth", "[auth] token_ttl = 86400")
    if table is None:
        return None, None
    report.check_keys(table, "auth", _KEYS, _LATER)
    ttl = table.get("token_ttl", 86_400)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= 31_536_000:
        report.error("auth.token_ttl", "must be a whole number of seconds from 60 to 31536000 (a year)")
        ttl = 86_400
    limits = {}
    for key, low, high, default in (("max_login_failures", 1, 1000, 5), ("login_window", 1, 86_400, 900)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            report.error(f"auth.{key}", f"must be a whole number from {low} to {high}")
            value = default
        limits[key] = value
    verify_email = table.get("verify_email", False)
    if not isinstance(verify_email, bool):
        report.error("auth.verify_email", "must be true or false")
        verify_email = False
    login_unverified = table.get("login_unverified", False)
    if not isinstance(login_unverified, bool):
        report.error("auth.login_unverified", "must be true or false")
        login_unverified = False
    elif login_unverified and not verify_email:
        report.error("auth.login_unverified", "means something only with verify_email = true")
    extra = read_fields(table.get("user_fields", {}), "auth.user_fields", report, reserved=_RESERVED)
    for name in [name for name, field in extra.items() if field.type == "file"]:
        # /auth takes JSON only, and a user's fields are public: a file there would be anyone's
        report.error(
            f"auth.user_fields.{name}",
            'User cannot have file fields: give them to an entity with owner = "<ref to User>"',
        )
        del extra[name]
    fields = {**_BUILT_IN_FIELDS, **extra}
    user = Entity(name=USER, plural="users", fields=fields, hidden_columns=HIDDEN_COLUMNS)
    config = AuthConfig(token_ttl=ttl, verify_email=verify_email, login_unverified=login_unverified, **limits)
    return config, user
