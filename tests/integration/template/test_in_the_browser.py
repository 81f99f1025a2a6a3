"""site-app in a real browser: the SPA's script renders the path, data-bound pages show escaped
text as text, and a session sign-in greets the user on pages and signs in same-origin writes."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, unique_id

pytestmark = pytest.mark.browser


def test_a_spa_route_falls_back_and_the_script_renders_it(page: Any) -> None:
    response = page.goto("/inbox/3")
    assert response.status == 200
    assert response.headers["cache-control"] == "no-cache"
    assert page.text_content("#app") == "site-app at /inbox/3"


@pytest.mark.local_only("the page lists the newest notes, which other tests add to on a shared server")
def test_a_data_bound_page_shows_user_text_as_text(page: Any, site_app: TestApp) -> None:
    site_app.post("/api/notes", json={"text": "<img src=x onerror=alert(1)>"})
    page.goto("/notes")
    assert page.locator("#latest li").all_text_contents() == ["<img src=x onerror=alert(1)>"]
    assert page.locator("#latest img").count() == 0  # text, not an element


def test_a_session_sign_in_greets_the_user_and_signs_in_same_origin_writes(page: Any) -> None:
    email, password = f"{unique_id('br')}@example.com", "correct horse battery"
    page.goto("/me")
    assert page.text_content("#who") == "nobody signed in"
    status = page.evaluate(
        """async ([email, password]) => {
            await fetch("/auth/register", {method: "POST", headers: {"Content-Type": "application/json"},
                                            body: JSON.stringify({email, password})});
            const login = await fetch("/auth/login", {method: "POST", headers: {"Content-Type": "application/json"},
                                                      body: JSON.stringify({email, password, session: true})});
            return login.status;
        }""",
        [email, password],
    )
    assert status == 200
    assert "kiln_session" not in page.evaluate("document.cookie")  # HttpOnly: no script sees it
    page.goto("/me")
    assert page.text_content("#who") == email
    created = page.evaluate(
        """async (text) => {
            const answer = await fetch("/api/notes", {method: "POST", headers: {"Content-Type": "application/json"},
                                                      body: JSON.stringify({text})});
            return answer.status;
        }""",
        unique_id("note"),
    )
    assert created == 201  # the browser sent the app's own Origin
    assert page.evaluate('fetch("/auth/logout", {method: "POST"}).then(r => r.status)') == 204
    page.goto("/me")
    assert page.text_content("#who") == "nobody signed in"
