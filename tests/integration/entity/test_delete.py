"""DELETE answers what was deleted; the record is gone; ids are never reused."""

from __future__ import annotations

from typing import Any

from harness import TestApp, assert_error


def _ids(todo_app: TestApp, todos: list[dict[str, Any]]) -> list[int]:
    """The ids of ``todos`` that the list still has."""
    scope = ",".join(str(todo["id"]) for todo in todos)
    return [item["id"] for item in todo_app.get(f"/api/todos?id__in={scope}").json()["items"]]


def test_delete_answers_contract_body_and_removes_row(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    gone = todos[2]["id"]
    response = todo_app.delete(f"/api/todos/{gone}")
    assert response.status_code == 200
    assert response.json() == {"deleted": {"entity": "Todo", "id": gone, "cascaded": {}, "nulled": {}}}
    assert stored(todo_app, "todos", gone) is None
    assert _ids(todo_app, todos) == [todos[n]["id"] for n in (0, 1, 3, 4)]
    assert_error(todo_app.get(f"/api/todos/{gone}"), 404, "not_found")


def test_delete_twice_is_404_the_second_time(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    assert todo_app.delete(f"/api/todos/{todos[0]['id']}").status_code == 200
    assert_error(todo_app.delete(f"/api/todos/{todos[0]['id']}"), 404, "not_found")
    assert _ids(todo_app, todos) == [todo["id"] for todo in todos[1:]]


def test_deleted_ids_are_never_reused(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    last = todos[4]["id"]
    todo_app.delete(f"/api/todos/{last}")
    assert todo_app.post("/api/todos", json={"title": "new"}).json()["id"] > last


def test_delete_with_stale_if_match_is_412_and_keeps_record(
    todo_app: TestApp, todos: list[dict[str, Any]]
) -> None:
    stale = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"done": True})
    assert_error(
        todo_app.delete(f"/api/todos/{todos[0]['id']}", headers={"If-Match": stale}),
        412,
        "precondition_failed",
    )
    assert _ids(todo_app, todos) == [todo["id"] for todo in todos]
    current = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    assert todo_app.delete(f"/api/todos/{todos[0]['id']}", headers={"If-Match": current}).status_code == 200


def test_delete_removes_record_from_list_and_total(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    todo_app.delete(f"/api/todos/{todos[1]['id']}")
    scope = ",".join(str(todo["id"]) for todo in todos)
    body = todo_app.get(f"/api/todos?id__in={scope}").json()
    assert body["total"] == 4
    assert "Write report" not in [item["title"] for item in body["items"]]
