"""Every page gets ``request``, ``user`` (``None`` when nobody signed in) and ``path``, escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import TestApp


def _text(html: str, element: str) -> str:
    found = re.search(f'<p id="{element}">(.*?)</p>', html, re.S)
    assert found is not None, html
    return found.group(1).strip()


def test_path_holds_the_converted_parameters(site_app: TestApp) -> None:
    page = site_app.get("/hello/Ana/3").text
    assert (
        _text(page, "greeting") == "Hello, Ana! Hello, Ana! Hello, Ana!"
    )  # times is an int: range() takes it


def test_text_from_the_url_stays_text(site_app: TestApp) -> None:
    page = site_app.get("/hello/%3Cscript%3Ealert(1)/1").text
    assert _text(page, "greeting") == "Hello, &lt;script&gt;alert(1)!"
    assert "<script>" not in page


def test_request_is_the_request(site_app: TestApp) -> None:
    assert _text(site_app.get("/hello/x/1").text, "where") == "GET /hello/x/1"


def test_user_is_none_for_nobody(site_app: TestApp) -> None:
    assert _text(site_app.get("/hello/x/1").text, "who") == "nobody signed in"


@pytest.mark.local_only("site-app has no users to register; the user is made in its database")
def test_user_is_the_signed_in_user(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "templates").mkdir()
    (folder / "templates" / "me.html").write_text('<p id="who">{{ user.email if user else "nobody" }}</p>')
    (folder / "app.toml").write_text(
        "[app]\nname = 'me'\n[auth]\n[[routes]]\npath = '/me'\ntemplate = 'me.html'\n"
    )
    with TestApp(folder) as app:
        ana = app.as_user("ana@example.com")
        assert _text(ana.get("/me").text, "who") == "ana@example.com"
        assert _text(app.get("/me").text, "who") == "nobody"
