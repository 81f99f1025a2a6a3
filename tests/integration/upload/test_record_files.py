"""File fields on records: set by an upload or by id, replaced, cleared and deleted, cascades too.

Whenever a record lets go of a file no other record holds, its row goes in the same transaction
and its blob right after: the old URL answers 404, and nothing is left on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from harness import TestApp, assert_error


@pytest.fixture
def album(alice: Any, png: Callable[..., bytes]) -> Callable[..., dict[str, Any]]:
    """``album(title)``: a new album made by a multipart POST with a cover, as answered."""

    def make(title: str = "Holiday", cover: bytes | None = None) -> dict[str, Any]:
        response = alice.post(
            "/api/albums", data={"title": title}, files={"cover": ("cover.png", cover or png(), "image/png")}
        )
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        return made

    return make


def test_a_multipart_create_sets_the_file_and_the_fields(
    file_app: TestApp, alice: Any, png: Callable[..., bytes], on_disk: Any, blob_of: Any
) -> None:
    data = png(30, 10)
    response = alice.post(
        "/api/albums", data={"title": "Dunes"}, files={"cover": ("dune.png", data, "image/png")}
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["title"] == "Dunes"
    assert record["cover"]["name"] == "dune.png"
    assert record["cover"]["size"] == len(data)
    assert record["cover"]["url"] == f"/files/{record['cover']['id']}/dune.png"
    assert file_app.get(f"/api/albums/{record['id']}").json() == record
    assert file_app.get(record["cover"]["url"]).content == data
    if not file_app.remote:
        assert file_app.db["albums"].get(record["id"])["cover"] == record["cover"]["id"]
        assert on_disk("blobs") == {blob_of(data)}


def test_lists_and_with_show_the_file_object(
    file_app: TestApp, alice: Any, album: Callable[..., dict[str, Any]]
) -> None:
    made = album("Listed")
    document = alice.post("/api/documents", json={"title": "notes", "album_id": made["id"]}).json()
    listed = file_app.get("/api/albums", params={"id": made["id"]}).json()["items"]
    assert listed == [made]
    loaded = alice.get(f"/api/documents/{document['id']}", params={"with": "album"}).json()
    assert loaded["album"]["cover"] == made["cover"]
    assert loaded["attachment"] is None


def test_replacing_the_file_removes_the_old_one(
    file_app: TestApp,
    alice: Any,
    album: Callable[..., dict[str, Any]],
    png: Callable[..., bytes],
    on_disk: Any,
    blob_of: Any,
) -> None:
    first, second = png(), png()
    made = album(cover=first)
    response = alice.patch(f"/api/albums/{made['id']}", files={"cover": ("new.png", second, "image/png")})
    assert response.status_code == 200, response.text
    assert response.json()["cover"]["name"] == "new.png"
    assert response.json()["title"] == made["title"]
    assert_error(file_app.get(made["cover"]["url"]), 404, "not_found")
    assert file_app.get(response.json()["cover"]["url"]).content == second
    if not file_app.remote:
        assert on_disk("blobs") == {blob_of(second)}
        assert file_app.db["_kiln_files"].count == 1


def test_clearing_the_field_with_json_null_removes_the_file(
    file_app: TestApp, alice: Any, album: Callable[..., dict[str, Any]], on_disk: Any
) -> None:
    made = album()
    response = alice.patch(f"/api/albums/{made['id']}", json={"cover": None})
    assert response.json()["cover"] is None
    assert_error(file_app.get(made["cover"]["url"]), 404, "not_found")
    if not file_app.remote:
        assert on_disk("blobs") == set()
        assert file_app.db["_kiln_files"].count == 0


def test_a_multipart_put_replaces_the_record_and_its_file(
    file_app: TestApp,
    alice: Any,
    album: Callable[..., dict[str, Any]],
    png: Callable[..., bytes],
    on_disk: Any,
    blob_of: Any,
) -> None:
    made = album("Before")
    data = png()
    response = alice.put(
        f"/api/albums/{made['id']}", data={"title": "After"}, files={"cover": ("put.png", data, "image/png")}
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["title"], record["cover"]["name"], record["cover"]["size"]) == (
        "After",
        "put.png",
        len(data),
    )
    assert_error(file_app.get(made["cover"]["url"]), 404, "not_found")
    assert file_app.get(record["cover"]["url"]).content == data
    if not file_app.remote:
        assert on_disk("blobs") == {blob_of(data)}


def test_a_put_without_the_file_clears_it(
    file_app: TestApp, alice: Any, album: Callable[..., dict[str, Any]], on_disk: Any
) -> None:
    made = album()
    response = alice.put(f"/api/albums/{made['id']}", json={"title": "Renamed"})
    assert response.json()["cover"] is None
    assert_error(file_app.get(made["cover"]["url"]), 404, "not_found")
    assert on_disk("blobs") in (None, set())


def test_deleting_the_record_removes_its_file(
    file_app: TestApp, alice: Any, album: Callable[..., dict[str, Any]], on_disk: Any
) -> None:
    made = album()
    assert alice.delete(f"/api/albums/{made['id']}").status_code == 200
    assert_error(file_app.get(made["cover"]["url"]), 404, "not_found")
    assert on_disk("blobs") in (None, set())
    assert on_disk("thumbs") in (None, set())


def test_a_cascade_removes_the_files_of_the_records_it_deletes(
    file_app: TestApp, alice: Any, album: Callable[..., dict[str, Any]], on_disk: Any, blob_of: Any
) -> None:
    made = album()
    pdf = b"%PDF-1.4\nquarterly report\n"
    document = alice.post(
        "/api/documents",
        data={"title": "Q3", "album_id": str(made["id"])},
        files={"attachment": ("q3.pdf", pdf, "application/pdf")},
    ).json()
    assert alice.get(document["attachment"]["url"]).content == pdf
    deleted = alice.delete(f"/api/albums/{made['id']}").json()["deleted"]
    assert deleted["cascaded"] == {"Document": 1}
    assert_error(alice.get(document["attachment"]["url"]), 404, "not_found")
    if not file_app.remote:
        assert on_disk("blobs") == set()
        assert file_app.db["_kiln_files"].count == 0


def test_a_file_two_records_hold_stays_until_both_let_go(
    file_app: TestApp,
    alice: Any,
    album: Callable[..., dict[str, Any]],
    on_disk: Any,
    blob_of: Any,
    png: Callable[..., bytes],
) -> None:
    data = png()
    first = album("one", cover=data)
    second = alice.post("/api/albums", json={"title": "two", "cover": first["cover"]["id"]}).json()
    assert second["cover"] == first["cover"]
    alice.delete(f"/api/albums/{first['id']}")
    assert file_app.get(second["cover"]["url"]).content == data
    if not file_app.remote:
        assert on_disk("blobs") == {blob_of(data)}
    alice.delete(f"/api/albums/{second['id']}")
    assert_error(file_app.get(second["cover"]["url"]), 404, "not_found")


def test_a_json_body_may_take_up_the_callers_own_upload(
    file_app: TestApp, alice: Any, png: Callable[..., bytes]
) -> None:
    uploaded = alice.post("/api/_files", files={"file": ("mine.png", png(), "image/png")}).json()
    record = alice.post("/api/albums", json={"title": "Mine", "cover": uploaded["id"]}).json()
    assert record["cover"] == uploaded
    if not file_app.remote:
        assert file_app.db["albums"].get(record["id"])["cover"] == uploaded["id"]


def test_a_json_body_may_not_take_another_users_upload(
    file_app: TestApp, alice: Any, bob: Any, png: Callable[..., bytes]
) -> None:
    theirs = bob.post("/api/_files", files={"file": ("bob.png", png(), "image/png")}).json()
    response = alice.post("/api/albums", json={"title": "Stolen", "cover": theirs["id"]})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"cover": f"file {theirs['id']} was not uploaded by you"}
    assert alice.get("/api/albums", params={"title": "Stolen"}).json()["total"] == 0


def test_a_json_body_naming_no_file_is_422(alice: Any) -> None:
    response = alice.post("/api/albums", json={"title": "Ghost", "cover": 987654321})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"cover": "file 987654321 does not exist"}


def test_a_json_body_may_not_give_a_field_a_type_it_refuses(alice: Any) -> None:
    pdf = alice.post("/api/_files", files={"file": ("r.pdf", b"%PDF-1.4\nbody\n", "application/pdf")}).json()
    response = alice.post("/api/albums", json={"title": "Not an image", "cover": pdf["id"]})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {
        "cover": f"file {pdf['id']} is application/pdf, and this field takes image/png or image/jpeg or image/gif"
    }


def test_a_field_refuses_an_upload_of_a_type_it_does_not_accept(
    file_app: TestApp, alice: Any, on_disk: Any
) -> None:
    response = alice.post(
        "/api/albums",
        data={"title": "Bad"},
        files={"cover": ("x.png", b"%PDF-1.4\nnot an image", "image/png")},
    )
    error = assert_error(response, 415, "unsupported_media_type")
    assert (
        error["message"]
        == "cover must be image/png or image/jpeg or image/gif (this file is application/pdf)"
    )
    assert alice.get("/api/albums", params={"title": "Bad"}).json()["total"] == 0
    assert on_disk("tmp") in (None, set())


def test_a_field_refuses_an_upload_over_its_own_limit(file_app: TestApp, alice: Any, on_disk: Any) -> None:
    too_big = b"%PDF-1.4\n" + b"x" * 100_000  # attachment: max_size = "100KB"
    response = alice.post(
        "/api/documents", data={"title": "Big"}, files={"attachment": ("big.pdf", too_big, "application/pdf")}
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["message"] == "attachment is larger than 100000 bytes"
    assert alice.get("/api/documents").json()["total"] == 0
    assert on_disk("tmp") in (None, set())


def test_a_file_part_for_a_field_that_is_not_a_file_is_422(alice: Any) -> None:
    response = alice.post("/api/albums", files={"title": ("t.txt", b"hello", "text/plain")})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"title": "is not a file field"}


def test_form_values_are_read_by_their_field_type(alice: Any, album: Callable[..., dict[str, Any]]) -> None:
    made = album()
    empty_input = {"attachment": ("", b"", "application/octet-stream")}  # a browser's unused file input
    response = alice.post(
        "/api/documents", data={"title": "typed", "album_id": str(made["id"])}, files=empty_input
    )
    assert response.status_code == 201, response.text
    assert response.json()["album_id"] == made["id"]
    assert response.json()["attachment"] is None
    bad = alice.post("/api/documents", data={"title": "typed", "album_id": "seven"}, files=empty_input)
    error = assert_error(bad, 422, "validation_failed")
    assert error["fields"] == {"album_id": "must be a record id"}


def test_a_failed_write_keeps_no_upload(
    file_app: TestApp,
    alice: Any,
    album: Callable[..., dict[str, Any]],
    png: Callable[..., bytes],
    on_disk: Any,
    blob_of: Any,
) -> None:
    made = album()
    stale = '"0000000000000000"'
    response = alice.patch(
        f"/api/albums/{made['id']}",
        headers={"If-Match": stale},
        files={"cover": ("late.png", png(), "image/png")},
    )
    assert_error(response, 412, "precondition_failed")
    assert file_app.get(f"/api/albums/{made['id']}").json()["cover"] == made["cover"]
    if not file_app.remote:
        assert on_disk("blobs") == {f"blobs/{made['cover']['sha256'][:2]}/{made['cover']['sha256']}"}
        assert on_disk("tmp") == set()
        assert file_app.db["_kiln_files"].count == 1


@pytest.mark.regression
def test_twenty_concurrent_uploads_to_one_field_leave_one_blob_and_no_orphan(
    file_app: TestApp,
    alice: Any,
    album: Callable[..., dict[str, Any]],
    png: Callable[..., bytes],
    on_disk: Any,
    blob_of: Any,
) -> None:
    """FLIN's bug 3: two concurrent uploads to one field left an orphaned blob."""
    made = album()
    images = [png() for _ in range(20)]

    async def upload_all() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {alice.token}"}
        async with httpx.AsyncClient(base_url=file_app.url, headers=headers, timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.patch(
                        f"/api/albums/{made['id']}", files={"cover": (f"{n}.png", data, "image/png")}
                    )
                    for n, data in enumerate(images)
                )
            )

    responses = asyncio.run(upload_all())
    assert [r.status_code for r in responses] == [200] * 20
    final = file_app.get(f"/api/albums/{made['id']}").json()["cover"]
    assert final["name"] in {f"{n}.png" for n in range(20)}
    winner = images[int(final["name"].removesuffix(".png"))]
    assert file_app.get(final["url"]).content == winner
    for response in responses:
        cover = response.json()["cover"]
        if cover["id"] != final["id"]:
            assert_error(file_app.get(cover["url"]), 404, "not_found")
    if not file_app.remote:
        assert on_disk("blobs") == {blob_of(winner)}
        assert [row["id"] for row in file_app.db["_kiln_files"].rows] == [final["id"]]
        assert on_disk("tmp") == set()
