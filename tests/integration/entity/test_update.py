"""PATCH changes the fields given, PUT replaces the record; If-Match guards both; failures change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

NOW = "2030-01-01T00:00:00.000Z"  # where the frozen fixture (conftest.py) freezes the clock


def _moved(record: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """``record`` without ``updated_at``, after checking that it did not go back in time."""
    assert record["updated_at"] >= before["updated_at"]
    return {key: value for key, value in record.items() if key != "updated_at"}


def test_patch_changes_only_given_fields(todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]) -> None:
    response = todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"done": True, "priority": 4})
    assert response.status_code == 200
    expected = _moved({**todos[0], "done": True, "priority": 4}, todos[0])
    assert _moved(response.json(), todos[0]) == expected
    assert todo_app.get(f"/api/todos/{todos[0]['id']}").json() == response.json()
    row = stored(todo_app, "todos", todos[0]["id"])
    assert (row["done"], row["priority"], row["title"], row["slug"]) == (1, 4, "Buy milk", todos[0]["slug"])


def test_patch_moves_updated_at_with_the_clock_and_keeps_created_at(
    frozen: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    todo_app = frozen
    todo_app.clock.advance(hours=2)
    record = todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"title": "Buy oat milk"}).json()
    assert record["created_at"] == NOW
    assert record["updated_at"] == "2030-01-01T02:00:00.000Z"
    assert stored(todo_app, "todos", todos[0]["id"])["updated_at"] == "2030-01-01T02:00:00.000Z"


def test_patch_can_clear_an_optional_field_with_null(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    assert todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"due": None}).json()["due"] is None
    assert stored(todo_app, "todos", todos[0]["id"])["due"] is None


def test_patch_empty_object_changes_nothing(frozen: TestApp, todos: list[dict[str, Any]]) -> None:
    todo_app = frozen
    todo_app.clock.advance(hours=1)  # an empty patch must not move updated_at
    response = todo_app.patch(f"/api/todos/{todos[0]['id']}", json={})
    assert response.json() == todos[0]
    assert response.headers["etag"] == todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]


def test_put_replaces_whole_record_with_defaults_and_nulls(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    response = todo_app.put(f"/api/todos/{todos[0]['id']}", json={"title": "Fresh"})
    assert response.status_code == 200
    record = response.json()
    assert record["title"] == "Fresh"
    assert (record["priority"], record["status"], record["done"]) == (3, "open", False)  # defaults again
    assert (record["estimate"], record["due"], record["slug"]) == (None, None, None)  # cleared
    assert record["id"] == todos[0]["id"]
    assert record["created_at"] == todos[0]["created_at"]
    assert stored(todo_app, "todos", todos[0]["id"])["slug"] is None


def test_put_accepts_a_record_read_back_with_read_only_fields(
    todo_app: TestApp, todos: list[dict[str, Any]]
) -> None:
    record = todo_app.get(f"/api/todos/{todos[1]['id']}").json()
    record["title"] = "Write the report"
    response = todo_app.put(f"/api/todos/{todos[1]['id']}", json=record)
    assert response.status_code == 200
    assert _moved(response.json(), record) == _moved(record, record)


def test_put_without_required_field_is_422_and_changes_nothing(
    todo_app: TestApp, todos: list[dict[str, Any]]
) -> None:
    assert_error(
        todo_app.put(f"/api/todos/{todos[0]['id']}", json={"done": True}),
        422,
        "validation_failed",
        {"title": "is required"},
    )
    assert todo_app.get(f"/api/todos/{todos[0]['id']}").json() == todos[0]


def test_patch_invalid_is_422_and_changes_nothing(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    fields = {"priority": "must be at most 5", "title": "is required"}
    assert_error(
        todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"priority": 7, "title": None}),
        422,
        "validation_failed",
        fields,
    )
    assert todo_app.get(f"/api/todos/{todos[0]['id']}").json() == todos[0]
    assert stored(todo_app, "todos", todos[0]["id"])["priority"] == 2


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_with_current_if_match_succeeds(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]], method: str
) -> None:
    tag = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    response = todo_app.request(
        method, f"/api/todos/{todos[0]['id']}", json={"title": "ok"}, headers={"If-Match": tag}
    )
    assert response.status_code == 200
    assert response.headers["etag"] != tag
    assert stored(todo_app, "todos", todos[0]["id"])["title"] == "ok"


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_with_stale_if_match_is_412_and_changes_nothing(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]], method: str
) -> None:
    stale = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"title": "someone else"})
    current = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    response = todo_app.request(
        method, f"/api/todos/{todos[0]['id']}", json={"title": "mine"}, headers={"If-Match": stale}
    )
    assert_error(response, 412, "precondition_failed")
    assert response.headers["etag"] == current
    assert stored(todo_app, "todos", todos[0]["id"])["title"] == "someone else"


def test_update_if_match_star_and_lists(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    tag = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    assert (
        todo_app.patch(
            f"/api/todos/{todos[0]['id']}", json={"done": True}, headers={"If-Match": "*"}
        ).status_code
        == 200
    )
    new_tag = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    both = f"{tag}, {new_tag}"
    assert (
        todo_app.patch(
            f"/api/todos/{todos[0]['id']}", json={"done": False}, headers={"If-Match": both}
        ).status_code
        == 200
    )
    assert_error(
        todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"done": True}, headers={"If-Match": f"W/{tag}"}),
        412,
        "precondition_failed",
    )


def test_update_unique_violation_is_409_and_changes_nothing(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    fields = {"slug": "is already taken"}
    taken = todos[0]["slug"]
    assert_error(
        todo_app.patch(f"/api/todos/{todos[1]['id']}", json={"slug": taken}), 409, "unique_violation", fields
    )
    assert stored(todo_app, "todos", todos[1]["id"])["slug"] is None


def test_create_unique_violation_is_409_and_stores_nothing(
    todo_app: TestApp, count: Any, todos: list[dict[str, Any]]
) -> None:
    title = unique_id("dup")
    body = {"title": title, "slug": todos[0]["slug"]}
    error = assert_error(todo_app.post("/api/todos", json=body), 409, "unique_violation")
    assert error["fields"] == {"slug": "is already taken"}
    assert error["message"] == "another Todo already has this slug"
    assert count(todo_app, "todos", title=title) == 0
    assert count(todo_app, "todos", slug=todos[0]["slug"]) == 1


def test_unique_allows_many_nulls(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    scope = ",".join(str(todo["id"]) for todo in todos)
    assert todo_app.get(f"/api/todos?id__in={scope}&slug__isnull=true").json()["total"] == 4
    made = todo_app.post("/api/todos", json={"title": "x"})
    assert made.status_code == 201
    assert made.json()["slug"] is None


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_missing_record_is_404(todo_app: TestApp, count: Any, method: str) -> None:
    title = unique_id("ghost")
    assert_error(todo_app.request(method, "/api/todos/987654321", json={"title": title}), 404, "not_found")
    assert count(todo_app, "todos", title=title) == 0
