"""Users managed outside HTTP: what ``kiln users create|roles|list`` does to an app's database.

These run on a connection the caller opened, in one transaction each, and raise kiln errors
(with the contract's codes) that the command line prints.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kiln.auth.passwords import Passwords
from kiln.errors import NotFound, UniqueViolation, ValidationFailed
from kiln.fieldtypes import format_datetime
from kiln.manifest.model import Entity
from kiln.records import Shape, validate
from kiln.store.schema import quote

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "add_user", "list_users", "password_problem", "set_roles"]

MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def password_problem(password: Any) -> str | None:
    """Why ``password`` cannot be a password (too short, too long, missing), or ``None``."""
    if not isinstance(password, str) or not password:
        return "is required"
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"must be at most {MAX_PASSWORD} characters"
    return None


def add_user(
    conn: sqlite3.Connection,
    user: Entity,
    *,
    email: str,
    password: str,
    roles: Sequence[str],
    now: datetime,
    passwords: Passwords,
) -> dict[str, Any]:
    """Insert a verified user with ``roles``; returns the user object.

    Raises ``ValidationFailed`` for a bad email or password and ``UniqueViolation`` when the
    email is registered already.
    """
    errors: dict[str, str] = {}
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    try:
        values = validate(user, {"email": email}, partial=False)
    except ValidationFailed as exc:
        errors = {**exc.fields, **errors}
        values = {}
    if errors:
        raise ValidationFailed("User is invalid", fields=errors)
    stamp = format_datetime(now)
    columns = {
        "created_at": stamp,
        "updated_at": stamp,
        **values,
        "email": values["email"].lower(),
        "roles": json.dumps(_roles(roles)),
        "verified": 1,
        "password_hash": passwords.hash(password),
    }
    names = ", ".join(quote(name) for name in columns)
    shape = Shape(user)
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT 1 FROM users WHERE email = ?", [columns["email"]]).fetchone():
            raise UniqueViolation(
                "this email is already registered", fields={"email": "is already registered"}
            )
        row = conn.execute(
            f"INSERT INTO users ({names}) VALUES ({', '.join('?' * len(columns))}) RETURNING {shape.columns}",
            list(columns.values()),
        ).fetchone()
    return shape.to_json(row)


def set_roles(
    conn: sqlite3.Connection, user: Entity, *, email: str, roles: Sequence[str], now: datetime
) -> dict[str, Any]:
    """Give the user with ``email`` exactly ``roles``; returns the user. ``NotFound`` if none has it."""
    shape = Shape(user)
    with conn:
        row = conn.execute(
            f"UPDATE users SET roles = ?, updated_at = ? WHERE email = ? RETURNING {shape.columns}",
            [json.dumps(_roles(roles)), format_datetime(now), email.lower()],
        ).fetchone()
    if row is None:
        raise NotFound(f"no user has the email {email.lower()}")
    return shape.to_json(row)


def list_users(conn: sqlite3.Connection, user: Entity) -> list[dict[str, Any]]:
    """Every user, oldest first."""
    shape = Shape(user)
    return [shape.to_json(row) for row in conn.execute(f"SELECT {shape.columns} FROM users ORDER BY id")]


def _roles(roles: Sequence[str]) -> list[str]:
    """The roles, each once, in the order given; a blank role is refused."""
    kept: list[str] = []
    for role in roles:
        name = role.strip()
        if not name:
            raise ValidationFailed("a role needs a name", fields={"roles": "must not be blank"})
        if name not in kept:
            kept.append(name)
    return kept
