"""Bodies that are not JSON, too large, empty or malformed get clear errors and change nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from harness import Scenario, TestApp, assert_error, run, unique_id

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


def _titled(todo_app: TestApp, marker: str) -> int:
    """How many todos have a title containing ``marker``, which only this test's body holds.

    The bodies are valid apart from their size (a title, and a megabyte of text in the json
    field ``tags``, which has no length limit), so a server that read them whole would store a
    todo titled ``marker``.
    """
    return int(todo_app.get("/api/todos", params={"title__contains": marker}).json()["total"])


def test_oversized_body_is_413(todo_app: TestApp) -> None:
    marker = unique_id("oversized")
    big = f'{{"title": "{marker}", "tags": "'.encode() + b"x" * (1024 * 1024) + b'"}'
    response = todo_app.post("/api/todos", content=big, headers=JSON)
    assert_error(response, 413, "payload_too_large")
    assert _titled(todo_app, marker) == 0


def test_oversized_chunked_body_is_413(todo_app: TestApp) -> None:
    marker = unique_id("chunked")

    def chunks():  # no Content-Length: the size is checked while reading
        yield f'{{"title": "{marker}", "tags": "'.encode()
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = todo_app.post("/api/todos", content=chunks(), headers=JSON)
    assert_error(response, 413, "payload_too_large")
    assert _titled(todo_app, marker) == 0


def test_json_subtype_content_type_is_accepted(todo_app: TestApp, count: Any) -> None:
    title = unique_id("merge-patch")
    response = todo_app.post(
        "/api/todos",
        content=f'{{"title": "{title}"}}'.encode(),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert response.status_code == 201
    assert count(todo_app, "todos", title=title) == 1
