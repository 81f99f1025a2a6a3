"""Bugs found by schemathesis against todo-app's OpenAPI document, each pinned here."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

pytestmark = pytest.mark.regression


def test_datetime_before_year_1000_keeps_fixed_width(todo_app: TestApp) -> None:
    """strftime("%Y") wrote year 746 as "746", breaking the fixed width and the date-time format."""
    record = todo_app.post("/api/todos", json={"title": "old", "remind_at": "0746-11-27T03:12:44Z"}).json()
    assert record["remind_at"] == "0746-11-27T03:12:44.000Z"
    later = todo_app.post("/api/todos", json={"title": "new", "remind_at": "2030-01-01T00:00:00Z"}).json()
    scope = f"id__in={later['id']},{record['id']}"
    assert [t["title"] for t in todo_app.get(f"/api/todos?{scope}&sort=remind_at").json()["items"]] == [
        "old",
        "new",
    ]
    assert later["remind_at"] > record["remind_at"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_record_id_beyond_64_bits_is_404_not_500(todo_app: TestApp, method: str) -> None:
    """The path's int convertor has no bound, and SQLite raised OverflowError for such an id."""
    kwargs: dict[str, Any] = {} if method in ("GET", "DELETE") else {"json": {"title": "x"}}
    assert_error(
        todo_app.request(method, "/api/todos/38883015971026095049994665984", **kwargs), 404, "not_found"
    )


@pytest.mark.parametrize("header", ["", "abc", '"unterminated', "W/"])
def test_malformed_if_match_is_400_and_changes_nothing(
    todo_app: TestApp, todos: list[dict[str, Any]], header: str
) -> None:
    """An empty If-Match answered 412 as if it were a stale tag; it is a malformed request."""
    error = assert_error(
        todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"title": "x"}, headers={"If-Match": header}),
        400,
        "bad_request",
    )
    assert "If-Match" in error["message"]
    assert_error(
        todo_app.delete(f"/api/todos/{todos[0]['id']}", headers={"If-Match": header}), 400, "bad_request"
    )
    assert todo_app.get(f"/api/todos/{todos[0]['id']}").json() == todos[0]


def test_empty_in_list_matches_nothing(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    """`id__in=` was a 400: an empty list is valid and nothing is in it."""
    assert todo_app.get("/api/todos?id__in=").json() == {"items": [], "page": 1, "per_page": 20, "total": 0}
    assert todo_app.get("/api/todos?status__in=").json()["total"] == 0
    assert todo_app.get(f"/api/todos?id__in={todos[0]['id']}").json()["total"] == 1  # a positive control


@pytest.mark.parametrize(("value", "expected"), [(1.0, 1), (5.0, 5), (3, 3)])
def test_integral_float_is_an_integer(todo_app: TestApp, stored: Any, value: float, expected: int) -> None:
    """JSON Schema counts 1.0 as an integer, and the OpenAPI document says `integer`."""
    record = todo_app.post("/api/todos", json={"title": "x", "priority": value}).json()
    assert record["priority"] == expected
    assert type(record["priority"]) is int
    row = stored(todo_app, "todos", record["id"])
    assert row["priority"] == expected
    assert type(row["priority"]) is int


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_float_filter_is_400(todo_app: TestApp, value: str) -> None:
    assert_error(todo_app.get(f"/api/todos?estimate__gt={value}"), 400, "bad_request")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "a\\udbb8b"])
def test_lone_surrogate_in_body_is_400_not_500(todo_app: TestApp, escape: str) -> None:
    """ "\\ud800" parses into a string that cannot be encoded, so storing it raised."""
    title = unique_id("surrogate")
    body = f'{{"title": "{title}{escape}"}}'.encode()
    response = todo_app.post("/api/todos", content=body, headers={"content-type": "application/json"})
    assert_error(response, 400, "bad_request")
    assert todo_app.get("/api/todos", params={"title__contains": title}).json()["total"] == 0


@pytest.mark.local_only("a request with no body names nothing to look for, so it counts the whole table")
def test_handler_given_no_body_answers_400(todo_app: TestApp) -> None:
    """todo-app's quick_todo handler raised on an empty body; a handler should answer for bad input."""
    response = todo_app.post("/api/quick-todo")
    assert response.status_code == 400
    assert todo_app.db["todos"].count == 0


@pytest.mark.parametrize(
    "link", ["http://a]b", "http://[::1", "http://\u2100a.com", "http://exa\uff03mple.com"]
)
def test_url_that_urlsplit_rejects_is_422_not_500(todo_app: TestApp, count: Any, link: str) -> None:
    """Found by schemathesis: urlsplit raises ValueError for a stray "]" or an NFKC-unsafe host."""
    title = unique_id("bad-link")
    response = todo_app.post("/api/todos", json={"title": title, "link": link})
    assert_error(response, 422, "validation_failed", {"link": "must be an http or https URL"})
    assert count(todo_app, "todos", title=title) == 0


def test_datetime_that_would_fall_before_year_one_in_utc_is_422_not_500(
    todo_app: TestApp, count: Any
) -> None:
    """0001-01-01T00:00:00+01:00 is before the first UTC instant; converting it raised OverflowError."""
    marker = unique_id("year-one")
    body = {"title": "early", "remind_at": "0001-01-01T00:00:00+01:00", "notes": marker}
    assert_error(
        todo_app.post("/api/todos", json=body),
        422,
        "validation_failed",
        {"remind_at": "is out of range: it must be from year 1 to 9999 in UTC"},
    )
    assert count(todo_app, "todos", notes=marker) == 0


@pytest.mark.parametrize("address", ["a..b@example.com", "ann@-example.com", ".ann@example.com"])
def test_email_with_invalid_syntax_is_422(todo_app: TestApp, count: Any, address: str) -> None:
    """A hand-written regex accepted these; email-validator reads the address by RFC 5322."""
    marker = unique_id("email")
    body = {"title": "mail", "contact": address, "notes": marker}
    assert_error(
        todo_app.post("/api/todos", json=body),
        422,
        "validation_failed",
        {"contact": "must be an email address"},
    )
    assert count(todo_app, "todos", notes=marker) == 0
