"""``Served``: what a target resolved into, and what ``TestApp`` knows about the app's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.types import ASGIApp

__all__ = ["Served"]


@dataclass
class Served:
    """What ``TestApp`` serves, with what it knows about the app's state."""

    asgi: ASGIApp
    name: str
    db_path: Path | None = None
    kiln_clock: Any = None  # kiln.clock.Clock, for kiln apps
    kiln_app: Any = None  # kiln.compiler.CompiledApp, for kiln apps
    kiln_queries: Any = None  # kiln.store.QueryLog, for kiln apps
    kiln_state: Any = None  # kiln.app.AppState, for kiln apps: the runtime, the SMTP port
    secrets: Mapping[str, str] | None = None
