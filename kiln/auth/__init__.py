"""Authentication: the built-in User, argon2 passwords, JWT tokens and the ``/auth`` endpoints."""

from kiln.auth.current import AuthRuntime, authenticate
from kiln.auth.endpoints import auth_routes
from kiln.auth.passwords import Passwords
from kiln.auth.tokens import Tokens, load_secret

__all__ = [
    "AuthRuntime",
    "Passwords",
    "Tokens",
    "auth_routes",
    "authenticate",
    "load_secret",
]
