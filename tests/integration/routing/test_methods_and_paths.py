"""One path served by several targets, HEAD and trailing slashes, settings in templates, JSON values."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.app("todo-app")


def test_one_path_serves_page_on_get_and_handler_on_post(app: TestApp) -> None:
    page = app.get("/contact")
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Contact</h1>" in page.text
    posted = app.post("/contact", json={"message": "hi"})
    assert posted.json() == {"received": {"message": "hi"}, "method": "POST"}


def test_one_path_with_two_targets_lists_both_in_allow(app: TestApp) -> None:
    response = app.put("/contact", json={})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert app.options("/contact").headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_page_sees_settings_and_anonymous_user(test_app: Any) -> None:
    app = test_app("todo-app", settings={"greeting": "Ahoy"})
    assert "<p>Ahoy from /contact; user: anonymous</p>" in app.get("/contact").text
    assert "Ahoy, ann!" in app.get("/hello/ann").text


def test_page_without_settings_uses_its_own_default(app: TestApp) -> None:
    assert "<p>Hello from /contact; user: anonymous</p>" in app.get("/contact").text


@pytest.mark.local_only("/api/titles lists every todo, so it needs an empty database")
def test_handler_may_return_a_json_list(app: TestApp) -> None:
    for title in ("b", "a"):
        app.post("/api/todos", json={"title": title})
    response = app.get("/api/titles")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == ["b", "a"]


def test_head_on_redirect_has_location_and_no_body(app: TestApp) -> None:
    response = app.head("/greet/ann")
    assert response.status_code == 301
    assert response.headers["location"] == "/hello/ann"
    assert response.content == b""


def test_trailing_slash_redirects_to_the_declared_path(app: TestApp) -> None:
    response = app.get("/api/stats/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/api/stats")
    stats = app.get("/api/stats/", follow_redirects=True).json()
    assert sorted(stats) == ["done", "open", "total"]
    assert stats["total"] == stats["done"] + stats["open"]


def test_query_string_does_not_change_dispatch(app: TestApp) -> None:
    assert app.get("/posts/new?id=5").text == app.get("/posts/new").text
    assert app.get("/posts/5?slug=x").json()["params"] == {"id": ["int", "5"]}


def test_handler_answers_400_for_a_missing_body(app: TestApp) -> None:
    """Found by schemathesis: the contact handler read JSON without checking there was any."""
    response = app.post("/contact")
    assert response.status_code == 400
    assert response.json() == {"error": "send a JSON body"}
