"""Create a user straight in an app's database and sign a token for it: the harness's ``as_user``.

No HTTP round trip: tests that need an admin or a verified user get one in well under a
millisecond, signed with the same secret and clock the running app uses.
"""

from __future__ import annotations

import json
import secrets as random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kiln.auth.passwords import Passwords
from kiln.auth.tokens import Tokens, load_secret
from kiln.clock import Clock
from kiln.fieldtypes import format_datetime
from kiln.manifest import Manifest
from kiln.manifest.auth import USER
from kiln.records import Shape
from kiln.store import DB_NAME, connect

__all__ = ["create_user"]

_passwords = Passwords(fast=True)


def create_user(
    manifest: Manifest,
    data_dir: Path,
    *,
    email: str,
    roles: Sequence[str] = (),
    verified: bool = True,
    password: str | None = None,
    secrets: Mapping[str, str] | None = None,
    clock: Clock,
) -> tuple[dict[str, Any], str]:
    """Insert the user (or update the one with that email) and return ``(user, token)``.

    An existing user keeps their password when ``password`` is ``None``; a new one gets a
    random password nobody knows.
    """
    if manifest.auth is None:
        raise ValueError(f"{manifest.name} has no [auth]: it has no users")
    shape = Shape(manifest.entities[USER])
    now = format_datetime(clock.now())
    password_hash = _passwords.hash(password or random.token_urlsafe(16))
    conn = connect(data_dir / DB_NAME)
    try:
        upsert = (
            "INSERT INTO users (created_at, updated_at, email, roles, verified, password_hash) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET roles = excluded.roles, "
            "verified = excluded.verified, updated_at = excluded.updated_at, "
            # a user who already exists keeps their password unless a new one is given
            "password_hash = CASE WHEN ? THEN excluded.password_hash ELSE users.password_hash END "
            f"RETURNING {shape.columns}, token_version"
        )
        values = [now, now, email.lower(), json.dumps(list(roles)), int(verified), password_hash]
        row = conn.execute(upsert, [*values, password is not None]).fetchall()[0]
    finally:
        conn.close()
    user = shape.to_json(row[:-1])
    tokens = Tokens(load_secret(data_dir, secrets or {}), clock, manifest.auth.token_ttl)
    return user, tokens.issue(user["id"], user["roles"], row[-1])
