"""Uploads are read as they stream: a body cut off halfway, or one far too large, leaves nothing."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

_HEAD = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="{part}"; filename="half.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)


def _request(file_app: TestApp, token: str, path: str, part: str, length: int, request_id: str) -> bytes:
    """The head of a multipart request declaring ``length`` bytes of body."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{file_app.port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {length}\r\n"
        f"X-Request-Id: {request_id}\r\n\r\n"
    ).encode() + _HEAD.replace(b"{part}", part.encode())


@pytest.mark.local_only("looks at the data directory while the upload is cut off")
@pytest.mark.parametrize(
    ("path", "part", "table"),
    [("/api/_files", "file", None), ("/api/documents", "attachment", "documents")],
    ids=["files-endpoint", "record-field"],
)
def test_a_socket_closed_halfway_leaves_no_temporary_file_blob_or_row(
    file_app: TestApp, alice: Any, on_disk: Any, path: str, part: str, table: str | None
) -> None:
    request_id = unique_id("cut")
    half = b"%PDF-1.4\n" + b"x" * 60_000  # documents take 100 KB; /api/_files 2 MB
    head = _request(file_app, alice.token, path, part, len(half) * 2 + 200, request_id)
    with socket.create_connection(("127.0.0.1", file_app.port)) as sock:
        sock.sendall(head + half)
    exchange = file_app.wait_for_request(request_id)
    assert exchange.status == 499  # the client left before any answer: nginx's "client closed"
    assert on_disk("tmp") == set()
    assert on_disk("blobs") == set()
    assert file_app.db["_kiln_files"].count == 0
    if table is not None:
        assert file_app.db[table].count == 0
    assert alice.get("/api/documents").json()["total"] == 0  # and the server serves on


def test_a_malformed_body_is_400(alice: Any, on_disk: Any) -> None:
    response = alice.post(
        "/api/_files",
        content=b"--XyZ\r\nno headers here\r\n\r\n",
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert_error(response, 400, "bad_request")
    assert on_disk("tmp") in (None, set())


def test_a_body_cut_before_its_closing_boundary_is_400(alice: Any, on_disk: Any) -> None:
    body = _HEAD.replace(b"{part}", b"file") + b"some bytes and no end"
    response = alice.post(
        "/api/_files", content=body, headers={"content-type": "multipart/form-data; boundary=XyZ"}
    )
    error = assert_error(response, 400, "bad_request")
    assert error["message"] == "the multipart body ended before its closing boundary"
    assert on_disk("tmp") in (None, set())
    assert on_disk("blobs") in (None, set())


def test_more_than_a_hundred_parts_is_400(alice: Any) -> None:
    fields = {f"f{n}": str(n) for n in range(101)}
    response = alice.post("/api/_files", data=fields, files={"file": ("a.txt", b"hi", "text/plain")})
    error = assert_error(response, 400, "bad_request")
    assert error["message"] == "the body has more than 100 parts"


def test_a_body_far_over_the_limit_is_answered_and_the_connection_closed(
    file_app: TestApp, alice: Any, on_disk: Any
) -> None:
    # /api/documents' attachment takes 100 KB: kiln drains up to 400 KB, then answers and closes
    body = b"%PDF-1.4\n" + b"x" * 2_000_000
    head = _request(file_app, alice.token, "/api/documents", "attachment", len(body) + 100, unique_id("big"))
    with socket.create_connection(("127.0.0.1", file_app.port), timeout=10) as sock:
        sender = threading.Thread(target=_send_quietly, args=(sock, head + body))
        sender.start()
        answer = _read_answer(sock)
        sender.join(timeout=10)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"connection: close" in answer.lower()
    assert b'"code":"payload_too_large"' in answer
    assert b'"message":"attachment is larger than 100000 bytes"' in answer
    assert on_disk("tmp") in (None, set())


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server closed the connection: that is what is tested
        sock.sendall(data)


def _read_answer(sock: socket.socket) -> bytes:
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
        if b"\r\n\r\n" in received and received.rstrip().endswith(b"}}"):
            break
    return received
