"""``POST /api/_files``: the file object, its row, its blob, and what is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error


def test_a_file_is_stored_once_as_its_sha256(
    file_app: TestApp, alice: Any, png: Callable[..., bytes], on_disk: Any, blob_of: Any, file_row: Any
) -> None:
    data = png()
    response = alice.post("/api/_files", files={"file": ("photo.png", data, "image/png")})
    assert response.status_code == 201, response.text
    body = response.json()
    digest = hashlib.sha256(data).hexdigest()
    assert body == {
        "id": body["id"],
        "name": "photo.png",
        "size": len(data),
        "content_type": "image/png",
        "sha256": digest,
        "url": f"/files/{body['id']}/photo.png",
        "created_at": body["created_at"],
    }
    assert response.headers["location"] == body["url"]
    assert alice.get(body["url"]).content == data
    if not file_app.remote:
        assert on_disk("blobs") == {blob_of(data)}
        assert on_disk("tmp") == set()
        row = file_row(body["id"])
        assert row is not None
        assert (row["name"], row["size"], row["sha256"], row["kind"], row["uploaded_by"]) == (
            "photo.png",
            len(data),
            digest,
            "upload",
            alice.user["id"],
        )


def test_the_same_bytes_twice_are_two_files_and_one_blob(
    file_app: TestApp, alice: Any, png: Callable[..., bytes], on_disk: Any, blob_of: Any
) -> None:
    data = png()
    first = alice.post("/api/_files", files={"file": ("a.png", data, "image/png")}).json()
    second = alice.post("/api/_files", files={"file": ("b.png", data, "image/png")}).json()
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert alice.get(second["url"]).content == data
    if not file_app.remote:
        assert on_disk("blobs") == {blob_of(data)}


def test_the_type_comes_from_the_bytes_not_the_declared_type(alice: Any, png: Callable[..., bytes]) -> None:
    data = png()
    body = alice.post("/api/_files", files={"file": ("notes.txt", data, "text/plain")}).json()
    assert body["content_type"] == "image/png"
    assert alice.get(body["url"]).headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/octet-stream", "application/pdf"),
        (b"plain words, nothing else\n", "application/octet-stream", "text/plain"),
        (b"name,size\nkiln,3\n", "text/csv", "text/csv"),
        (b"<html><body>x</body></html>", "text/plain", "text/html"),
        (b"\x00\x01\x02\x03\xff\xfe binary", "image/png", "application/octet-stream"),
    ],
    ids=["pdf", "text", "csv-kept", "html-sniffed", "binary"],
)
def test_content_types_judged_from_the_first_bytes(
    alice: Any, data: bytes, declared: str, expected: str
) -> None:
    body = alice.post("/api/_files", files={"file": ("f", data, declared)}).json()
    assert body["content_type"] == expected
    assert body["size"] == len(data)


def test_a_client_folder_in_the_name_is_dropped(alice: Any, png: Callable[..., bytes]) -> None:
    body = alice.post(
        "/api/_files", files={"file": ("C:\\Users\\me\\..\\cat.png", png(), "image/png")}
    ).json()
    assert body["name"] == "cat.png"
    assert body["url"] == f"/files/{body['id']}/cat.png"


def test_a_name_with_spaces_and_accents_downloads_by_its_url(alice: Any, png: Callable[..., bytes]) -> None:
    body = alice.post("/api/_files", files={"file": ("été à Paris.png", png(), "image/png")}).json()
    assert body["url"] == f"/files/{body['id']}/%C3%A9t%C3%A9%20%C3%A0%20Paris.png"
    response = alice.get(body["url"])
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        "attachment; filename*=utf-8''%C3%A9t%C3%A9%20%C3%A0%20Paris.png"
    )


def test_nobody_signed_in_may_not_send_a_file(
    file_app: TestApp, png: Callable[..., bytes], on_disk: Any
) -> None:
    response = file_app.post("/api/_files", files={"file": ("a.png", png(), "image/png")})
    assert_error(response, 401, "unauthorized")
    assert on_disk("blobs") in (None, set())


def test_a_body_that_is_not_multipart_is_refused(alice: Any) -> None:
    response = alice.post("/api/_files", json={"file": "a.png"})
    error = assert_error(response, 415, "unsupported_media_type")
    assert error["message"] == "send multipart/form-data with a boundary"


def test_the_part_must_be_named_file(alice: Any, on_disk: Any) -> None:
    response = alice.post("/api/_files", files={"photo": ("a.txt", b"hello", "text/plain")})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"photo": "is not a part this takes"}
    assert on_disk("tmp") in (None, set())


def test_a_form_without_a_file_is_refused(alice: Any) -> None:
    response = alice.post("/api/_files", data={"title": "no file here"}, files={"x": ("", b"", "text/plain")})
    error = assert_error(response, 422, "validation_failed")
    assert error["fields"] == {"file": "is required"}


def test_a_file_over_the_limit_is_413_and_leaves_nothing(file_app: TestApp, alice: Any, on_disk: Any) -> None:
    too_big = b"z" * 2_000_001  # [files] max_size = "2MB"
    response = alice.post("/api/_files", files={"file": ("big.bin", too_big, "application/octet-stream")})
    error = assert_error(response, 413, "payload_too_large")
    assert error["message"] == "the file is larger than 2000000 bytes"
    if not file_app.remote:
        assert on_disk("blobs") == set()
        assert on_disk("tmp") == set()
        assert file_app.db["_kiln_files"].count == 0


def test_a_file_at_the_limit_is_taken(alice: Any) -> None:
    exactly = b"z" * 2_000_000
    body = alice.post("/api/_files", files={"file": ("edge.bin", exactly, "application/octet-stream")}).json()
    assert body["size"] == 2_000_000
    assert body["sha256"] == hashlib.sha256(exactly).hexdigest()


def test_an_image_that_does_not_decode_is_415(
    file_app: TestApp, alice: Any, png: Callable[..., bytes], on_disk: Any
) -> None:
    broken = png(200, 200)[:120]  # the signature and header, then nothing
    response = alice.post("/api/_files", files={"file": ("broken.png", broken, "image/png")})
    error = assert_error(response, 415, "unsupported_media_type")
    assert error["message"].startswith("the file is not an image that decodes")
    if not file_app.remote:
        assert on_disk("blobs") == set()
        assert on_disk("tmp") == set()


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (8000, "the file is 8000x8000 pixels, more than the 50000000 kiln takes"),
        (20_000, "the file has more than the 50000000 pixels kiln takes"),  # past Pillow's own limit
    ],
    ids=["64-megapixels", "400-megapixels"],
)
def test_a_decompression_bomb_is_415(
    file_app: TestApp, alice: Any, on_disk: Any, side: int, message: str
) -> None:
    # a PNG header claiming side x side pixels, in a few hundred bytes
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    response = alice.post("/api/_files", files={"file": ("bomb.png", bomb, "image/png")})
    error = assert_error(response, 415, "unsupported_media_type")
    assert error["message"] == message
    if not file_app.remote:
        assert on_disk("blobs") == set()
        assert file_app.db["_kiln_files"].count == 0


@pytest.mark.local_only("serves an app of its own")
def test_a_json_body_over_max_body_is_413_and_an_upload_is_not_held_to_it(tmp_path: Any) -> None:
    (tmp_path / "app.toml").write_text(
        "[app]\nname = 'small'\nmax_body = '1KB'\n[files]\nupload = 'public'\n"
        "[entities.Note.fields]\ntext = { type = 'text' }\nscan = { type = 'file' }\n"
    )
    with TestApp(tmp_path) as small:
        error = assert_error(small.post("/api/notes", json={"text": "x" * 1000}), 413, "payload_too_large")
        assert error["message"] == "the body is larger than 1000 bytes"
        assert small.db["notes"].count == 0
        made = small.post("/api/_files", files={"file": ("big.bin", b"y" * 5000, "application/octet-stream")})
        assert made.status_code == 201, made.text
        assert made.json()["size"] == 5000
        text = small.post(
            "/api/notes", data={"text": "z" * 1001}, files={"scan": ("s.bin", b"1", "text/plain")}
        )
        error = assert_error(text, 413, "payload_too_large")
        assert error["message"] == "the form's text fields are larger than 1000 bytes"
