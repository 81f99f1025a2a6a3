"""Authentication: the built-in User, argon2 passwords, JWT tokens and the ``/auth`` endpoints."""

from kiln.auth.current import AuthRuntime, authenticate, unauthorized
from kiln.auth.endpoints import auth_routes
from kiln.auth.passwords import Passwords
from kiln.auth.tokens import TokenError, Tokens, load_secret

__all__ = [
    "AuthRuntime",
    "Passwords",
    "TokenError",
    "Tokens",
    "auth_routes",
    "authenticate",
    "load_secret",
    "unauthorized",
]
