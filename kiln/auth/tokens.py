"""JWT access tokens (HS256, PyJWT) whose time comes from the app's clock."""

from __future__ import annotations

import os
import secrets as random
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from kiln.clock import Clock
from kiln.errors import TokenError

__all__ = ["SECRET_ENV", "SECRET_FILE", "Tokens", "load_secret"]

SECRET_ENV = "KILN_SECRET_KEY"
SECRET_FILE = "secret.key"
_ALGORITHM = "HS256"


def load_secret(data_dir: Path, secrets: Mapping[str, str]) -> bytes:
    """The signing secret: the app's secret ``KEY`` (``KILN_SECRET_KEY`` in the environment), else
    one generated once per data directory and kept in ``secret.key``, readable by its owner only."""
    configured = secrets.get("KEY") or secrets.get(SECRET_ENV) or os.environ.get(SECRET_ENV)
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as handle:
        secret = random.token_hex(32)
        handle.write(secret)
    return secret.encode()


class Tokens:
    """Issues and checks tokens carrying ``sub``, ``iat``, ``exp``, ``jti``, ``roles`` and ``ver``.

    ``ver`` is the user's token version: changing the password bumps it, which retires every token
    issued before, even ones issued in the same second.
    """

    def __init__(self, secret: bytes, clock: Clock, ttl: int) -> None:
        self._secret = secret
        self._clock = clock
        self.ttl = ttl

    def issue(self, user_id: int, roles: list[str], version: int) -> str:
        """A signed token for the user, valid for ``ttl`` seconds of the app's clock."""
        now = int(self._clock.timestamp())
        claims = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
            "roles": roles,
            "ver": version,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def issue_verification(self, user_id: int, email: str, lifetime: int = 2 * 86_400) -> str:
        """A token that verifies ``email`` for the user, and is good for nothing else."""
        now = int(self._clock.timestamp())
        claims = {
            "sub": str(user_id),
            "email": email,
            "purpose": "verify_email",
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def issue_reset(self, user_id: int, version: int, lifetime: int = 3600) -> str:
        """A token that resets the user's password once, within ``lifetime`` seconds: it carries
        the token version, which the reset (or any password change) moves on."""
        now = int(self._clock.timestamp())
        claims = {
            "sub": str(user_id),
            "purpose": "reset_password",
            "ver": version,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def decode(self, token: str, purpose: str | None = None) -> dict[str, Any]:
        """The claims of a valid token; :class:`TokenError` if tampered, foreign, unsigned or expired."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],  # never "none", never a key confusion
                options={"verify_exp": False, "verify_iat": False, "require": ["sub", "iat", "exp", "jti"]},
            )
        except jwt.InvalidSignatureError:
            raise TokenError("the token's signature is not valid") from None
        except jwt.PyJWTError:
            raise TokenError("the token is not a valid token") from None
        if not isinstance(claims["exp"], int) or claims["exp"] <= self._clock.timestamp():
            raise TokenError("the token has expired")
        if not str(claims["sub"]).isdigit() or claims.get("purpose") != purpose:
            raise TokenError("the token is not a valid token")
        return claims
