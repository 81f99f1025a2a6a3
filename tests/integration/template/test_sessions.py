"""Browser sessions: a login with ``"session": true`` sets an HttpOnly, SameSite=Lax cookie that
pages and the API accept; a write it alone signs in must come from the app's own pages (CSRF)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness import TestApp, assert_error, unique_id


@pytest.fixture
def browser(site_app: TestApp) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """A client holding a session cookie, and the user it signed in."""
    email, password = f"{unique_id('b')}@example.com", "correct horse battery"
    with httpx.Client(base_url=site_app.url, timeout=10) as client:
        assert client.post("/auth/register", json={"email": email, "password": password}).status_code == 201
        response = client.post("/auth/login", json={"email": email, "password": password, "session": True})
        assert response.status_code == 200, response.text
        yield client, response.json()["user"]


def test_a_session_login_sets_an_httponly_lax_cookie(site_app: TestApp, browser: Any) -> None:
    client, _ = browser
    cookie = next(c for c in client.cookies.jar if c.name == "kiln_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite").lower() == "lax"
    assert cookie.path == "/"
    assert cookie.value.count(".") == 2  # the token itself


def test_a_login_without_session_sets_no_cookie(site_app: TestApp) -> None:
    email = f"{unique_id('p')}@example.com"
    with httpx.Client(base_url=site_app.url) as client:
        client.post("/auth/register", json={"email": email, "password": "correct horse battery"})
        response = client.post("/auth/login", json={"email": email, "password": "correct horse battery"})
        assert response.status_code == 200
        assert "set-cookie" not in response.headers


def test_session_must_be_true_or_false(site_app: TestApp) -> None:
    response = site_app.post(
        "/auth/login", json={"email": "a@example.com", "password": "x", "session": "yes"}
    )
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"session": "must be true or false"}


def test_a_page_sees_the_user_of_the_cookie(site_app: TestApp, browser: Any) -> None:
    client, user = browser
    assert f'<p id="who">{user["email"]}</p>' in client.get("/me").text
    assert '<p id="who">nobody signed in</p>' in site_app.get("/me").text
    assert client.get("/auth/me").json() == user


def test_a_write_from_the_apps_own_origin_passes(site_app: TestApp, browser: Any) -> None:
    client, _ = browser
    response = client.post("/api/notes", json={"text": "same origin"}, headers={"Origin": site_app.url})
    assert response.status_code == 201
    referred = client.post("/api/notes", json={"text": "referred"}, headers={"Referer": site_app.url + "/me"})
    assert referred.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {"Origin": "null"}],
    ids=["no-origin", "foreign-origin", "foreign-referer", "null-origin"],
)
def test_a_write_only_the_cookie_signs_in_needs_the_apps_own_origin(
    site_app: TestApp, browser: Any, headers: dict[str, str]
) -> None:
    client, _ = browser
    marker = unique_id("csrf")
    response = client.post("/api/notes", json={"text": marker}, headers=headers)
    error = assert_error(response, 403, "forbidden")
    assert error["message"].startswith(
        "a write signed in by the session cookie must come from this app's own pages"
    )
    assert site_app.get("/api/notes", params={"text": marker}).json()["total"] == 0


def test_a_bearer_token_needs_no_origin(site_app: TestApp, browser: Any) -> None:
    client, _ = browser
    token = client.cookies["kiln_session"]
    response = site_app.post(
        "/api/notes", json={"text": "api client"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_logout_clears_the_cookie_and_revokes_its_token(site_app: TestApp, browser: Any) -> None:
    client, _ = browser
    token = client.cookies["kiln_session"]
    response = client.post("/auth/logout", headers={"Origin": site_app.url})
    assert response.status_code == 204
    assert "kiln_session=" in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert "kiln_session" not in client.cookies
    assert '<p id="who">nobody signed in</p>' in client.get("/me").text
    with httpx.Client(base_url=site_app.url, cookies={"kiln_session": token}) as old:
        assert old.get("/me").status_code == 401  # the logged-out token is revoked
