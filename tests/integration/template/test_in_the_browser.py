"""site-app in a real browser: the SPA's script renders the path, data-bound pages show escaped
text as text, and a session sign-in greets the user on pages and signs in same-origin writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from harness import TestApp, unique_id

pytestmark = pytest.mark.browser


def test_a_spa_route_falls_back_and_the_script_renders_it_from_the_api(page: Any, site_app: TestApp) -> None:
    text = f"spa {unique_id('n')} <script>x</script>"
    assert site_app.post("/api/notes", json={"text": text}).status_code == 201
    response = page.goto(f"/inbox/3?text={quote(text)}")
    assert response.status == 200
    assert response.headers["cache-control"] == "no-cache"
    page.wait_for_selector("#spa-notes")
    assert page.locator("#spa-notes li").all_text_contents() == [text]
    assert page.get_attribute("#app", "data-total") == "1"
    assert page.evaluate("document.getElementById('app').firstChild.textContent") == "site-app at /inbox/3"
    assert page.locator("#spa-notes script").count() == 0  # the text stays text


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


def test_the_form_adds_a_note_and_the_script_lists_it_from_the_api(page: Any, site_app: TestApp) -> None:
    text = f"from the form {unique_id('n')} <b>bold?</b>"
    page.goto("/board")
    page.fill("#text", text)
    page.click("button[type=submit]")
    page.wait_for_selector(f"#notes li:text-is('{text}')", timeout=5000)
    assert page.get_attribute("body", "data-last-status") == "201"
    assert page.locator("#notes li b").count() == 0  # the text stays text
    stored = site_app.get("/api/notes", params={"text": text}).json()
    assert [note["text"] for note in stored["items"]] == [text]


@pytest.mark.local_only("serves pages on origins of its own")
def test_cors_lets_a_listed_origins_page_call_the_api_and_no_other(chromium: Any, tmp_path: Path) -> None:
    caller = """<!doctype html><script>
      window.result = fetch(new URLSearchParams(location.search).get("api") + "/api/notes")
        .then((answer) => answer.status, (error) => "blocked: " + error.name);
    </script>"""
    pages = Starlette(routes=[Route("/", lambda request: HTMLResponse(caller))])
    with TestApp(pages) as listed, TestApp(pages) as other:
        (tmp_path / "app.toml").write_text(
            f"[app]\nname = 'api'\ncors_origins = ['{listed.url}']\n[entities.Note.fields]\ntext = {{ type = 'text' }}\n"
        )
        with TestApp(tmp_path) as api:
            context = chromium.new_context()
            try:
                tab = context.new_page()
                tab.goto(f"{listed.url}/?api={api.url}")
                assert tab.evaluate("window.result") == 200
                tab.goto(f"{other.url}/?api={api.url}")
                assert tab.evaluate("window.result") == "blocked: TypeError"
            finally:
                context.close()
