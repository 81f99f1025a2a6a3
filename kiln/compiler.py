"""Compile an app folder once; prepare data directories from it cheaply, many times.

:func:`compile_app` reads and validates the folder and builds a *template database* holding the
app's schema. It is cached per folder and manifest version, so a test suite compiles each fixture
app once per process. :meth:`CompiledApp.prepare` then gives a fresh data directory its database
by copying the template (a file copy, ~0.2 ms) instead of running the schema statements again.

This is the seam the harness uses::

    compiled = compile_app(folder)
    compiled.prepare(data_dir)                    # data_dir/kiln.db from the template
    asgi = compiled.build(data_dir, clock=clock)  # the Starlette app serving that directory
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kiln.app import AppState, SharedParts, build_instance, shared_parts
from kiln.clock import Clock
from kiln.errors import SchemaError
from kiln.handlers import HANDLERS_FILE
from kiln.manifest import MANIFEST, Manifest, load_manifest
from kiln.store import DB_NAME, QueryLog, connect, create_schema, migrate
from kiln.types import ASGIApp

__all__ = ["DB_NAME", "CompiledApp", "app_folder", "clear_cache", "compile_app"]  # DB_NAME: see kiln.store

_cache: dict[tuple[Path, int, int], CompiledApp] = {}
_cache_lock = threading.Lock()
_serial = itertools.count(1)
_template_root: Path | None = None


@dataclass(frozen=True)
class CompiledApp:
    """A validated app folder and the template database built from it."""

    folder: Path
    manifest: Manifest
    template_db: Path

    @cached_property
    def shared(self) -> SharedParts:
        """Routes and templates, built on first use and shared by every instance of this app."""
        return shared_parts(self.folder, self.manifest)

    @property
    def name(self) -> str:
        """The app's name from ``[app] name``."""
        return self.manifest.name

    def prepare(self, data_dir: Path) -> Path:
        """Give ``data_dir`` its database and return its path.

        A new directory gets a copy of the template; an existing database is migrated to this
        manifest, or :class:`kiln.store.SchemaError` says which change would lose data.
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        db_path = data_dir / DB_NAME
        if not db_path.exists():
            shutil.copyfile(self.template_db, db_path)
            return db_path
        try:
            conn = connect(db_path)
            try:
                migrate(conn, self.manifest)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:  # a file that is not SQLite, or a damaged one
            raise SchemaError(f"{db_path} cannot be opened as a database: {exc}") from exc
        return db_path

    def build(self, data_dir: Path, **options: Any) -> ASGIApp:
        """The ASGI app serving ``data_dir``, which :meth:`prepare` must have set up; the options
        are :meth:`instance`'s."""
        return self.instance(data_dir, **options)[0]

    def instance(
        self,
        data_dir: Path,
        *,
        clock: Clock | None = None,
        settings: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        debug: bool | None = None,
        mode: str = "dev",
        testing: bool = False,
        queries: QueryLog | None = None,
        smtp: tuple[str, int] | None = ("127.0.0.1", 0),
    ) -> tuple[ASGIApp, AppState]:
        """The ASGI app serving ``data_dir``, and its state (database, clock, runtime).

        ``queries``, for tests, records every SQL statement the app runs while it is watched;
        ``smtp`` is where an app with ``[mail] inbound`` listens (port 0: any free one).
        """
        return build_instance(
            self.manifest,
            self.shared,
            data_dir,
            clock=clock or Clock(),
            settings=dict(settings or {}),
            secrets=dict(secrets or {}),
            debug=self.manifest.debug if debug is None else debug,
            mode=mode,
            testing=testing,
            queries=queries,
            smtp=smtp,
        )


def compile_app(folder: str | Path) -> CompiledApp:
    """Validate ``folder`` and build its template database; cached until ``app.toml`` changes.

    ``folder`` may also be the path of the ``app.toml`` itself. Raises
    :class:`kiln.errors.ManifestError` listing every problem in the folder.
    """
    folder = app_folder(folder).resolve()
    key = (folder, _version(folder / MANIFEST), _version(folder / HANDLERS_FILE))
    with _cache_lock:
        compiled = _cache.get(key)
        if compiled is None:
            manifest = load_manifest(folder)
            compiled = CompiledApp(folder, manifest, _build_template(manifest))
            _cache[key] = compiled
    return compiled


def clear_cache() -> None:
    """Forget every compiled app, so the next :func:`compile_app` of a folder builds it afresh.

    For tools that record which test reaches which code, such as mutation testing: with the
    cache, only the first test to compile an app would be seen reaching the compiler.
    """
    with _cache_lock:
        _cache.clear()


def app_folder(path: str | Path) -> Path:
    """The app folder ``path`` names: the folder itself, or the folder of an ``app.toml`` path.

    A path named ``app.toml`` stands for its folder even when the file is missing, so that the
    folder's own problem (no such folder, no ``app.toml``) is what gets reported.
    """
    path = Path(path)
    return path.parent if path.name == MANIFEST and not path.is_dir() else path


def _version(path: Path) -> int:
    """The file's modification time, or -1 when it is missing (load_manifest reports that)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _build_template(manifest: Manifest) -> Path:
    # never reused, even after clear_cache, nor by a forked process, which shares the folder and
    # the count: two processes at once wrote one file (preforked servers, mutmut's runner)
    path = _templates_dir() / f"{manifest.name}-{os.getpid()}-{next(_serial)}.db"
    conn = connect(path)
    try:
        create_schema(conn, manifest)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, ready to copy
    finally:
        conn.close()
    return path


def _templates_dir() -> Path:
    global _template_root
    if _template_root is None:
        _template_root = Path(tempfile.mkdtemp(prefix="kiln-templates-"))
        atexit.register(shutil.rmtree, _template_root, True)
    return _template_root
