"""Build the Starlette app that serves one compiled kiln app on one data directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kiln.clock import Clock
from kiln.compiler import DB_NAME

if TYPE_CHECKING:
    from kiln.compiler import CompiledApp

__all__ = ["AppState", "build_app"]


@dataclass
class AppState:
    """What every part of a running kiln app shares; available as ``request.app.state.kiln``."""

    name: str
    data_dir: Path
    db_path: Path
    clock: Clock
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    debug: bool = False
    mode: str = "dev"


def build_app(
    compiled: CompiledApp,
    data_dir: Path,
    *,
    clock: Clock,
    settings: dict[str, Any],
    secrets: dict[str, str],
    debug: bool,
    mode: str,
) -> Starlette:
    """The ASGI app for ``compiled`` serving ``data_dir``."""
    state = AppState(
        name=compiled.name,
        data_dir=data_dir,
        db_path=data_dir / DB_NAME,
        clock=clock,
        settings=settings,
        secrets=secrets,
        debug=debug,
        mode=mode,
    )
    app = Starlette(debug=debug, routes=[Route("/health", health, methods=["GET"])])
    app.state.kiln = state
    return app


async def health(request: Request) -> JSONResponse:
    """``GET /health``: ``{"status": "ok", "app": NAME, "mode": "dev"|"prod"}``."""
    state: AppState = request.app.state.kiln
    return JSONResponse({"status": "ok", "app": state.name, "mode": state.mode})
