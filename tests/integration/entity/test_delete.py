"""DELETE answers what was deleted; the record is gone; ids are never reused."""

from __future__ import annotations

from typing import Any

from harness import TestApp, assert_error


def test_delete_answers_contract_body_and_removes_row(app: TestApp, todos: list[dict[str, Any]]) -> None:
    response = app.delete("/api/todos/3")
    assert response.status_code == 200
    assert response.json() == {"deleted": {"entity": "Todo", "id": 3, "cascaded": {}, "nulled": {}}}
    assert [row["id"] for row in app.db["todos"].rows] == [1, 2, 4, 5]
    assert_error(app.get("/api/todos/3"), 404, "not_found")


def test_delete_twice_is_404_the_second_time(app: TestApp, todos: list[dict[str, Any]]) -> None:
    assert app.delete("/api/todos/1").status_code == 200
    assert_error(app.delete("/api/todos/1"), 404, "not_found")
    assert app.db["todos"].count == 4


def test_deleted_ids_are_never_reused(app: TestApp, todos: list[dict[str, Any]]) -> None:
    app.delete("/api/todos/5")
    assert app.post("/api/todos", json={"title": "new"}).json()["id"] == 6


def test_delete_with_stale_if_match_is_412_and_keeps_record(
    app: TestApp, todos: list[dict[str, Any]]
) -> None:
    stale = app.get("/api/todos/1").headers["etag"]
    app.patch("/api/todos/1", json={"done": True})
    assert_error(app.delete("/api/todos/1", headers={"If-Match": stale}), 412, "precondition_failed")
    assert app.db["todos"].count == 5
    current = app.get("/api/todos/1").headers["etag"]
    assert app.delete("/api/todos/1", headers={"If-Match": current}).status_code == 200


def test_delete_removes_record_from_list_and_total(app: TestApp, todos: list[dict[str, Any]]) -> None:
    app.delete("/api/todos/2")
    body = app.get("/api/todos").json()
    assert body["total"] == 4
    assert "Write report" not in [item["title"] for item in body["items"]]
