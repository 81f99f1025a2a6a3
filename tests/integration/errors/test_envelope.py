"""Every error has the envelope and a request id; no traceback leaks; HTML where a browser is served."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

pytestmark = pytest.mark.app("todo-app")
FIXTURE = Path(__file__).parents[2] / "fixtures" / "todo-app"


def test_request_ids_are_unique_per_request(app: TestApp) -> None:
    ids = {app.get("/health").headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20


def test_client_request_id_is_adopted(app: TestApp) -> None:
    response = app.get("/api/todos/987654321", headers={"X-Request-Id": "client-abc.123"})
    assert response.headers["x-request-id"] == "client-abc.123"
    assert assert_error(response, 404, "not_found")["request_id"] == "client-abc.123"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", ""])
def test_malformed_client_request_id_is_replaced(app: TestApp, bad: str) -> None:
    response = app.get("/health", headers={"X-Request-Id": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


def test_500_hides_traceback_and_logs_it_under_the_request_id(app: TestApp) -> None:
    response = app.get("/api/fail/async")
    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "Internal server error"
    assert "hunter2" not in response.text
    logged = [r for r in app.logs if r.exc_info and getattr(r, "request_id", None) == error["request_id"]]
    assert logged, app.logs.text
    assert "RuntimeError: secret database password is hunter2" in app.logs.text


def test_500_in_debug_mode_shows_traceback(tmp_path: Path, test_app: Any) -> None:
    folder = tmp_path / "debug-app"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns(".kiln"))
    toml = folder / "app.toml"
    toml.write_text(toml.read_text().replace('name = "todo"', 'name = "todo"\ndebug = true'))
    response = test_app(folder).get("/api/fail/async")
    error = assert_error(response, 500, "internal_error")
    assert error["message"].startswith("Traceback (most recent call last):\n  File ")
    assert error["message"].endswith("RuntimeError: secret database password is hunter2\n")


def test_page_route_error_is_an_html_page(app: TestApp) -> None:
    response = app.get("/broken")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "500 Internal server error" in response.text
    assert response.headers["x-request-id"] in response.text
    assert "Traceback" not in response.text


def test_browser_404_uses_the_apps_error_page(app: TestApp) -> None:
    response = app.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 404
    assert "<title>Lost</title>" in response.text
    assert "Nothing here (404)" in response.text
    assert f"ref {response.headers['x-request-id']}" in response.text
    assert "<p>asked for /no/such/page</p>" in response.text  # the page sees the request


def test_browser_405_falls_back_to_builtin_html_page(app: TestApp) -> None:
    response = app.post("/", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["allow"] == "GET, HEAD"
    title = "405 POST is not allowed on /"
    assert response.text == (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>Request id: <code>{response.headers['x-request-id']}</code></p>"
        "</body></html>"
    )


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/nothing", "application/json"),
        ("/api", "application/json"),
        ("/auth", "application/json"),
        ("/auth/nothing", "application/json"),
        ("/apifoo", "text/html; charset=utf-8"),  # only /api and /auth themselves, and below them
        ("/authors", "text/html; charset=utf-8"),
    ],
    # ids without the word of the sign-in category, which -k would select
    ids=["below-api", "api", "sign-in-prefix", "below-sign-in", "api-lookalike", "sign-in-lookalike"],
)
def test_browsers_get_pages_outside_the_json_prefixes(app: TestApp, path: str, kind: str) -> None:
    response = app.get(path, headers={"Accept": "text/html"})
    assert (response.status_code, response.headers["content-type"]) == (404, kind)


def test_a_handlers_own_http_exception_keeps_its_status_detail_and_headers(app: TestApp) -> None:
    response = app.get("/api/teapot")
    error = assert_error(response, 418, "error")
    assert error["message"] == "short and stout"
    assert response.headers["x-brew"] == "tea"


def test_api_errors_stay_json_for_browsers(app: TestApp) -> None:
    response = app.get("/api/todos/987654321", headers={"Accept": "text/html"})
    assert_error(response, 404, "not_found")


def test_failed_write_leaves_database_unchanged(app: TestApp, stored: Any, count: Any) -> None:
    taken = unique_id("first").lower()
    first = app.post("/api/todos", json={"title": "first", "slug": taken}).json()
    second = app.post("/api/todos", json={"title": "second", "slug": unique_id("second").lower()}).json()
    before = [stored(app, "todos", first["id"]), stored(app, "todos", second["id"])]
    new = unique_id("new")
    for body, status in (
        ({"title": None}, 422),
        ({"title": new, "slug": taken}, 409),
        ({"priority": 99}, 422),
    ):
        assert app.post("/api/todos", json={"title": new, **body}).status_code == status
        assert app.patch(f"/api/todos/{second['id']}", json=body).status_code == status
        assert app.put(f"/api/todos/{second['id']}", json={"title": new, **body}).status_code == status
    assert [stored(app, "todos", first["id"]), stored(app, "todos", second["id"])] == before
    assert count(app, "todos", title=new) == 0
