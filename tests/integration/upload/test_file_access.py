"""Who may download a file: readers of a record that holds it, its uploader, admins; others get 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error


@pytest.fixture
def document(alice: Any) -> dict[str, Any]:
    """One of alice's documents, with a text attachment: only alice reads it."""
    response = alice.post(
        "/api/documents",
        data={"title": "diary"},
        files={"attachment": ("diary.txt", b"dear diary\n", "text/plain")},
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_an_upload_no_record_holds_is_its_uploaders_alone(
    file_app: TestApp, alice: Any, bob: Any, png: Callable[..., bytes]
) -> None:
    made = alice.post("/api/_files", files={"file": ("draft.png", png(), "image/png")}).json()
    assert alice.get(made["url"]).status_code == 200
    assert_error(bob.get(made["url"]), 404, "not_found")
    assert_error(file_app.get(made["url"]), 404, "not_found")


def test_the_file_of_a_public_record_is_public(
    file_app: TestApp, alice: Any, png: Callable[..., bytes]
) -> None:
    data = png()
    made = alice.post(
        "/api/albums", data={"title": "Open"}, files={"cover": ("o.png", data, "image/png")}
    ).json()
    response = file_app.get(made["cover"]["url"])
    assert response.status_code == 200
    assert response.content == data


def test_the_file_of_an_owned_record_is_its_owners(
    file_app: TestApp, alice: Any, bob: Any, document: dict[str, Any]
) -> None:
    url = document["attachment"]["url"]
    assert alice.get(url).content == b"dear diary\n"
    assert_error(bob.get(url), 404, "not_found")
    assert_error(file_app.get(url), 404, "not_found")


def test_a_bad_token_is_401_not_404(file_app: TestApp, document: dict[str, Any]) -> None:
    response = file_app.get(document["attachment"]["url"], headers={"Authorization": "Bearer not-a-token"})
    assert_error(response, 401, "unauthorized")


@pytest.mark.local_only("grants the admin role")
def test_an_admin_may_download_any_file(file_app: TestApp, document: dict[str, Any]) -> None:
    admin = file_app.as_user("root@example.com", roles=["admin"])
    assert admin.get(document["attachment"]["url"]).content == b"dear diary\n"


def test_a_file_becomes_public_when_a_public_record_takes_it_up(
    file_app: TestApp, alice: Any, png: Callable[..., bytes]
) -> None:
    made = alice.post("/api/_files", files={"file": ("later.png", png(), "image/png")}).json()
    assert_error(file_app.get(made["url"]), 404, "not_found")
    alice.post("/api/albums", json={"title": "Now public", "cover": made["id"]})
    assert file_app.get(made["url"]).status_code == 200
