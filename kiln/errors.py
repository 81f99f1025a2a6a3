"""Every error kiln raises: one tree, each class with its HTTP status and its stable code.

An error that reaches a request becomes the contract's envelope
(``{"error": {"status", "code", "message", "fields", "request_id"}}``, see
:mod:`kiln.http.errors`); the others are reported to the people who write apps, by
``kiln check``, ``kiln serve`` and the harness. Raise the class, never a bare status and code::

    KilnError                    500 internal_error
     ├── ManifestError           500 invalid_manifest      app.toml has problems; ``problems`` lists them
     ├── SchemaError             500 unsafe_migration      the database cannot follow the manifest safely
     ├── BadRequest              400 bad_request
     │    └── InvalidSearchQuery 400 invalid_search_query  ``q`` is not valid search syntax
     ├── Unauthorized            401 unauthorized          with ``WWW-Authenticate: Bearer``
     │    ├── TokenError         401 unauthorized          a token that must not be accepted
     │    └── InvalidCredentials 401 invalid_credentials   the email or the password is wrong
     ├── Forbidden               403 forbidden
     │    ├── EmailNotVerified   403 email_not_verified
     │    └── UrlExpired         403 url_expired           a presigned URL past its expiry
     ├── NotFound                404 not_found
     ├── MethodNotAllowed        405 method_not_allowed
     ├── Conflict                409 conflict
     │    ├── UniqueViolation    409 unique_violation
     │    └── DeleteRestricted   409 delete_restricted
     ├── PreconditionFailed      412 precondition_failed
     ├── PayloadTooLarge         413 payload_too_large
     ├── UnsupportedMediaType    415 unsupported_media_type
     ├── RangeNotSatisfiable     416 range_not_satisfiable with ``Content-Range: bytes */<size>``
     ├── ValidationFailed        422 validation_failed     ``fields``: the message for each field
     │    └── Invalid            422 validation_failed     one value that does not fit its field
     ├── RateLimited             429 rate_limited          with ``Retry-After``
     └── InternalError           500 internal_error

:func:`for_status` makes the error for a bare status, such as Starlette's own 404 and 405.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "BadRequest",
    "Conflict",
    "DeleteRestricted",
    "EmailNotVerified",
    "Forbidden",
    "InternalError",
    "Invalid",
    "InvalidCredentials",
    "InvalidSearchQuery",
    "KilnError",
    "ManifestError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "Problem",
    "RangeNotSatisfiable",
    "RateLimited",
    "SchemaError",
    "TokenError",
    "Unauthorized",
    "UniqueViolation",
    "UnsupportedMediaType",
    "UrlExpired",
    "ValidationFailed",
    "for_status",
]


class KilnError(Exception):
    """Base class of kiln's errors: ``status``, a stable ``code``, a message, ``fields`` and ``headers``.

    ``fields`` maps a field name to what is wrong with it (empty when no field is to blame);
    ``headers`` are sent with the error response.
    """

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in an app's files: ``app.toml: app.name: is required``."""

    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: {self.message}"


class ManifestError(KilnError):
    """The app's manifest cannot be compiled; each problem is one line of the message."""

    code = "invalid_manifest"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class SchemaError(KilnError):
    """The database cannot be brought to the manifest's schema without losing data."""

    code = "unsafe_migration"


class BadRequest(KilnError):
    """The request cannot be understood: a malformed body, query string or token."""

    status, code = 400, "bad_request"


class InvalidSearchQuery(BadRequest):
    """A search's ``q`` is malformed: an unclosed quote, a dangling ``AND``, an empty group."""

    code = "invalid_search_query"


class Unauthorized(KilnError):
    """No usable credentials; the response carries the ``WWW-Authenticate: Bearer`` challenge (RFC 6750)."""

    status, code = 401, "unauthorized"
    challenge: ClassVar[str] = "Bearer"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": self.challenge, **(headers or {})})


class TokenError(Unauthorized):
    """Credentials that must not be accepted: a tampered, foreign, expired or revoked token."""

    challenge = 'Bearer error="invalid_token"'


class InvalidCredentials(Unauthorized):
    """A login whose email or password is wrong (which of the two is never said)."""

    code = "invalid_credentials"


class Forbidden(KilnError):
    """The caller is known and may not do this."""

    status, code = 403, "forbidden"


class EmailNotVerified(Forbidden):
    """The caller has not followed the verification link yet."""

    code = "email_not_verified"


class UrlExpired(Forbidden):
    """A presigned URL whose expiry has passed on the app's clock."""

    code = "url_expired"


class NotFound(KilnError):
    """No such path or record."""

    status, code = 404, "not_found"


class MethodNotAllowed(KilnError):
    """The path exists; the method does not (``Allow`` lists those that do)."""

    status, code = 405, "method_not_allowed"


class Conflict(KilnError):
    """The request conflicts with what is stored."""

    status, code = 409, "conflict"


class UniqueViolation(Conflict):
    """A unique field already holds this value; ``fields`` names it."""

    code = "unique_violation"


class DeleteRestricted(Conflict):
    """Records that refer to this one with ``on_delete = "restrict"`` block its deletion."""

    code = "delete_restricted"


class PreconditionFailed(KilnError):
    """``If-Match`` names a version that is no longer the current one."""

    status, code = 412, "precondition_failed"


class PayloadTooLarge(KilnError):
    """The body is larger than the limit."""

    status, code = 413, "payload_too_large"


class UnsupportedMediaType(KilnError):
    """The body is not of a type this endpoint reads."""

    status, code = 415, "unsupported_media_type"


class RangeNotSatisfiable(KilnError):
    """A ``Range`` that starts past the end of the file; ``Content-Range`` gives its size."""

    status, code = 416, "range_not_satisfiable"


class ValidationFailed(KilnError):
    """The body does not fit the entity; ``fields`` has the message for each field."""

    status, code = 422, "validation_failed"


class Invalid(ValidationFailed):
    """One value that does not fit its field; the message reads after the field's name: ``is required``.

    Field types raise it; whoever checks a whole record gathers the messages into one
    :class:`ValidationFailed`, and a query string's value becomes a :class:`BadRequest`.
    """


class RateLimited(KilnError):
    """Too many attempts; ``Retry-After`` says how many seconds to wait."""

    status, code = 429, "rate_limited"

    def __init__(
        self, message: str, *, retry_after: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        wait = {} if retry_after is None else {"Retry-After": str(retry_after)}
        super().__init__(message, headers={**wait, **(headers or {})})


class InternalError(KilnError):
    """Something failed inside the server; the message never carries its details unless debugging."""


_BY_STATUS: dict[int, type[KilnError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        RangeNotSatisfiable,
        ValidationFailed,
        RateLimited,
        InternalError,
    )
}


def for_status(status: int, message: str, headers: Mapping[str, str] | None = None) -> KilnError:
    """The error for a bare HTTP status: its class in the tree, or a plain one with code ``error``."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls(message, headers=headers)
    error = KilnError(message, headers=headers)
    error.status, error.code = status, "error"
    return error
