"""GET /api/<plural>/{id}: the record, its ETag, 304 on If-None-Match, 404 when missing."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error


def test_read_returns_the_record_as_created(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    for todo in todos:
        response = todo_app.get(f"/api/todos/{todo['id']}")
        assert response.status_code == 200
        assert response.json() == todo


def test_read_etag_is_stable_and_differs_between_records(
    todo_app: TestApp, todos: list[dict[str, Any]]
) -> None:
    first = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    assert todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"] == first
    assert todo_app.get(f"/api/todos/{todos[1]['id']}").headers["etag"] != first


def test_read_if_none_match_answers_304_without_body(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    tag = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    response = todo_app.get(f"/api/todos/{todos[0]['id']}", headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag


@pytest.mark.regression
@pytest.mark.parametrize(
    "header",
    ["W/{tag}", '"other", {tag}', 'W/"other" , W/{tag}', "*"],
    ids=["weak", "in-a-list", "weak-in-a-list", "star"],
)
def test_read_if_none_match_compares_weakly(
    todo_app: TestApp, todos: list[dict[str, Any]], header: str
) -> None:
    """RFC 9110 compares If-None-Match weakly: W/"tag" names the same version; it answered 200."""
    tag = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    response = todo_app.get(f"/api/todos/{todos[0]['id']}", headers={"If-None-Match": header.format(tag=tag)})
    assert (response.status_code, response.content, response.headers["etag"]) == (304, b"", tag)


def test_read_if_none_match_naming_other_versions_answers_200(
    todo_app: TestApp, todos: list[dict[str, Any]]
) -> None:
    response = todo_app.get(f"/api/todos/{todos[0]['id']}", headers={"If-None-Match": 'W/"old", "older"'})
    assert response.status_code == 200
    assert response.json() == todos[0]


def test_read_if_none_match_with_old_tag_answers_200(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    tag = todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]
    todo_app.patch(f"/api/todos/{todos[0]['id']}", json={"title": "changed"})
    response = todo_app.get(f"/api/todos/{todos[0]['id']}", headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert response.json()["title"] == "changed"


def test_read_head_has_headers_but_no_body(todo_app: TestApp, todos: list[dict[str, Any]]) -> None:
    response = todo_app.head(f"/api/todos/{todos[0]['id']}")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["etag"] == todo_app.get(f"/api/todos/{todos[0]['id']}").headers["etag"]


@pytest.mark.parametrize("path", ["/api/todos/987654321", "/api/todos/0", "/api/categories/987654321"])
def test_read_missing_record_is_404(todo_app: TestApp, todos: list[dict[str, Any]], path: str) -> None:
    error = assert_error(todo_app.get(path), 404, "not_found")
    assert error["message"].endswith("not found")


@pytest.mark.parametrize(
    "path", ["/api/todos/abc", "/api/todos/-1", "/api/todos/1.5", "/api/nothing", "/api/todos/1/x"]
)
def test_read_unroutable_path_is_404(todo_app: TestApp, path: str) -> None:
    assert_error(todo_app.get(path), 404, "not_found")
