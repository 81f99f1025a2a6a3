"""Search runs under the entity's ``list`` guard: with ``list = "owner"`` a user finds only their own."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

pytestmark = pytest.mark.app("auth-app")


def _email(name: str) -> str:
    return f"{unique_id(name)}@example.com"  # a shared server keeps every user it was given


def test_owner_guard_finds_only_the_callers_records(app: TestApp) -> None:
    ann, bob = app.as_user(_email("ann")), app.as_user(_email("bob"))
    mine = ann.post("/api/notes", json={"text": "bread for ann"}).json()
    theirs = bob.post("/api/notes", json={"text": "bread for bob"}).json()
    ann_finds = ann.get("/api/notes/search", params={"q": "bread"}).json()
    bob_finds = bob.get("/api/notes/search", params={"q": "bread"}).json()
    assert [item["record"]["id"] for item in ann_finds["items"]] == [mine["id"]]
    assert [item["record"]["id"] for item in bob_finds["items"]] == [theirs["id"]]
    assert (ann_finds["total"], bob_finds["total"]) == (1, 1)
    assert ann_finds["items"][0]["record"]["author_id"] == ann.user["id"]


def test_admin_role_does_not_widen_an_owner_search(app: TestApp) -> None:
    ann = app.as_user(_email("ann"))
    ann.post("/api/notes", json={"text": "private bread"})
    admin = app.as_user(_email("root"), roles=["admin"])
    body: dict[str, Any] = admin.get("/api/notes/search", params={"q": "bread"}).json()
    assert body == {"items": [], "page": 1, "per_page": 20, "total": 0}
    assert app.db["notes"].count == 1  # the note is there; the admin is not its owner


def test_anonymous_search_of_owned_notes_is_401(app: TestApp) -> None:
    response = app.get("/api/notes/search", params={"q": "bread"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
