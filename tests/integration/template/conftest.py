"""Fixtures for the template category: site-app, and requests sent exactly as written."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp


@pytest.fixture
def site_app(test_app: Any) -> TestApp:
    """site-app: a fresh instance locally, the served one remotely."""
    started: TestApp = test_app("site-app")
    return started


@pytest.fixture
def raw_get(site_app: TestApp) -> Callable[[str], tuple[int, bytes]]:
    """``raw_get("/static/../app.toml")``: the status and body of a GET whose request target is
    sent byte for byte, as a client that does not tidy paths would (httpx removes dot segments)."""

    def get(target: str) -> tuple[int, bytes]:
        host = site_app.url.split("//", 1)[1]
        hostname, _, port = host.partition(":")
        with socket.create_connection((hostname, int(port or 80)), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body

    return get
