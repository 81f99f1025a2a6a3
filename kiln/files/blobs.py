"""Content-addressed blobs in the data directory, and uploads on their way to becoming one.

An upload is written to ``<data>/tmp/`` as it arrives, hashed as it goes (:class:`Incoming`),
and renamed to ``<data>/blobs/<first two hex digits>/<sha256>`` only when it is complete and
its row is written (:meth:`BlobStore.keep`), so a failed or cut-off upload leaves no blob. Bytes
stored twice are one blob. Thumbnails live under ``<data>/thumbs/<sha256>/`` and go with it.

A blob is unlinked only after the transaction that dropped its last file row commits
(:meth:`BlobStore.release`), from the queue the triggers of :mod:`kiln.store.files` fill.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import IO

from kiln.fieldtypes import FILES_TABLE
from kiln.store.files import RELEASES_TABLE

__all__ = ["TMP_PREFIX", "BlobStore", "Incoming"]

#: How the names of upload temporary files begin.
TMP_PREFIX = "upload-"


class Incoming:
    """An upload being written: a temporary file, its sha256 and its size so far."""

    def __init__(self, directory: Path, name: str, declared_type: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(prefix=TMP_PREFIX, dir=directory)
        self.path = Path(path)
        self.name = name
        self.declared_type = declared_type
        self.size = 0
        self.head = b""  # the first bytes, for sniffing the content type
        self.content_type = ""  # judged from ``head`` once enough of it has arrived
        self._file: IO[bytes] | None = os.fdopen(handle, "wb")
        self._hash = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data``."""
        assert self._file is not None, "the upload is finished"
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def finish(self) -> None:
        """Flush and close the temporary file; the upload is complete."""
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def sha256(self) -> str:
        """The hex sha256 of the bytes written so far."""
        return self._hash.hexdigest()

    def discard(self) -> None:
        """Remove the temporary file (nothing if it has become a blob)."""
        self.finish()
        self.path.unlink(missing_ok=True)


class BlobStore:
    """The blobs, thumbnails and upload temporary files of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.tmp = data_dir / "tmp"
        self.blobs = data_dir / "blobs"
        self.thumbs = data_dir / "thumbs"

    def incoming(self, name: str, declared_type: str) -> Incoming:
        """A new upload's temporary file."""
        return Incoming(self.tmp, name, declared_type)

    def path(self, sha256: str) -> Path:
        """Where the blob of ``sha256`` is."""
        return self.blobs / sha256[:2] / sha256

    def thumbs_of(self, sha256: str) -> Path:
        """The folder of the thumbnails of ``sha256``."""
        return self.thumbs / sha256

    def keep(self, upload: Incoming) -> Path:
        """Make a finished upload its blob (the same bytes kept before stay as they are)."""
        upload.finish()
        target = self.path(upload.sha256)
        if target.exists():
            upload.discard()
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, target)
        return target

    def release(self, conn: sqlite3.Connection) -> list[str]:
        """Unlink the queued blobs no file row refers to any more; returns their sha256s.

        Runs after a write commits, in a transaction of its own, so no upload can take up a
        sha256 between the check and the unlink.
        """
        if conn.execute(f"SELECT 1 FROM {RELEASES_TABLE} LIMIT 1").fetchone() is None:
            return []
        conn.execute("BEGIN IMMEDIATE")
        try:
            queued = [row[0] for row in conn.execute(f"SELECT sha256 FROM {RELEASES_TABLE}")]
            gone = [
                sha256
                for sha256 in queued
                if conn.execute(f"SELECT 1 FROM {FILES_TABLE} WHERE sha256 = ?", [sha256]).fetchone() is None
            ]
            for sha256 in gone:
                self.unlink(sha256)
            conn.executemany(f"DELETE FROM {RELEASES_TABLE} WHERE sha256 = ?", [[s] for s in queued])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return gone

    def unlink(self, sha256: str) -> None:
        """Remove the blob of ``sha256`` and its thumbnails, if they are there."""
        self.path(sha256).unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.thumbs_of(sha256))
