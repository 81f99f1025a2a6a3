"""Fixtures for the upload category: file-app, images made for each test, and what is on disk.

Every test checks the answer, and locally also the rows of ``_kiln_files`` and the files under
the data directory (``blobs/``, ``thumbs/``, ``tmp/``). Remotely the API is all there is, so the
disk checks are skipped (``on_disk`` is ``None``) and the HTTP checks still run.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from harness import TestApp, unique_id


@pytest.fixture
def file_app(test_app: Any) -> TestApp:
    """file-app: a fresh instance locally, the served one remotely."""
    started: TestApp = test_app("file-app")
    return started


@pytest.fixture
def alice(file_app: TestApp) -> Any:
    """A signed-in user of file-app (a new email each test, so a shared server is no trouble)."""
    return file_app.as_user(f"{unique_id('alice')}@example.com")


@pytest.fixture
def bob(file_app: TestApp) -> Any:
    """Another signed-in user."""
    return file_app.as_user(f"{unique_id('bob')}@example.com")


@pytest.fixture
def png() -> Callable[..., bytes]:
    """``png(width=40, height=20, kind="PNG")``: an image no other test uploads (its colour is
    its own); ``kind`` may be any format Pillow writes, such as JPEG or GIF."""
    seen: set[bytes] = set()

    def make(width: int = 40, height: int = 20, kind: str = "PNG") -> bytes:
        seed = int(hashlib.sha256(unique_id("img").encode()).hexdigest()[:6], 16)
        out = io.BytesIO()
        Image.new("RGB", (width, height), f"#{seed:06x}").save(out, kind)
        data = out.getvalue()
        assert data not in seen
        seen.add(data)
        return data

    return make


@pytest.fixture
def on_disk(file_app: TestApp) -> Callable[[str], set[str] | None]:
    """``on_disk("blobs")``: the files under that folder of the data directory, as relative
    paths; ``None`` remotely, where the disk cannot be seen."""

    def files(folder: str) -> set[str] | None:
        if file_app.remote:
            return None
        root = file_app.data_dir / folder
        return {p.relative_to(file_app.data_dir).as_posix() for p in root.rglob("*") if p.is_file()}

    return files


@pytest.fixture
def file_row(file_app: TestApp) -> Callable[[int], dict[str, Any] | None]:
    """``file_row(id)``: the row of ``_kiln_files`` locally (``None`` if gone); remotely, skipped."""

    def row(file_id: int) -> dict[str, Any] | None:
        rows = list(file_app.db["_kiln_files"].rows_where("id = ?", [file_id]))
        return rows[0] if rows else None

    return row


@pytest.fixture
def blob_of() -> Callable[[bytes], str]:
    """``blob_of(data)``: where the blob of these bytes lives, ``blobs/<2 hex>/<sha256>``."""

    def path(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        return f"blobs/{digest[:2]}/{digest}"

    return path
