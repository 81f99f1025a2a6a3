"""Declared routes dispatch by path, typed parameters and method, deterministically."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from harness import TestApp, assert_error, assert_subset

pytestmark = pytest.mark.app("todo-app")

# (id, method, path, expected JSON from handlers:echo)
DISPATCH: list[tuple[str, str, str, dict[str, Any]]] = [
    ("int-param", "GET", "/api/echo/5", {"params": {"n": ["int", "5"]}}),
    ("int-param-zero", "GET", "/api/echo/0", {"params": {"n": ["int", "0"]}}),
    ("int-param-large", "GET", "/api/echo/12345678901234", {"params": {"n": ["int", "12345678901234"]}}),
    ("int-param-post", "POST", "/api/echo/3", {"method": "POST", "params": {"n": ["int", "3"]}}),
    ("int-param-patch", "PATCH", "/api/echo/3", {"method": "PATCH"}),
    ("query-passed", "GET", "/api/echo/1?a=1&b=two", {"query": {"a": "1", "b": "two"}}),
    ("query-encoded", "GET", "/api/echo/1?q=a%20b%26c", {"query": {"q": "a b&c"}}),
    ("float-param", "GET", "/api/echo/2.5/float", {"params": {"x": ["float", "2.5"]}}),
    ("float-param-integral", "GET", "/api/echo/3/float", {"params": {"x": ["float", "3.0"]}}),
    (
        "uuid-param",
        "GET",
        "/api/uuid/12345678-1234-5678-1234-567812345678",
        {"params": {"u": ["UUID", "12345678-1234-5678-1234-567812345678"]}},
    ),
    ("path-param-one-segment", "GET", "/files/readme.txt", {"params": {"rest": ["str", "readme.txt"]}}),
    ("path-param-many-segments", "GET", "/files/a/b/c.txt", {"params": {"rest": ["str", "a/b/c.txt"]}}),
    ("path-param-encoded", "GET", "/files/my%20file.txt", {"params": {"rest": ["str", "my file.txt"]}}),
    ("path-param-may-be-empty", "GET", "/files/", {"params": {"rest": ["str", ""]}}),
    ("static-beats-int-beats-str-int", "GET", "/posts/7", {"params": {"id": ["int", "7"]}}),
    (
        "static-beats-int-beats-str-slug",
        "GET",
        "/posts/hello-world",
        {"params": {"slug": ["str", "hello-world"]}},
    ),
    ("str-param-unicode", "GET", "/posts/caf%C3%A9", {"params": {"slug": ["str", "café"]}}),
    (
        "nested-get",
        "GET",
        "/projects/3/todos/9",
        {"method": "GET", "params": {"project": ["int", "3"], "todo": ["int", "9"]}},
    ),
    ("nested-put", "PUT", "/projects/3/todos/9", {"method": "PUT"}),
    ("nested-delete", "DELETE", "/projects/3/todos/9", {"method": "DELETE"}),
]


@pytest.mark.parametrize(
    ("method", "path", "expected"), [row[1:] for row in DISPATCH], ids=[row[0] for row in DISPATCH]
)
def test_dispatch_reaches_handler_with_typed_params(
    app: TestApp, method: str, path: str, expected: dict[str, Any]
) -> None:
    response = app.request(method, path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert_subset(response.json(), expected)
    assert app.requests[-1].path.split("?")[0] == unquote(path.split("?")[0])


def test_static_route_beats_parameter_routes(app: TestApp) -> None:
    response = app.get("/posts/new")
    assert response.status_code == 200
    assert "<h1>New post</h1>" in response.text


# (id, method, path): no route matches
NOT_FOUND = [
    ("unknown-path", "GET", "/nope"),
    ("int-param-not-int", "GET", "/api/echo/abc"),
    ("int-param-negative", "GET", "/api/echo/-1"),
    ("float-param-not-number", "GET", "/api/echo/abc/float"),
    ("uuid-param-not-uuid", "GET", "/api/uuid/not-a-uuid"),
    ("nested-wrong-type", "GET", "/projects/x/todos/1"),
    ("nested-too-short", "GET", "/projects/1/todos"),
    ("nested-too-long", "GET", "/projects/1/todos/2/extra"),
    ("trailing-segment", "GET", "/hello/ann/extra"),
    ("case-sensitive", "GET", "/API/stats"),
]


@pytest.mark.parametrize(
    ("method", "path"), [row[1:] for row in NOT_FOUND], ids=[row[0] for row in NOT_FOUND]
)
def test_unmatched_path_is_404(app: TestApp, method: str, path: str) -> None:
    error = assert_error(app.request(method, path), 404, "not_found")
    assert error["message"] == f"nothing at {path}"


# (id, method, path, expected Allow)
WRONG_METHOD = [
    ("post-on-get-handler", "POST", "/api/stats", "GET, HEAD"),
    ("delete-on-page", "DELETE", "/", "GET, HEAD"),
    ("put-on-multi-method", "PUT", "/api/echo/1", "GET, HEAD, PATCH, POST"),
    ("get-on-post-only", "GET", "/api/quick-todo", "POST"),
    ("post-on-nested", "POST", "/projects/1/todos/2", "DELETE, GET, HEAD, PUT"),
    ("patch-on-redirect", "PATCH", "/home", "GET, HEAD"),
    ("delete-on-collection", "DELETE", "/api/todos", "GET, HEAD, POST"),
    ("post-on-item", "POST", "/api/todos/1", "DELETE, GET, HEAD, PATCH, PUT"),
    ("post-on-health", "POST", "/health", "GET, HEAD"),
]


@pytest.mark.parametrize(
    ("method", "path", "allow"), [row[1:] for row in WRONG_METHOD], ids=[row[0] for row in WRONG_METHOD]
)
def test_wrong_method_is_405_with_allow(app: TestApp, method: str, path: str, allow: str) -> None:
    response = app.request(method, path)
    error = assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow
    assert method in error["message"]


# (id, path, expected Allow)
OPTIONS = [
    ("page", "/", "GET, HEAD, OPTIONS"),
    ("handler-multi", "/api/echo/1", "GET, HEAD, OPTIONS, PATCH, POST"),
    ("nested", "/projects/1/todos/2", "DELETE, GET, HEAD, OPTIONS, PUT"),
    ("redirect", "/home", "GET, HEAD, OPTIONS"),
    ("collection", "/api/todos", "GET, HEAD, OPTIONS, POST"),
    ("item", "/api/todos/1", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
    ("health", "/health", "GET, HEAD, OPTIONS"),
    ("wildcard", "/files/x/y", "GET, HEAD, OPTIONS"),
    ("two-routes-one-path", "/contact", "GET, HEAD, OPTIONS, POST"),
]


@pytest.mark.parametrize(("path", "allow"), [row[1:] for row in OPTIONS], ids=[row[0] for row in OPTIONS])
def test_options_answers_204_with_allow(app: TestApp, path: str, allow: str) -> None:
    response = app.options(path)
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["allow"] == allow
    assert response.headers["x-request-id"]


def test_options_on_unknown_path_is_404(app: TestApp) -> None:
    assert_error(app.options("/nope"), 404, "not_found")


@pytest.mark.parametrize(
    "path", ["/", "/api/stats", "/hello/x", "/health", "/openapi.json", "/api/todos", "/api/todos?per_page=5"]
)
def test_head_matches_get_headers_without_body(app: TestApp, path: str) -> None:
    get, head = app.get(path), app.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_dispatch_does_not_depend_on_declaration_order(tmp_path: Path, test_app: Any) -> None:
    """The same routes declared in the opposite order dispatch the same way."""
    folder = tmp_path / "reversed"
    folder.mkdir()
    (folder / "handlers.py").write_text(
        "async def which(request, ctx):\n    return {'route': request.scope['route'].path}\n"
    )
    (folder / "app.toml").write_text(
        '[app]\nname = "rev"\n'
        '[[routes]]\npath = "/p/{rest:path}"\nhandler = "handlers:which"\n'
        '[[routes]]\npath = "/p/{slug}"\nhandler = "handlers:which"\n'
        '[[routes]]\npath = "/p/{id:int}"\nhandler = "handlers:which"\n'
        '[[routes]]\npath = "/p/new"\nhandler = "handlers:which"\n'
    )
    app = test_app(folder)
    assert [app.get(p).json()["route"] for p in ("/p/new", "/p/5", "/p/five", "/p/a/b")] == [
        "/p/new",
        "/p/{id:int}",
        "/p/{slug}",
        "/p/{rest:path}",
    ]
