"""Declared routes dispatch by path, typed parameters and method, deterministically."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from harness import Scenario, TestApp, assert_error, run

pytestmark = pytest.mark.app("todo-app")

JSON = {"content-type": "application/json"}


def _echo(name: str, method: str, path: str, expect: dict[str, Any]) -> Scenario:
    """A request handlers:echo answers, with what it saw of the method, parameters and query."""
    return Scenario(name, method, path, expect=expect, expect_headers=JSON)


DISPATCH = [
    _echo("int-param", "GET", "/api/echo/5", {"params": {"n": ["int", "5"]}}),
    _echo("int-param-zero", "GET", "/api/echo/0", {"params": {"n": ["int", "0"]}}),
    _echo("int-param-large", "GET", "/api/echo/12345678901234", {"params": {"n": ["int", "12345678901234"]}}),
    _echo("int-param-post", "POST", "/api/echo/3", {"method": "POST", "params": {"n": ["int", "3"]}}),
    _echo("int-param-patch", "PATCH", "/api/echo/3", {"method": "PATCH"}),
    _echo("query-passed", "GET", "/api/echo/1?a=1&b=two", {"query": {"a": "1", "b": "two"}}),
    _echo("query-encoded", "GET", "/api/echo/1?q=a%20b%26c", {"query": {"q": "a b&c"}}),
    _echo("float-param", "GET", "/api/echo/2.5/float", {"params": {"x": ["float", "2.5"]}}),
    _echo("float-param-integral", "GET", "/api/echo/3/float", {"params": {"x": ["float", "3.0"]}}),
    _echo(
        "uuid-param",
        "GET",
        "/api/uuid/12345678-1234-5678-1234-567812345678",
        {"params": {"u": ["UUID", "12345678-1234-5678-1234-567812345678"]}},
    ),
    _echo("path-param-one-segment", "GET", "/files/readme.txt", {"params": {"rest": ["str", "readme.txt"]}}),
    _echo("path-param-many-segments", "GET", "/files/a/b/c.txt", {"params": {"rest": ["str", "a/b/c.txt"]}}),
    _echo("path-param-encoded", "GET", "/files/my%20file.txt", {"params": {"rest": ["str", "my file.txt"]}}),
    _echo("path-param-may-be-empty", "GET", "/files/", {"params": {"rest": ["str", ""]}}),
    _echo("static-beats-int-beats-str-int", "GET", "/posts/7", {"params": {"id": ["int", "7"]}}),
    _echo(
        "static-beats-int-beats-str-slug",
        "GET",
        "/posts/hello-world",
        {"params": {"slug": ["str", "hello-world"]}},
    ),
    _echo("str-param-unicode", "GET", "/posts/caf%C3%A9", {"params": {"slug": ["str", "café"]}}),
    _echo(
        "nested-get",
        "GET",
        "/projects/3/todos/9",
        {"method": "GET", "params": {"project": ["int", "3"], "todo": ["int", "9"]}},
    ),
    _echo("nested-put", "PUT", "/projects/3/todos/9", {"method": "PUT"}),
    _echo("nested-delete", "DELETE", "/projects/3/todos/9", {"method": "DELETE"}),
]


@pytest.mark.parametrize("scenario", DISPATCH, ids=str)
def test_dispatch_reaches_handler_with_typed_params(app: TestApp, scenario: Scenario) -> None:
    run(app, scenario)
    assert app.requests[-1].path.split("?")[0] == unquote(scenario.path.split("?")[0])


def test_static_route_beats_parameter_routes(app: TestApp) -> None:
    response = app.get("/posts/new")
    assert response.status_code == 200
    assert "<h1>New post</h1>" in response.text


def _not_found(name: str, path: str) -> Scenario:
    return Scenario(name, "GET", path, status=404, error="not_found", message=f"nothing at {path}")


NOT_FOUND = [
    _not_found("unknown-path", "/nope"),
    _not_found("int-param-not-int", "/api/echo/abc"),
    _not_found("int-param-negative", "/api/echo/-1"),
    _not_found("float-param-not-number", "/api/echo/abc/float"),
    _not_found("uuid-param-not-uuid", "/api/uuid/not-a-uuid"),
    _not_found("nested-wrong-type", "/projects/x/todos/1"),
    _not_found("nested-too-short", "/projects/1/todos"),
    _not_found("nested-too-long", "/projects/1/todos/2/extra"),
    _not_found("trailing-segment", "/hello/ann/extra"),
    _not_found("case-sensitive", "/API/stats"),
]


@pytest.mark.parametrize("scenario", NOT_FOUND, ids=str)
def test_unmatched_path_is_404(app: TestApp, scenario: Scenario) -> None:
    run(app, scenario)


def _wrong_method(name: str, method: str, path: str, allow: str) -> Scenario:
    return Scenario(
        name,
        method,
        path,
        status=405,
        error="method_not_allowed",
        message=f"{method} is not allowed on {path}",
        expect_headers={"allow": allow},
    )


WRONG_METHOD = [
    _wrong_method("post-on-get-handler", "POST", "/api/stats", "GET, HEAD"),
    _wrong_method("delete-on-page", "DELETE", "/", "GET, HEAD"),
    _wrong_method("put-on-multi-method", "PUT", "/api/echo/1", "GET, HEAD, PATCH, POST"),
    _wrong_method("get-on-post-only", "GET", "/api/quick-todo", "POST"),
    _wrong_method("post-on-nested", "POST", "/projects/1/todos/2", "DELETE, GET, HEAD, PUT"),
    _wrong_method("patch-on-redirect", "PATCH", "/home", "GET, HEAD"),
    _wrong_method("delete-on-collection", "DELETE", "/api/todos", "GET, HEAD, POST"),
    _wrong_method("post-on-item", "POST", "/api/todos/1", "DELETE, GET, HEAD, PATCH, PUT"),
    _wrong_method("post-on-health", "POST", "/health", "GET, HEAD"),
]


@pytest.mark.parametrize("scenario", WRONG_METHOD, ids=str)
def test_wrong_method_is_405_with_allow(app: TestApp, scenario: Scenario) -> None:
    run(app, scenario)


def _options(name: str, path: str, allow: str) -> Scenario:
    """OPTIONS answers 204 with no body and the path's methods in ``Allow``."""
    return Scenario(name, "OPTIONS", path, status=204, expect=b"", expect_headers={"allow": allow})


OPTIONS = [
    _options("page", "/", "GET, HEAD, OPTIONS"),
    _options("handler-multi", "/api/echo/1", "GET, HEAD, OPTIONS, PATCH, POST"),
    _options("nested", "/projects/1/todos/2", "DELETE, GET, HEAD, OPTIONS, PUT"),
    _options("redirect", "/home", "GET, HEAD, OPTIONS"),
    _options("collection", "/api/todos", "GET, HEAD, OPTIONS, POST"),
    _options("item", "/api/todos/1", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
    _options("health", "/health", "GET, HEAD, OPTIONS"),
    _options("wildcard", "/files/x/y", "GET, HEAD, OPTIONS"),
    _options("two-routes-one-path", "/contact", "GET, HEAD, OPTIONS, POST"),
]


@pytest.mark.parametrize("scenario", OPTIONS, ids=str)
def test_options_answers_204_with_allow(app: TestApp, scenario: Scenario) -> None:
    assert run(app, scenario).headers["x-request-id"]


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
