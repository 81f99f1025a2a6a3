"""PATCH changes the fields given, PUT replaces the record; If-Match guards both; failures change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error

NOW = "2030-01-01T00:00:00.000Z"  # where the entity fixture (conftest.py) freezes the clock


def test_patch_changes_only_given_fields(app: TestApp, todos: list[dict[str, Any]]) -> None:
    response = app.patch("/api/todos/1", json={"done": True, "priority": 4})
    assert response.status_code == 200
    expected = {**todos[0], "done": True, "priority": 4}
    assert response.json() == expected
    assert app.get("/api/todos/1").json() == expected
    row = app.db["todos"].get(1)
    assert (row["done"], row["priority"], row["title"], row["slug"]) == (1, 4, "Buy milk", "milk")


def test_patch_moves_updated_at_with_the_clock_and_keeps_created_at(
    app: TestApp, todos: list[dict[str, Any]]
) -> None:
    app.clock.advance(hours=2)
    record = app.patch("/api/todos/1", json={"title": "Buy oat milk"}).json()
    assert record["created_at"] == NOW
    assert record["updated_at"] == "2030-01-01T02:00:00.000Z"
    assert app.db["todos"].get(1)["updated_at"] == "2030-01-01T02:00:00.000Z"


def test_patch_can_clear_an_optional_field_with_null(app: TestApp, todos: list[dict[str, Any]]) -> None:
    assert app.patch("/api/todos/1", json={"due": None}).json()["due"] is None
    assert app.db["todos"].get(1)["due"] is None


def test_patch_empty_object_changes_nothing(app: TestApp, todos: list[dict[str, Any]]) -> None:
    app.clock.advance(hours=1)
    response = app.patch("/api/todos/1", json={})
    assert response.json() == todos[0]
    assert response.headers["etag"] == app.get("/api/todos/1").headers["etag"]


def test_put_replaces_whole_record_with_defaults_and_nulls(app: TestApp, todos: list[dict[str, Any]]) -> None:
    response = app.put("/api/todos/1", json={"title": "Fresh"})
    assert response.status_code == 200
    record = response.json()
    assert record["title"] == "Fresh"
    assert (record["priority"], record["status"], record["done"]) == (3, "open", False)  # defaults again
    assert (record["estimate"], record["due"], record["slug"]) == (None, None, None)  # cleared
    assert record["id"] == 1
    assert record["created_at"] == todos[0]["created_at"]
    assert app.db["todos"].get(1)["slug"] is None


def test_put_accepts_a_record_read_back_with_read_only_fields(
    app: TestApp, todos: list[dict[str, Any]]
) -> None:
    record = app.get("/api/todos/2").json()
    record["title"] = "Write the report"
    response = app.put("/api/todos/2", json=record)
    assert response.status_code == 200
    assert response.json() == record


def test_put_without_required_field_is_422_and_changes_nothing(
    app: TestApp, todos: list[dict[str, Any]]
) -> None:
    assert_error(
        app.put("/api/todos/1", json={"done": True}), 422, "validation_failed", {"title": "is required"}
    )
    assert app.get("/api/todos/1").json() == todos[0]


def test_patch_invalid_is_422_and_changes_nothing(app: TestApp, todos: list[dict[str, Any]]) -> None:
    fields = {"priority": "must be at most 5", "title": "is required"}
    assert_error(
        app.patch("/api/todos/1", json={"priority": 7, "title": None}), 422, "validation_failed", fields
    )
    assert app.get("/api/todos/1").json() == todos[0]
    assert app.db["todos"].get(1)["priority"] == 2


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_with_current_if_match_succeeds(
    app: TestApp, todos: list[dict[str, Any]], method: str
) -> None:
    tag = app.get("/api/todos/1").headers["etag"]
    response = app.request(method, "/api/todos/1", json={"title": "ok"}, headers={"If-Match": tag})
    assert response.status_code == 200
    assert response.headers["etag"] != tag
    assert app.db["todos"].get(1)["title"] == "ok"


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_with_stale_if_match_is_412_and_changes_nothing(
    app: TestApp, todos: list[dict[str, Any]], method: str
) -> None:
    stale = app.get("/api/todos/1").headers["etag"]
    app.patch("/api/todos/1", json={"title": "someone else"})
    current = app.get("/api/todos/1").headers["etag"]
    response = app.request(method, "/api/todos/1", json={"title": "mine"}, headers={"If-Match": stale})
    assert_error(response, 412, "precondition_failed")
    assert response.headers["etag"] == current
    assert app.db["todos"].get(1)["title"] == "someone else"


def test_update_if_match_star_and_lists(app: TestApp, todos: list[dict[str, Any]]) -> None:
    tag = app.get("/api/todos/1").headers["etag"]
    assert app.patch("/api/todos/1", json={"done": True}, headers={"If-Match": "*"}).status_code == 200
    new_tag = app.get("/api/todos/1").headers["etag"]
    both = f"{tag}, {new_tag}"
    assert app.patch("/api/todos/1", json={"done": False}, headers={"If-Match": both}).status_code == 200
    assert_error(
        app.patch("/api/todos/1", json={"done": True}, headers={"If-Match": f"W/{tag}"}),
        412,
        "precondition_failed",
    )


def test_update_unique_violation_is_409_and_changes_nothing(
    app: TestApp, todos: list[dict[str, Any]]
) -> None:
    fields = {"slug": "is already taken"}
    assert_error(app.patch("/api/todos/2", json={"slug": "milk"}), 409, "unique_violation", fields)
    assert app.db["todos"].get(2)["slug"] is None


def test_create_unique_violation_is_409_and_stores_nothing(app: TestApp, todos: list[dict[str, Any]]) -> None:
    error = assert_error(app.post("/api/todos", json={"title": "x", "slug": "milk"}), 409, "unique_violation")
    assert error["fields"] == {"slug": "is already taken"}
    assert error["message"] == "another Todo already has this slug"
    assert app.db["todos"].count == 5


def test_unique_allows_many_nulls(app: TestApp, todos: list[dict[str, Any]]) -> None:
    assert app.db["todos"].count_where("slug IS NULL") == 4
    assert app.post("/api/todos", json={"title": "x"}).status_code == 201


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_missing_record_is_404(app: TestApp, method: str) -> None:
    assert_error(app.request(method, "/api/todos/7", json={"title": "x"}), 404, "not_found")
    assert app.db["todos"].count == 0
