"""Password hashing with argon2 (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords"]


class Passwords:
    """Hashes and checks passwords; the hash, never the password, is what is stored.

    ``fast`` uses argon2's cheapest parameters. The harness asks for it, so a test suite can
    create hundreds of users in seconds; ``kiln serve`` uses RFC 9106's low-memory profile.
    Both are slow on purpose compared with a request, so callers run them in a worker thread.
    """

    def __init__(self, *, fast: bool = False) -> None:
        self._hasher = PasswordHasher.from_parameters(
            profiles.CHEAPEST if fast else profiles.RFC_9106_LOW_MEMORY
        )
        self._dummy = self._hasher.hash("not a password anyone has")

    def hash(self, password: str) -> str:
        """The argon2 hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with no stored hash, spend the same time and say no."""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
