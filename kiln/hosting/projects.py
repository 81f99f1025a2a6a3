"""The projects a host serves: each an app folder under ``ROOT/projects/<slug>/`` with its data in
the folder's ``.kiln/data`` (kiln's default, so ``kiln logs ROOT/projects/<slug>`` works), compiled
and started in the host's process.

A deploy unpacks the bundle beside the projects, compiles it (``kiln check``), and only then
stops the old version, moves its ``.kiln`` (data, secrets, logs) into the new code and starts
that. If the new version does not start (a schema change that would lose data, say), the old
code gets its data back and serves again. Which user owns which project is the control app's
business (:mod:`kiln.hosting.api`); this module knows folders and running apps.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from kiln.clock import Clock
from kiln.compiler import CompiledApp, compile_app
from kiln.errors import KilnError, ManifestError, ValidationFailed
from kiln.hosting.bundles import BundleError, extract_bundle
from kiln.hosting.lifespan import Lifespan
from kiln.hosting.logs import ProjectLogs, for_project
from kiln.logs import LOG_FILE

__all__ = ["SLUG", "Project", "Projects", "check_slug"]

logger = logging.getLogger("kiln.host")
#: A project's name: a DNS label of lowercase letters, digits and inner hyphens.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
#: Names the host keeps for itself.
_RESERVED = frozenset({"www", "host", "admin", "api", "mail", "smtp"})


def check_slug(slug: Any) -> str:
    """``slug`` if it can name a project; 422 ``validation_failed`` on ``slug`` otherwise."""
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValidationFailed(
            "the project's name is invalid",
            fields={"slug": "must be 1 to 63 lowercase letters, digits and inner hyphens"},
        )
    if slug in _RESERVED:
        raise ValidationFailed("the project's name is taken", fields={"slug": "is reserved by the host"})
    return slug


@dataclass
class Project:
    """One running project: its app, that app's state (database, clock) and its lifespan."""

    slug: str
    folder: Path
    compiled: CompiledApp
    app: ASGIApp
    state: Any
    lifespan: Lifespan


class Projects:
    """The projects under ``root / "projects"``, each served by its own app instance.

    ``options`` are passed to each :meth:`kiln.compiler.CompiledApp.instance` (``mode``, ``smtp``).
    Every change runs under one lock, so two deploys of one project never interleave.
    """

    def __init__(self, root: Path, *, clock: Callable[[], Clock] = Clock, **options: Any) -> None:
        self.folder = root / "projects"
        self._staging = root / "staging"
        self._clock = clock
        self._options = options
        self.running: dict[str, Project] = {}
        #: Each project's clock, kept across restarts and redeploys (a dev clock that was moved
        #: stays where it was put), dropped with a takedown.
        self._clocks: dict[str, Clock] = {}
        #: The root log handler that writes each project's records to its own file.
        self.logs = ProjectLogs()
        self._lock = asyncio.Lock()

    async def start_all(self) -> None:
        """Start every project found on disk (a folder that does not start is logged and skipped)."""
        logging.getLogger().addHandler(self.logs)
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self._staging, ignore_errors=True)  # what a deploy cut short left
        for folder in sorted(path for path in self.folder.iterdir() if path.is_dir()):
            try:
                self.running[folder.name] = await self._start(folder.name)
            except Exception:
                logger.exception("project %s does not start; it is not served", folder.name)

    async def stop_all(self) -> None:
        """Stop every project."""
        for slug in list(self.running):
            await self._stop(slug)
        logging.getLogger().removeHandler(self.logs)
        self.logs.close()

    async def deploy(self, slug: str, bundle: bytes) -> None:
        """Serve ``bundle`` as ``slug``: a new project, or new code over the old one's data.
        :class:`BundleError` (422) or another :class:`KilnError` leaves what served before serving."""
        async with self._lock:
            self._staging.mkdir(parents=True, exist_ok=True)
            stage = self._staging / f"{slug}-{uuid.uuid4().hex[:8]}"
            try:
                extract_bundle(bundle, stage)
                try:
                    compile_app(stage)
                except ManifestError as exc:
                    problems = "; ".join(str(problem) for problem in exc.problems)
                    raise BundleError(f"it fails kiln check: {problems}") from None
                await self._replace(slug, stage)
            finally:
                shutil.rmtree(stage, ignore_errors=True)

    async def _replace(self, slug: str, stage: Path) -> None:
        final = self.folder / slug
        old = final.with_name(f".{slug}.old")
        had_old = final.exists()
        if slug in self.running:
            await self._stop(slug)
        if had_old:
            final.rename(old)
            if (old / ".kiln").exists():
                (old / ".kiln").rename(stage / ".kiln")
        stage.rename(final)
        try:
            self.running[slug] = await self._start(slug)
        except Exception as exc:
            shutil.rmtree(stage, ignore_errors=True)
            final.rename(stage)  # the new code goes back to be removed; the old comes back
            if had_old:
                if (stage / ".kiln").exists():
                    (stage / ".kiln").rename(old / ".kiln")
                old.rename(final)
                self.running[slug] = await self._start(slug)
            if isinstance(exc, KilnError):
                raise BundleError(f"it does not start: {exc.message}") from None
            raise
        if had_old:
            shutil.rmtree(old, ignore_errors=True)

    async def rename(self, slug: str, new: str) -> None:
        """Serve ``slug`` as ``new`` from now on, with its data."""
        async with self._lock:
            if slug in self.running:
                await self._stop(slug)
            (self.folder / slug).rename(self.folder / new)
            if slug in self._clocks:
                self._clocks[new] = self._clocks.pop(slug)
            self.running[new] = await self._start(new)

    async def restart(self, slug: str) -> Project:
        """Stop ``slug`` and start it again (to read new secrets, say); the running project."""
        async with self._lock:
            if slug in self.running:
                await self._stop(slug)
            self.running[slug] = await self._start(slug)
            return self.running[slug]

    async def take_down(self, slug: str) -> None:
        """Stop serving ``slug`` and remove its code and data."""
        async with self._lock:
            if slug in self.running:
                await self._stop(slug)
            shutil.rmtree(self.folder / slug, ignore_errors=True)
            self._clocks.pop(slug, None)

    async def _start(self, slug: str) -> Project:
        folder = self.folder / slug
        compiled = compile_app(folder)
        data_dir = folder / ".kiln" / "data"
        compiled.prepare(data_dir)
        self.logs.open(slug, data_dir / LOG_FILE)
        with for_project(slug):  # what the project starts (its runtime's tasks) logs as its own
            clock = self._clocks.setdefault(slug, self._clock())
            app, state = compiled.instance(data_dir, clock=clock, **self._options)
            lifespan = Lifespan(app)
            await lifespan.start()
            logger.info("project %s serving from %s", slug, folder)
        return Project(slug, folder, compiled, app, state, lifespan)

    async def _stop(self, slug: str) -> None:
        project = self.running.pop(slug)
        with for_project(slug):
            try:
                await project.lifespan.stop()
            except Exception:
                logger.exception("project %s did not stop cleanly", slug)
        self.logs.close_project(slug)
