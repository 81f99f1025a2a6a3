"""kiln's one error tree: each class's status, code and parent, written out as the contract gives them."""

from __future__ import annotations

import inspect

import pytest

import kiln.errors
from kiln.errors import (
    BadRequest,
    Conflict,
    DeleteRestricted,
    EmailNotVerified,
    Forbidden,
    InternalError,
    Invalid,
    InvalidCredentials,
    InvalidSearchQuery,
    KilnError,
    ManifestError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    Problem,
    RangeNotSatisfiable,
    RateLimited,
    SchemaError,
    TokenError,
    Unauthorized,
    UniqueViolation,
    UnsupportedMediaType,
    UrlExpired,
    ValidationFailed,
    for_status,
)

# (class, parent, status, code)
TREE = [
    (ManifestError, KilnError, 500, "invalid_manifest"),
    (SchemaError, KilnError, 500, "unsafe_migration"),
    (BadRequest, KilnError, 400, "bad_request"),
    (InvalidSearchQuery, BadRequest, 400, "invalid_search_query"),
    (Unauthorized, KilnError, 401, "unauthorized"),
    (TokenError, Unauthorized, 401, "unauthorized"),
    (InvalidCredentials, Unauthorized, 401, "invalid_credentials"),
    (Forbidden, KilnError, 403, "forbidden"),
    (EmailNotVerified, Forbidden, 403, "email_not_verified"),
    (UrlExpired, Forbidden, 403, "url_expired"),
    (NotFound, KilnError, 404, "not_found"),
    (MethodNotAllowed, KilnError, 405, "method_not_allowed"),
    (Conflict, KilnError, 409, "conflict"),
    (UniqueViolation, Conflict, 409, "unique_violation"),
    (DeleteRestricted, Conflict, 409, "delete_restricted"),
    (PreconditionFailed, KilnError, 412, "precondition_failed"),
    (PayloadTooLarge, KilnError, 413, "payload_too_large"),
    (UnsupportedMediaType, KilnError, 415, "unsupported_media_type"),
    (RangeNotSatisfiable, KilnError, 416, "range_not_satisfiable"),
    (ValidationFailed, KilnError, 422, "validation_failed"),
    (Invalid, ValidationFailed, 422, "validation_failed"),
    (RateLimited, KilnError, 429, "rate_limited"),
    (InternalError, KilnError, 500, "internal_error"),
]


@pytest.mark.parametrize(("cls", "parent", "status", "code"), TREE, ids=[row[0].__name__ for row in TREE])
def test_each_error_has_its_status_code_and_parent(
    cls: type[KilnError], parent: type[KilnError], status: int, code: str
) -> None:
    assert cls.__bases__ == (parent,)
    assert (cls.status, cls.code) == (status, code)


def test_the_table_lists_every_error_class_and_the_docstring_draws_each() -> None:
    classes = {
        value
        for value in vars(kiln.errors).values()
        if inspect.isclass(value) and issubclass(value, KilnError) and value is not KilnError
    }
    assert classes == {row[0] for row in TREE}
    for cls, _, status, code in TREE:
        assert f"{cls.__name__} " in kiln.errors.__doc__  # type: ignore[operator]
        assert f"{status} {code}" in kiln.errors.__doc__  # type: ignore[operator]


def test_an_error_carries_its_message_fields_and_headers() -> None:
    error = ValidationFailed("Todo is invalid", fields={"title": "is required"})
    assert (str(error), error.message, error.fields, error.headers) == (
        "Todo is invalid",
        "Todo is invalid",
        {"title": "is required"},
        {},
    )


@pytest.mark.parametrize(
    ("cls", "challenge"), [(Unauthorized, "Bearer"), (TokenError, 'Bearer error="invalid_token"')]
)
def test_a_401_carries_the_bearer_challenge(cls: type[Unauthorized], challenge: str) -> None:
    assert cls("sign in").headers == {"WWW-Authenticate": challenge}
    assert InvalidCredentials("wrong").headers == {"WWW-Authenticate": "Bearer"}


def test_rate_limited_says_when_to_come_back() -> None:
    assert RateLimited("slow down", retry_after=30).headers == {"Retry-After": "30"}
    assert RateLimited("slow down").headers == {}


def test_manifest_error_lists_each_problem_on_its_line() -> None:
    problems = [Problem("app.toml", "app.name", "is required"), Problem("handlers.py", "", "does not import")]
    error = ManifestError(problems)
    assert error.problems == problems
    assert str(error) == "app.toml: app.name: is required\nhandlers.py: does not import"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, MethodNotAllowed),
        (409, Conflict),
        (412, PreconditionFailed),
        (413, PayloadTooLarge),
        (415, UnsupportedMediaType),
        (422, ValidationFailed),
        (429, RateLimited),
        (500, InternalError),
    ],
)
def test_a_bare_status_becomes_its_class(status: int, cls: type[KilnError]) -> None:
    error = for_status(status, "message", {"Allow": "GET"})
    assert type(error) is cls
    assert (error.status, error.message, error.headers["Allow"]) == (status, "message", "GET")


def test_a_status_outside_the_tree_keeps_its_number_with_code_error() -> None:
    error = for_status(418, "I'm a teapot", {"X-Brew": "tea"})
    assert (type(error), error.status, error.code) == (KilnError, 418, "error")
    assert (error.message, error.headers) == ("I'm a teapot", {"X-Brew": "tea"})
    assert KilnError.status == 500  # the class itself is unchanged


def test_an_http_exception_with_an_empty_detail_still_says_something() -> None:
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    from harness import TestApp, assert_error
    from kiln.http import exception_handlers

    async def refuse(request: object) -> None:
        raise HTTPException(409, detail="")

    app = Starlette(routes=[Route("/", refuse)], exception_handlers=exception_handlers())
    with TestApp(app) as served:
        error = assert_error(served.get("/", headers={"X-Request-Id": "r1"}), 409, "conflict")
    assert error["message"] == "Conflict"
