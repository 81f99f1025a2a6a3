"""Presigned URLs: made by admins, good for one method and one name until they expire on kiln's clock."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from harness import TestApp, assert_error

pytestmark = pytest.mark.local_only("presigning needs the admin role, which only a local app grants")


@pytest.fixture(autouse=True)
def frozen(file_app: TestApp) -> None:
    """The clock at 2031-05-01T12:00:00Z, before anyone signs in (their tokens run on it)."""
    file_app.clock.set("2031-05-01T12:00:00Z")


@pytest.fixture
def admin(file_app: TestApp) -> Any:
    """A signed-in admin of file-app."""
    return file_app.as_user("root@example.com", roles=["admin"])


@pytest.fixture
def presign(admin: Any) -> Any:
    """``presign(method, name, expires_in=None)``: the answer of ``POST /api/_files/presign``."""

    def make(method: str, name: str, expires_in: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"method": method, "name": name}
        if expires_in is not None:
            body["expires_in"] = expires_in
        response = admin.post("/api/_files/presign", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return make


def test_a_presigned_url_names_its_method_expiry_and_signature(file_app: TestApp, presign: Any) -> None:
    answer = presign("PUT", "reports/q1.txt", expires_in=600)
    assert answer["method"] == "PUT"
    assert answer["expires_at"] == "2031-05-01T12:10:00.000Z"
    parts = urlsplit(answer["url"])
    assert parts.path == "/files/presigned/reports/q1.txt"
    query = parse_qs(parts.query)
    assert query["method"] == ["PUT"]
    assert query["expires"] == ["1935403800"]  # 2031-05-01T12:10:00Z in unix seconds (date -d ... +%s)
    assert len(query["signature"][0]) == 64


def test_a_put_stores_the_body_and_a_get_serves_it(
    file_app: TestApp, presign: Any, on_disk: Any, blob_of: Any
) -> None:
    put = presign("PUT", "reports/q2.txt")["url"]
    response = file_app.put(put, content=b"second quarter\n", headers={"Content-Type": "text/plain"})
    assert response.status_code == 201, response.text
    stored = response.json()
    assert (stored["name"], stored["size"], stored["content_type"]) == ("reports/q2.txt", 15, "text/plain")
    got = file_app.get(presign("GET", "reports/q2.txt")["url"])
    assert got.status_code == 200
    assert got.content == b"second quarter\n"
    assert on_disk("blobs") == {blob_of(b"second quarter\n")}
    assert file_app.db["_kiln_files"].get(stored["id"])["kind"] == "presigned"


def test_a_second_put_replaces_the_first(file_app: TestApp, presign: Any, on_disk: Any, blob_of: Any) -> None:
    put = presign("PUT", "logo.txt")["url"]
    first = file_app.put(put, content=b"version one").json()
    second = file_app.put(put, content=b"version two").json()
    assert file_app.get(presign("GET", "logo.txt")["url"]).content == b"version two"
    assert on_disk("blobs") == {blob_of(b"version two")}
    assert [row["id"] for row in file_app.db["_kiln_files"].rows] == [second["id"]]
    assert first["id"] != second["id"]


def test_a_get_of_a_name_never_put_is_404(file_app: TestApp, presign: Any) -> None:
    assert_error(file_app.get(presign("GET", "nothing-here")["url"]), 404, "not_found")


def test_a_tampered_url_is_403_forbidden(file_app: TestApp, presign: Any) -> None:
    url = presign("GET", "a.txt")["url"]
    for changed in (
        url.replace("a.txt", "b.txt"),
        url.replace("expires=", "expires=9"),
        url[:-1] + ("0" if url[-1] != "0" else "1"),
        url.split("&signature=")[0],
    ):
        error = assert_error(file_app.get(changed), 403, "forbidden")
        assert error["message"] in (
            "the URL's signature does not match: it was changed or was not made here",
            "this URL is not a presigned URL: it needs method, expires and signature",
        )


def test_a_url_for_one_method_refuses_the_other(file_app: TestApp, presign: Any) -> None:
    get = presign("GET", "c.txt")["url"]
    error = assert_error(file_app.put(get, content=b"sneaky"), 403, "forbidden")
    assert error["message"] == "this URL is for GET, not PUT"
    assert file_app.db["_kiln_files"].count == 0


def test_a_url_past_its_expiry_on_the_clock_is_url_expired(file_app: TestApp, presign: Any) -> None:
    put = presign("PUT", "late.txt", expires_in=60)["url"]
    file_app.clock.advance(seconds=60)
    assert file_app.put(put, content=b"just in time").status_code == 201
    file_app.clock.advance(seconds=1)
    error = assert_error(file_app.put(put, content=b"too late"), 403, "url_expired")
    assert error["message"] == "the presigned URL has expired"


def test_a_presigned_put_over_the_limit_is_413(file_app: TestApp, presign: Any, on_disk: Any) -> None:
    put = presign("PUT", "huge.bin")["url"]
    error = assert_error(file_app.put(put, content=b"x" * 2_000_001), 413, "payload_too_large")
    assert error["message"] == "the body is larger than 2000000 bytes"
    assert on_disk("tmp") == set()
    assert file_app.db["_kiln_files"].count == 0


def test_only_admins_presign(file_app: TestApp, alice: Any) -> None:
    assert_error(alice.post("/api/_files/presign", json={"method": "GET", "name": "x"}), 403, "forbidden")
    assert_error(
        file_app.post("/api/_files/presign", json={"method": "GET", "name": "x"}), 401, "unauthorized"
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"method": "DELETE", "name": "x"}, {"method": "must be GET or PUT"}),
        (
            {"method": "GET", "name": ""},
            {"name": "must be 1 to 255 characters, without control characters, \\ or a leading /"},
        ),
        (
            {"method": "GET", "name": "/abs"},
            {"name": "must be 1 to 255 characters, without control characters, \\ or a leading /"},
        ),
        (
            {"method": "GET", "name": "x", "expires_in": 0},
            {"expires_in": "must be a whole number of seconds from 1 to 604800"},
        ),
        (
            {"method": "GET", "name": "x", "expires_in": 604801},
            {"expires_in": "must be a whole number of seconds from 1 to 604800"},
        ),
        (
            {"method": "GET", "name": "x", "ttl": 5},
            {"ttl": "is not a presign option (method, name, expires_in)"},
        ),
    ],
    ids=["method", "empty-name", "leading-slash", "zero-seconds", "over-a-week", "unknown-key"],
)
def test_a_bad_presign_request_is_422(admin: Any, body: dict[str, Any], fields: dict[str, str]) -> None:
    error = assert_error(admin.post("/api/_files/presign", json=body), 422, "validation_failed")
    assert error["fields"] == fields


def test_a_put_keeps_an_earlier_file_of_the_name_that_a_record_holds(
    file_app: TestApp, admin: Any, presign: Any
) -> None:
    put = presign("PUT", "banner.png")["url"]
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "gold").save(out, "PNG")
    first = file_app.put(put, content=out.getvalue()).json()
    album = admin.post("/api/albums", json={"title": "Bannered", "cover": first["id"]}).json()
    second = file_app.put(put, content=b"plain text now").json()
    assert {row["id"] for row in file_app.db["_kiln_files"].rows} == {first["id"], second["id"]}
    assert admin.get(album["cover"]["url"]).content == out.getvalue()
    assert file_app.get(presign("GET", "banner.png")["url"]).content == b"plain text now"
