"""Failures inside handlers, request ids on every kind of response, and in every log line."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.app("todo-app")


def test_sync_handler_failure_is_500_envelope_logged_with_request_id(app: TestApp) -> None:
    response = app.get("/api/fail/sync")
    error = assert_error(response, 500, "internal_error")
    assert "sync handler broke" not in response.text
    failures = [r for r in app.logs if r.exc_info and r.request_id == error["request_id"]]  # type: ignore[attr-defined]
    assert failures
    assert "ValueError: sync handler broke" in app.logs.text


def test_unserializable_handler_result_is_500_without_details(app: TestApp) -> None:
    response = app.get("/api/fail/unserializable")
    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "Internal server error"
    assert "object" not in response.text
    assert "TypeError" in app.logs.text


def test_handler_log_lines_carry_the_request_id(app: TestApp) -> None:
    response = app.get("/api/noisy", headers={"X-Request-Id": "trace-77"})
    assert response.json() == {"logged": True}
    lines = [r for r in app.logs if r.name == "todo.handlers"]
    assert [r.getMessage() for r in lines] == ["noisy handler ran for /api/noisy"]
    assert lines[0].request_id == "trace-77"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/health", {}, 200),
        ("POST", "/api/todos", {"json": {"title": "x"}}, 201),
        ("OPTIONS", "/api/todos", {}, 204),
        ("GET", "/greet/x", {}, 301),
        ("GET", "/nope", {}, 404),
        ("GET", "/api/fail/async", {}, 500),
        ("GET", "/", {}, 200),
    ],
    ids=["200", "201", "204", "301", "404", "500", "html"],
)
def test_every_kind_of_response_carries_a_request_id(
    app: TestApp, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = app.request(method, path, follow_redirects=False, **kwargs)
    assert response.status_code == status
    assert len(response.headers["x-request-id"]) == 32
    assert app.requests[-1].request_id == response.headers["x-request-id"]


def test_not_modified_carries_a_request_id(app: TestApp) -> None:
    app.post("/api/todos", json={"title": "x"})
    tag = app.get("/api/todos/1").headers["etag"]
    response = app.get("/api/todos/1", headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert response.headers["x-request-id"]


def test_account_paths_answer_json_envelope_even_to_browsers(app: TestApp) -> None:
    response = app.get("/auth/me", headers={"Accept": "text/html"})
    assert_error(response, 404, "not_found")
    assert response.headers["content-type"] == "application/json"


def test_debug_traceback_on_html_page_is_escaped(tmp_path: Any, test_app: Any) -> None:
    import shutil
    from pathlib import Path

    folder = tmp_path / "debug"
    shutil.copytree(
        Path(__file__).parents[2] / "fixtures" / "todo-app", folder, ignore=shutil.ignore_patterns(".kiln")
    )
    (folder / "templates" / "broken.html").write_text(
        "{{ params.nothing.deeper() }} <script>alert(1)</script>"
    )
    toml = folder / "app.toml"
    toml.write_text(toml.read_text().replace('name = "todo"', 'name = "todo"\ndebug = true'))
    response = test_app(folder).get("/broken")
    assert response.status_code == 500
    assert "Traceback" in response.text
    # the template's source line is in the traceback, escaped
    assert "{{ params.nothing.deeper() }} &lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script" not in response.text


def test_payload_too_large_names_the_limit(app: TestApp) -> None:
    # the default [app] max_body is "1MB": 1,000,000 bytes
    response = app.post(
        "/api/todos", content=b"{" + b" " * 1_000_000, headers={"content-type": "application/json"}
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["message"] == "the body is larger than 1000000 bytes"
    assert app.db["todos"].count == 0
