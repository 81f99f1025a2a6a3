"""``data`` bindings: records shaped as the REST API returns them, one query per level of ``with``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp

pytestmark = pytest.mark.local_only(
    "the page lists the newest notes, which other tests add to on a shared server"
)


def _json(html: str, element: str) -> Any:
    found = re.search(f'<script id="{element}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, html
    return json.loads(found.group(1))


@pytest.fixture
def notes(site_app: TestApp) -> list[dict[str, Any]]:
    """Five notes, two pinned, two by Ada, as the API answered them."""
    ada = site_app.post("/api/authors", json={"name": "Ada"}).json()
    made = []
    for text, pinned, author in [
        ("b", True, ada["id"]),
        ("e", False, None),
        ("a", True, None),
        ("d", False, ada["id"]),
        ("c <em>", False, None),
    ]:
        response = site_app.post("/api/notes", json={"text": text, "pinned": pinned, "author_id": author})
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


def test_a_binding_is_what_the_list_endpoint_answers(site_app: TestApp, notes: list[dict[str, Any]]) -> None:
    page = site_app.get("/notes").text
    listed = site_app.get("/api/notes", params={"sort": "-id", "per_page": 3, "with": "author"}).json()[
        "items"
    ]
    assert _json(page, "latest-json") == listed
    assert [note["text"] for note in listed] == ["c <em>", "d", "a"]
    assert listed[1]["author"]["name"] == "Ada"


def test_where_and_sort_apply(site_app: TestApp, notes: list[dict[str, Any]]) -> None:
    pinned = _json(site_app.get("/notes").text, "pinned-json")
    assert [(note["text"], note["pinned"]) for note in pinned] == [("a", True), ("b", True)]
    assert "author" not in pinned[0]  # no with, no relation


def test_records_render_escaped(site_app: TestApp, notes: list[dict[str, Any]]) -> None:
    page = site_app.get("/notes").text
    assert "<li>c &lt;em&gt;</li><li>d by Ada</li><li>a</li>" in page


def test_with_costs_one_query_per_level(site_app: TestApp, notes: list[dict[str, Any]]) -> None:
    with site_app.queries() as q:
        assert site_app.get("/notes").status_code == 200
    assert len(q.selects) == 3  # latest, their authors, pinned


def test_an_empty_binding_is_an_empty_list(site_app: TestApp) -> None:
    page = site_app.get("/notes").text
    assert _json(page, "latest-json") == []
    assert _json(page, "pinned-json") == []


OWNED = """
[app]
name = "diary"
[auth]
[entities.Entry]
plural = "entries"
owner = "owner_id"
[entities.Entry.fields]
text = { type = "text", required = true }
owner_id = { type = "ref", to = "User", on_delete = "cascade" }
[entities.Entry.access]
list = "owner"
read = "owner"
create = "auth"
[entities.Memo.fields]
text = { type = "text" }
[entities.Memo.access]
list = ["auth", "role:staff"]
[[routes]]
path = "/"
template = "mine.html"
data.entries = { entity = "Entry", sort = "id" }
data.memos = { entity = "Memo" }
"""


def test_the_list_guards_apply_to_the_viewer(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "mine.html").write_text(
        '<p id="entries">{{ entries | map(attribute="text") | join(",") }}</p><p id="memos">{{ memos | length }}</p>'
    )
    (tmp_path / "app.toml").write_text(OWNED)
    with TestApp(tmp_path) as app:
        ana, ben = app.as_user("ana@example.com"), app.as_user("ben@example.com")
        staff = app.as_user("sam@example.com", roles=["staff"])
        for client, text in [(ana, "ana-1"), (ben, "ben-1"), (ana, "ana-2")]:
            assert client.post("/api/entries", json={"text": text}).status_code == 201
        app.db["memos"].insert({"text": "staff only", "created_at": "t", "updated_at": "t"})

        def seen(client: Any) -> tuple[str, str]:
            page = client.get("/").text
            entries = re.search(r'<p id="entries">(.*?)</p>', page)
            memos = re.search(r'<p id="memos">(.*?)</p>', page)
            assert entries is not None
            assert memos is not None
            return entries.group(1), memos.group(1)

        assert seen(ana) == ("ana-1,ana-2", "0")
        assert seen(ben) == ("ben-1", "0")
        assert seen(app) == ("", "0")  # nobody signed in sees no one's entries
        assert seen(staff) == ("", "1")
