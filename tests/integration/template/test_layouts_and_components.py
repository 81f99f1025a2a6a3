"""Layouts with ``extends``, components as macros under ``templates/components/``, slots with ``call``."""

from __future__ import annotations

import re

import pytest

from harness import TestApp


def _cards(html: str) -> list[tuple[str, str, str]]:
    """(tone, title, body) of each card on the page."""
    return re.findall(
        r'<section class="card card-(\w+)"><h2>(.*?)</h2><div class="body">(.*?)</div></section>', html, re.S
    )


def test_the_layout_wraps_the_page(site_app: TestApp) -> None:
    page = site_app.get("/board").text
    assert page.startswith("<!doctype html>")
    assert "<title>Board</title>" in page
    assert "<header>site-app</header><main>" in page
    assert page.rstrip().endswith("</main></body></html>")


def test_a_component_renders_its_slot(site_app: TestApp) -> None:
    cards = _cards(site_app.get("/board").text)
    assert [(tone, title) for tone, title, _ in cards] == [("bright", "Pinned"), ("plain", "Write a note")]
    assert '<form id="new-note">' in cards[1][2]


@pytest.mark.local_only("the board lists pinned notes, which other tests add to on a shared server")
def test_the_slot_sees_the_pages_data_escaped(site_app: TestApp) -> None:
    assert _cards(site_app.get("/board").text)[0][2] == '<p class="empty">Nothing pinned.</p>'
    site_app.post("/api/notes", json={"text": "b <i>second</i>", "pinned": True})
    site_app.post("/api/notes", json={"text": "a first", "pinned": True})
    site_app.post("/api/notes", json={"text": "not pinned"})
    body = _cards(site_app.get("/board").text)[0][2]
    assert body == '<p class="pinned">a first</p><p class="pinned">b &lt;i&gt;second&lt;/i&gt;</p>'
