"""Route targets: templates render, handlers get (request, ctx) and return data or a Response, redirects redirect."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp

pytestmark = pytest.mark.app("todo-app")


def test_page_renders_with_layout(app: TestApp) -> None:
    response = app.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Todo: home</title>" in response.text
    assert "<h1>Things to do</h1>" in response.text
    assert "<p>Path: /</p>" in response.text


def test_page_receives_params_and_query(app: TestApp) -> None:
    assert "<p>Hello, ann! HELLO!</p>" in app.get("/hello/ann?loud=1").text
    assert "<p>Hello, bob!</p>" in app.get("/hello/bob").text


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ('"quoted"', "&#34;quoted&#34;"),
        ("a&b", "a&amp;b"),
    ],
)
def test_page_autoescapes_parameters(app: TestApp, name: str, escaped: str) -> None:
    from urllib.parse import quote

    text = app.get("/hello/" + quote(name, safe="")).text
    assert f"Hello, {escaped}!" in text
    assert name not in text


@pytest.mark.local_only("/api/stats counts the whole table, so it needs an empty database")
def test_handler_reads_database_through_ctx(app: TestApp) -> None:
    for title, done in [("a", True), ("b", False), ("c", True)]:
        app.post("/api/todos", json={"title": title, "done": done})
    assert app.get("/api/stats").json() == {"total": 3, "done": 2, "open": 1}


def test_handler_writes_database_through_ctx(app: TestApp) -> None:
    app.clock.set("2030-03-01T00:00:00Z")
    response = app.post("/api/quick-todo", json={"title": "from handler"})
    assert response.status_code == 201
    assert response.text == "created from handler"
    assert response.headers["content-type"].startswith("text/plain")
    created = app.get("/api/todos/1").json()
    assert created["title"] == "from handler"
    assert created["created_at"] == "2030-03-01T00:00:00.000Z"


def test_handler_sees_the_app_clock(app: TestApp) -> None:
    app.clock.set("2031-02-03T04:05:06Z")
    assert app.get("/api/time").json() == {"now": "2031-02-03T04:05:06+00:00"}


@pytest.mark.local_only("/api/sync counts the whole table, so it needs an empty database")
def test_sync_handler_runs_in_worker_thread_with_own_connection(app: TestApp) -> None:
    app.post("/api/todos", json={"title": "a"})
    assert app.get("/api/sync").json() == {"todos": 1, "thread": True}


def test_handler_response_keeps_status_and_headers(app: TestApp) -> None:
    response = app.get("/api/accepted")
    assert (response.status_code, response.text, response.headers["x-queue"]) == (202, "queued", "jobs")


def test_handler_receives_settings_and_secret_names(test_app: Any) -> None:
    app = test_app("todo-app", settings={"theme": "dark", "page_size": 10}, secrets={"API_KEY": "s3cr3t"})
    body = app.get("/api/settings").json()
    assert body == {"settings": {"theme": "dark", "page_size": 10}, "secrets": ["API_KEY"], "user": None}
    assert "s3cr3t" not in app.get("/api/settings").text


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/home", 308, "/"),
        ("/greet/bob", 301, "/hello/bob"),
        ("/greet/a%20b", 301, "/hello/a b"),
        ("/elsewhere", 302, "https://example.com/"),
    ],
)
def test_redirect_answers_status_and_location(app: TestApp, path: str, status: int, location: str) -> None:
    response = app.get(path, follow_redirects=False)
    assert response.status_code == status
    assert response.headers["location"].replace("%20", " ") == location


def test_redirect_can_be_followed_to_its_page(app: TestApp) -> None:
    response = app.get("/greet/zoe", follow_redirects=True)
    assert response.status_code == 200
    assert "Hello, zoe!" in response.text
    assert [e.status for e in app.requests] == [301, 200]
