"""The one place the harness touches kiln: serving a kiln folder and signing in its users.

Nothing else in ``harness`` imports kiln, and this module is imported only when a kiln folder is
served, so ``import harness`` and serving a plain ASGI app never load kiln. kiln's own errors
become harness errors here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, StartError, TargetError
from harness.served import Served
from kiln.auth.direct import create_user as create_kiln_user
from kiln.clock import Clock
from kiln.compiler import app_folder, compile_app
from kiln.errors import KilnError
from kiln.hosting.bundles import make_bundle
from kiln.store import QueryLog

__all__ = ["bundle", "create_user", "inbox", "serve_folder", "settle", "smtp_port"]


def serve_folder(
    folder: Path, data_dir: Path, settings: Mapping[str, Any] | None, secrets: Mapping[str, str] | None
) -> Served:
    """Compile ``folder`` (once per process), give ``data_dir`` its database, and build the app."""
    folder = app_folder(folder)
    if not folder.is_dir():
        raise TargetError(
            f"cannot serve {str(folder)!r}: no such folder (a 'module:attr' string needs a colon)"
        )
    try:
        compiled = compile_app(folder)
        clock, queries = Clock(), QueryLog()
        db_path = compiled.prepare(data_dir)
        app, state = compiled.instance(
            data_dir, clock=clock, settings=settings, secrets=secrets, testing=True, queries=queries
        )
    except KilnError as exc:
        raise StartError(f"kiln app {folder} cannot start:\n{exc}", cause=exc) from exc
    return Served(
        app,
        compiled.name,
        db_path=db_path,
        kiln_clock=clock,
        kiln_app=compiled,
        kiln_queries=queries,
        kiln_state=state,
        secrets=secrets,
    )


def create_user(
    served: Served,
    data_dir: Path,
    *,
    email: str,
    roles: Sequence[str],
    verified: bool,
    password: str | None,
) -> tuple[dict[str, Any], str]:
    """Write the user straight into the served kiln app's database; ``(user, token)``."""
    if served.kiln_app is None:
        raise HarnessError(f"as_user needs a kiln app with [auth]; {served.name} is not a kiln app")
    if served.kiln_app.manifest.auth is None:
        raise HarnessError(f"as_user needs a kiln app with [auth]; {served.name} has no [auth] table")
    return create_kiln_user(
        served.kiln_app.manifest,
        data_dir,
        email=email,
        roles=roles,
        verified=verified,
        password=password,
        secrets=served.secrets,
        clock=served.kiln_clock,
    )


def smtp_port(served: Served) -> int | None:
    """The port the served kiln app listens for mail on, if it does."""
    runtime = served.kiln_state.runtime
    return runtime.smtp_port if runtime is not None else None


def settle(served: Served) -> None:
    """Wait for the served kiln app's runtime to finish what is due or under way (mail deliveries)."""
    runtime = served.kiln_state.runtime
    if runtime is not None:
        runtime.settle()


def inbox(served: Served) -> list[dict[str, Any]]:
    """The served kiln app's inbox, oldest first, as the inbox endpoint's objects."""
    from kiln.runtime.inbound import INBOX_COLUMNS, inbox_json

    conn = served.kiln_state.db.connect()
    try:
        rows = conn.execute(f"SELECT {INBOX_COLUMNS} FROM _kiln_inbox ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # no inbox: the app takes no mail
        return []
    finally:
        conn.close()
    return [inbox_json(row) for row in rows]


def bundle(folder: Path) -> bytes:
    """``folder`` as the ``.tar.gz`` ``kiln deploy`` sends (for kiln-smoke)."""
    return make_bundle(folder)
