"""Bodies that are not JSON, too large, empty or malformed get clear errors and change nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from harness import Scenario, TestApp, run, unique_id

JSON = {"content-type": "application/json"}

SCENARIOS = [
    Scenario(
        "text-plain",
        "POST",
        "/api/todos",
        content=b"title=a",
        headers={"content-type": "text/plain"},
        status=415,
        error="unsupported_media_type",
    ),
    Scenario(
        "form-encoded",
        "POST",
        "/api/todos",
        content=b"title=a",
        headers={"content-type": "application/x-www-form-urlencoded"},
        status=415,
        error="unsupported_media_type",
    ),
    Scenario(
        "no-content-type",
        "POST",
        "/api/todos",
        content=b'{"title": "a"}',
        status=415,
        error="unsupported_media_type",
    ),
    Scenario(
        "malformed-json",
        "POST",
        "/api/todos",
        content=b'{"title": ',
        headers=JSON,
        status=400,
        error="bad_request",
    ),
    Scenario(
        "trailing-garbage",
        "POST",
        "/api/todos",
        content=b'{"title": "a"} x',
        headers=JSON,
        status=400,
        error="bad_request",
    ),
    Scenario(
        "nan-literal",
        "POST",
        "/api/todos",
        content=b'{"title": "a", "estimate": NaN}',
        headers=JSON,
        status=400,
        error="bad_request",
    ),
    Scenario(
        "infinity-literal",
        "POST",
        "/api/todos",
        content=b'{"title": "a", "estimate": Infinity}',
        headers=JSON,
        status=400,
        error="bad_request",
    ),
    Scenario("empty-body", "POST", "/api/todos", content=b"", headers=JSON, status=400, error="bad_request"),
    Scenario(
        "whitespace-body",
        "POST",
        "/api/todos",
        content=b"  \n",
        headers=JSON,
        status=400,
        error="bad_request",
    ),
    Scenario(
        "invalid-utf8",
        "POST",
        "/api/todos",
        content=b'{"title": "\xff"}',
        headers=JSON,
        status=400,
        error="bad_request",
    ),
    Scenario(
        "patch-text-plain",
        "PATCH",
        "/api/todos/1",
        content=b"x",
        headers={"content-type": "text/plain"},
        status=415,
        error="unsupported_media_type",
    ),
    Scenario(
        "put-malformed", "PUT", "/api/todos/1", content=b"[", headers=JSON, status=400, error="bad_request"
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_bad_body_answers_error_and_changes_nothing(
    todo_app: TestApp, count: Any, scenario: Scenario
) -> None:
    keep = todo_app.post("/api/todos", json={"title": unique_id("keep me")}).json()
    marker = unique_id("bad-body")  # the title the scenario's body would store, if it stored one
    content = (scenario.content or b"").replace(b'"title": "a"', f'"title": "{marker}"'.encode())
    path = scenario.path.replace("/api/todos/1", f"/api/todos/{keep['id']}")
    run(todo_app, dataclasses.replace(scenario, path=path, content=content))
    assert todo_app.get(f"/api/todos/{keep['id']}").json() == keep
    assert count(todo_app, "todos", title=marker) == 0


@pytest.mark.local_only("an oversized body carries no marker that was read, so it counts the whole table")
def test_oversized_body_is_413(todo_app: TestApp) -> None:
    big = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    response = todo_app.post("/api/todos", content=big, headers=JSON)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert todo_app.db["todos"].count == 0


@pytest.mark.local_only("an oversized body carries no marker that was read, so it counts the whole table")
def test_oversized_chunked_body_is_413(todo_app: TestApp) -> None:
    def chunks():  # no Content-Length: the size is checked while reading
        yield b'{"title": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = todo_app.post("/api/todos", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert todo_app.db["todos"].count == 0


def test_json_subtype_content_type_is_accepted(todo_app: TestApp, count: Any) -> None:
    title = unique_id("merge-patch")
    response = todo_app.post(
        "/api/todos",
        content=f'{{"title": "{title}"}}'.encode(),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert response.status_code == 201
    assert count(todo_app, "todos", title=title) == 1
