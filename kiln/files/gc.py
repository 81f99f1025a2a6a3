"""``kiln gc``: remove what no record needs any more, and what a crash left behind.

In one write transaction (so it is safe while the app serves, whose uploads make their blob
inside their own write transaction):

1. orphans: uploads to ``POST /api/_files`` that no record took up, older than
   ``[files] orphan_ttl`` on the clock it is given;
2. blobs no file row names: those queued for unlinking when a crash came between a commit and
   the unlink, and any other file under ``blobs/`` (thumbnails with them);
3. upload temporary files under ``tmp/`` untouched for :data:`STALE_TMP` seconds.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from kiln.fieldtypes import FILES_TABLE, format_datetime
from kiln.files.blobs import TMP_PREFIX, BlobStore
from kiln.manifest.model import Manifest
from kiln.store.files import RELEASES_TABLE, unreferenced

__all__ = ["STALE_TMP", "Collected", "collect_garbage"]

#: Seconds after its last write that an upload's temporary file counts as abandoned.
STALE_TMP = 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Collected:
    """What one run removed: a line for each thing, and the bytes freed."""

    removed: list[str] = field(default_factory=list)
    freed: int = 0

    def note(self, what: str, size: int | None = None) -> None:
        """Record one removal; ``size`` is the bytes it freed on disk, if it was a file."""
        self.removed.append(what if size is None else f"{what} ({size} bytes)")
        self.freed += size or 0


def collect_garbage(conn: sqlite3.Connection, manifest: Manifest, data_dir: Path, now: datetime) -> Collected:
    """Remove orphans, blobs without rows and stale temporary files; returns what went."""
    blobs = BlobStore(data_dir)
    collected = Collected()
    cutoff = format_datetime(now - timedelta(seconds=manifest.files.orphan_ttl))
    free = unreferenced(manifest, f"{FILES_TABLE}.id")
    conn.execute("BEGIN IMMEDIATE")
    try:
        old_uploads = f"kind = 'upload' AND created_at < ? {free}"
        orphans = conn.execute(f"SELECT id, name FROM {FILES_TABLE} WHERE {old_uploads}", [cutoff])
        for file_id, name in orphans.fetchall():
            conn.execute(f"DELETE FROM {FILES_TABLE} WHERE id = ?", [file_id])
            collected.note(f"orphan file {file_id} {name!r}")  # its blob goes below, if no row shares it
        known = {row[0] for row in conn.execute(f"SELECT DISTINCT sha256 FROM {FILES_TABLE}")}
        for path in sorted(blobs.blobs.glob("*/*")):
            if path.is_file() and path.name not in known:
                size = path.stat().st_size
                blobs.unlink(path.name)
                collected.note(f"blob {path.name}", size)
        for path in sorted(blobs.thumbs.glob("*")):
            if _SHA256.match(path.name) and path.name not in known:
                blobs.unlink(path.name)
        conn.execute(f"DELETE FROM {RELEASES_TABLE}")
        stale = time.time() - STALE_TMP
        for path in sorted(blobs.tmp.glob(f"{TMP_PREFIX}*")):
            info = path.stat()
            if info.st_mtime < stale:
                path.unlink(missing_ok=True)
                collected.note(f"temporary file {path.name}", info.st_size)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return collected
