"""``kiln gc APP``: orphans past ``orphan_ttl``, blobs without rows and stale temporary files go;
everything a record holds, or that is still young, stays. Run while the app serves."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln.cli import main

pytestmark = pytest.mark.local_only("runs kiln gc on the app's data directory")

FILE_APP = Path(__file__).parents[2] / "fixtures" / "file-app"


@pytest.fixture
def gc(file_app: TestApp, capsys: pytest.CaptureFixture[str]) -> Callable[[], list[str]]:
    """``gc()``: run ``kiln gc`` on file-app's data directory, while it serves; its output lines."""

    def run() -> list[str]:
        capsys.readouterr()
        assert main(["gc", str(FILE_APP), "--data", str(file_app.data_dir)]) == 0
        return capsys.readouterr().out.splitlines()

    return run


def test_gc_removes_old_orphans_and_keeps_the_rest(
    file_app: TestApp, gc: Any, alice: Any, png: Callable[..., bytes], on_disk: Any, blob_of: Any
) -> None:
    file_app.clock.set("2020-01-01T00:00:00Z")  # long before gc's now: these uploads are old
    early = file_app.as_user("early@example.com")
    orphan = early.post(
        "/api/_files", files={"file": ("lost.bin", b"nobody took me", "application/octet-stream")}
    ).json()
    held_data = png()
    held = early.post(
        "/api/albums", data={"title": "Held"}, files={"cover": ("h.png", held_data, "image/png")}
    ).json()
    file_app.clock.set(datetime.now(UTC))  # back to the present: this upload is young
    young = alice.post(
        "/api/_files", files={"file": ("new.bin", b"just arrived", "application/octet-stream")}
    ).json()

    lines = gc()

    assert lines == [
        f"removed orphan file {orphan['id']} 'lost.bin'",
        f"removed blob {orphan['sha256']} (14 bytes)",
        "2 removed, 14 bytes freed",
    ]
    ids = {row["id"] for row in file_app.db["_kiln_files"].rows}
    assert ids == {held["cover"]["id"], young["id"]}
    assert on_disk("blobs") == {blob_of(held_data), blob_of(b"just arrived")}
    assert file_app.get(held["cover"]["url"]).content == held_data  # the server serves on


def test_gc_removes_blobs_no_row_names(
    file_app: TestApp, gc: Any, alice: Any, on_disk: Any, blob_of: Any
) -> None:
    kept = alice.post("/api/_files", files={"file": ("k.bin", b"kept", "application/octet-stream")}).json()
    stray = file_app.data_dir / blob_of(b"left by a crash")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a crash")
    (file_app.data_dir / "thumbs" / stray.name).mkdir(parents=True)
    (file_app.data_dir / "thumbs" / stray.name / "64x64").write_bytes(b"thumb")

    lines = gc()

    assert lines == [f"removed blob {stray.name} (15 bytes)", "1 removed, 15 bytes freed"]
    assert on_disk("blobs") == {blob_of(b"kept")}
    assert on_disk("thumbs") == set()
    assert alice.get(kept["url"]).content == b"kept"


def test_gc_empties_the_queue_a_crash_left(
    file_app: TestApp, gc: Any, alice: Any, on_disk: Any, blob_of: Any
) -> None:
    made = alice.post("/api/_files", files={"file": ("q.bin", b"queued", "application/octet-stream")}).json()
    # a crash between the commit that dropped the row and the unlink: the row is gone, the
    # blob and its place in the queue are not
    file_app.db.execute("DELETE FROM _kiln_files WHERE id = ?", [made["id"]])
    file_app.db.conn.commit()
    assert on_disk("blobs") == {blob_of(b"queued")}

    lines = gc()

    assert lines[-1] == "1 removed, 6 bytes freed"
    assert on_disk("blobs") == set()
    assert file_app.db["_kiln_blob_releases"].count == 0


def test_gc_removes_stale_temporary_files_only(file_app: TestApp, gc: Any, on_disk: Any) -> None:
    tmp = file_app.data_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    stale, fresh = tmp / "upload-stale", tmp / "upload-fresh"
    stale.write_bytes(b"x" * 100)
    fresh.write_bytes(b"y" * 50)
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    lines = gc()

    assert lines == ["removed temporary file upload-stale (100 bytes)", "1 removed, 100 bytes freed"]
    assert on_disk("tmp") == {"tmp/upload-fresh"}


def test_gc_with_nothing_to_do_says_so(gc: Any) -> None:
    assert gc() == ["0 removed, 0 bytes freed"]


def test_gc_of_an_app_without_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    todo = Path(__file__).parents[2] / "fixtures" / "todo-app"
    assert main(["gc", str(todo), "--data", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{todo}: the app serves no files; nothing to collect\n"
