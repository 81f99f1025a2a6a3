"""``[app] spa``: browser navigations no route answers get ``static/index.html``; nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import TestApp, assert_error

INDEX = (Path(__file__).parents[2] / "fixtures" / "site-app" / "static" / "index.html").read_bytes()
HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(
    "path", ["/", "/inbox", "/notes/12/edit", "/deep/a/b/c?tab=2"], ids=["root", "page", "nested", "query"]
)
def test_a_browser_navigation_gets_the_index(site_app: TestApp, path: str) -> None:
    response = site_app.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


def test_a_head_navigation_gets_the_headers(site_app: TestApp) -> None:
    response = site_app.head("/inbox", headers=HTML)
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == str(len(INDEX))


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "text/plain", "text/htmlx"],
    ids=["none", "any", "json", "plain", "lookalike"],
)
def test_without_text_html_in_accept_it_stays_404(site_app: TestApp, accept: str | None) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    assert_error(site_app.get("/inbox", headers=headers), 404, "not_found")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_only_get_and_head_fall_back(site_app: TestApp, method: str) -> None:
    response = site_app.request(method, "/inbox", headers=HTML)
    assert response.status_code in (404, 405)
    assert response.content != INDEX


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing",
        "/auth/nothing",
        "/files/1/x",
        "/static/nothing.js",
        "/ws",
        "/health/x",
        "/openapi.json/x",
        "/api",
    ],
    ids=["api", "users", "files", "static", "sockets", "health", "openapi", "api-bare"],
)
def test_kilns_own_paths_never_fall_back(site_app: TestApp, path: str) -> None:
    response = site_app.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.content != INDEX


def test_a_declared_route_answers_before_the_fallback(site_app: TestApp) -> None:
    response = site_app.get("/about", headers=HTML)
    assert response.status_code == 200
    assert "<h1>About site-app</h1>" in response.text
    assert response.headers.get("cache-control") != "no-cache"


def test_the_rest_api_is_untouched(site_app: TestApp) -> None:
    response = site_app.post("/api/notes", json={"text": "kept"}, headers=HTML)
    assert response.status_code == 201
    assert site_app.get(f"/api/notes/{response.json()['id']}", headers=HTML).json()["text"] == "kept"
