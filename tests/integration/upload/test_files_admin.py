"""``GET /api/_files`` and ``DELETE /api/_files/{id}``: admins list and remove files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.local_only("the file list is for the admin role, which only a local app grants")


@pytest.fixture
def admin(file_app: TestApp) -> Any:
    """A signed-in admin of file-app."""
    return file_app.as_user("root@example.com", roles=["admin"])


def _upload(client: Any, name: str, data: bytes) -> dict[str, Any]:
    response = client.post("/api/_files", files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_the_list_is_newest_first_in_the_list_shape(admin: Any, alice: Any) -> None:
    made = [_upload(alice, f"{name}.bin", name.encode()) for name in ("one", "two", "three")]
    listed = admin.get("/api/_files").json()
    assert listed == {"items": made[::-1], "page": 1, "per_page": 20, "total": 3}


def test_prefix_keeps_the_names_that_start_with_it(admin: Any, alice: Any) -> None:
    kept = _upload(alice, "report-2030.bin", b"a")
    _upload(alice, "photo.bin", b"b")
    also = _upload(alice, "report-2031.bin", b"c")
    _upload(alice, "my-report.bin", b"d")
    listed = admin.get("/api/_files", params={"prefix": "report-"}).json()
    assert [item["id"] for item in listed["items"]] == [also["id"], kept["id"]]
    assert listed["total"] == 2
    assert admin.get("/api/_files", params={"prefix": "%"}).json()["total"] == 0  # no wildcards


def test_the_list_pages(admin: Any, alice: Any) -> None:
    made = [_upload(alice, f"{n}.bin", bytes([n])) for n in range(5)]
    second = admin.get("/api/_files", params={"page": 2, "per_page": 2}).json()
    assert [item["id"] for item in second["items"]] == [made[2]["id"], made[1]["id"]]
    assert (second["page"], second["per_page"], second["total"]) == (2, 2, 5)
    assert_error(admin.get("/api/_files", params={"page": 0}), 400, "bad_request")
    error = assert_error(admin.get("/api/_files", params={"sort": "name"}), 400, "bad_request")
    assert error["message"] == 'unknown parameter "sort": the file list takes prefix, page and per_page'


def test_deleting_a_file_no_record_holds_removes_its_blob(
    file_app: TestApp, admin: Any, alice: Any, on_disk: Any
) -> None:
    made = _upload(alice, "gone.bin", b"short-lived")
    response = admin.delete(f"/api/_files/{made['id']}")
    assert response.status_code == 200
    assert response.json() == {"deleted": made}
    assert on_disk("blobs") == set()
    assert file_app.db["_kiln_files"].count == 0
    assert_error(admin.get(made["url"]), 404, "not_found")
    assert_error(admin.delete(f"/api/_files/{made['id']}"), 404, "not_found")


def test_deleting_a_file_a_record_holds_is_409_naming_it(
    file_app: TestApp, admin: Any, alice: Any, png: Callable[..., bytes], on_disk: Any, blob_of: Any
) -> None:
    data = png()
    album = alice.post(
        "/api/albums", data={"title": "Kept"}, files={"cover": ("k.png", data, "image/png")}
    ).json()
    response = admin.delete(f"/api/_files/{album['cover']['id']}")
    error = assert_error(response, 409, "delete_restricted")
    assert error["fields"] == {"Album.cover": f"refers to it (Album {album['id']})"}
    assert (
        error["message"]
        == f"file {album['cover']['id']} cannot be deleted: Album.cover refers to it (Album {album['id']})"
    )
    assert on_disk("blobs") == {blob_of(data)}
    assert file_app.get(album["cover"]["url"]).content == data


def test_only_admins_list_and_delete(file_app: TestApp, alice: Any) -> None:
    made = _upload(alice, "mine.bin", b"mine")
    assert_error(alice.get("/api/_files"), 403, "forbidden")
    assert_error(alice.delete(f"/api/_files/{made['id']}"), 403, "forbidden")
    assert_error(file_app.get("/api/_files"), 401, "unauthorized")
    assert file_app.db["_kiln_files"].count == 1
