"""``GET /files/{id}/{name}``: headers, ranges (RFC 9110), conditional requests and wrong names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import assert_error

_BYTES = bytes(range(256)) * 40  # 10,240 bytes, every byte value, no signature


@pytest.fixture
def stored(alice: Any) -> dict[str, Any]:
    """A 10,240-byte binary file alice uploaded."""
    response = alice.post("/api/_files", files={"file": ("data.bin", _BYTES, "application/octet-stream")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_download_carries_its_headers(alice: Any, stored: dict[str, Any]) -> None:
    response = alice.get(stored["url"])
    assert response.status_code == 200
    assert response.content == _BYTES
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == "10240"
    assert response.headers["etag"] == f'"{stored["sha256"]}"'
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'attachment; filename="data.bin"'
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_head_has_the_headers_and_no_body(alice: Any, stored: dict[str, Any]) -> None:
    response = alice.head(stored["url"])
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "10240"
    assert response.headers["etag"] == f'"{stored["sha256"]}"'


@pytest.mark.parametrize(
    ("header", "content_range", "start", "end"),
    [
        ("bytes=0-99", "bytes 0-99/10240", 0, 100),
        ("bytes=10000-", "bytes 10000-10239/10240", 10000, 10240),
        ("bytes=-40", "bytes 10200-10239/10240", 10200, 10240),
        ("bytes=10200-99999", "bytes 10200-10239/10240", 10200, 10240),
    ],
    ids=["first-hundred", "open-ended", "suffix", "clipped-at-the-end"],
)
def test_a_single_range_is_206(
    alice: Any, stored: dict[str, Any], header: str, content_range: str, start: int, end: int
) -> None:
    response = alice.get(stored["url"], headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == content_range
    assert response.content == _BYTES[start:end]
    assert response.headers["content-length"] == str(end - start)


def test_a_range_past_the_end_is_416_in_the_envelope(alice: Any, stored: dict[str, Any]) -> None:
    response = alice.get(stored["url"], headers={"Range": "bytes=20000-30000"})
    error = assert_error(response, 416, "range_not_satisfiable")
    assert error["message"] == "the range is outside the file's 10240 bytes"
    assert response.headers["content-range"] == "bytes */10240"


def test_a_malformed_range_is_400(alice: Any, stored: dict[str, Any]) -> None:
    response = alice.get(stored["url"], headers={"Range": "bytes=abc"})
    assert_error(response, 400, "bad_request")


def test_if_range_with_the_current_etag_gives_the_range(alice: Any, stored: dict[str, Any]) -> None:
    headers = {"Range": "bytes=0-9", "If-Range": f'"{stored["sha256"]}"'}
    response = alice.get(stored["url"], headers=headers)
    assert response.status_code == 206
    assert response.content == _BYTES[:10]


def test_if_range_with_another_etag_gives_the_whole_file(alice: Any, stored: dict[str, Any]) -> None:
    headers = {"Range": "bytes=0-9", "If-Range": '"not-this-one"'}
    response = alice.get(stored["url"], headers=headers)
    assert response.status_code == 200
    assert response.content == _BYTES


def test_if_none_match_with_the_etag_is_304(alice: Any, stored: dict[str, Any]) -> None:
    response = alice.get(stored["url"], headers={"If-None-Match": f'"{stored["sha256"]}"'})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == f'"{stored["sha256"]}"'
    assert alice.get(stored["url"], headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_wrong_name_for_the_id_is_404(alice: Any, stored: dict[str, Any]) -> None:
    response = alice.get(f"/files/{stored['id']}/other.bin")
    error = assert_error(response, 404, "not_found")
    assert error["message"] == f"no file at /files/{stored['id']}/other.bin"


def test_an_unknown_id_is_404(alice: Any) -> None:
    assert_error(alice.get("/files/999999999/data.bin"), 404, "not_found")
    assert_error(alice.get("/files/99999999999999999999/data.bin"), 404, "not_found")


def test_a_browser_gets_the_json_envelope_under_files(alice: Any) -> None:
    response = alice.get("/files/999999999/x.bin", headers={"Accept": "text/html"})
    assert_error(response, 404, "not_found")
    assert response.headers["content-type"] == "application/json"


def test_the_name_in_the_url_is_read_percent_decoded(alice: Any, png: Callable[..., bytes]) -> None:
    made = alice.post("/api/_files", files={"file": ("plain.png", png(), "image/png")}).json()
    assert alice.get(made["url"].replace("plain.png", "plain%2Epng")).status_code == 200
