"""What a handler receives as ``ctx``: the app's database, clock, settings, secrets and user."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from kiln.clock import Clock
from kiln.store.database import Database

__all__ = ["HandlerContext", "call_handler"]


@dataclass
class HandlerContext:
    """Passed to every handler as ``fn(request, ctx)``, to cron jobs as ``fn(ctx)`` and to the
    inbound-mail handler as ``fn(message, ctx)``.

    ``secrets`` is a read-only mapping (``["NAME"]`` or ``.get("NAME")``), ``wasm`` the app's
    ``[wasm]`` modules by name, and ``mail`` the outbox (``ctx.mail.send(to, subject, text)``),
    ``None`` for an app that sends no mail. ``db`` is a ``sqlite_utils.Database`` on the app's
    database, opened on first use and closed when the handler returns; it is the handler's own
    connection, so a sync handler running in a worker thread can use it freely.
    """

    clock: Clock
    settings: dict[str, Any]
    secrets: Mapping[str, str] = field(repr=False)
    database: Database = field(repr=False)
    user: Any = None
    wasm: Mapping[str, Any] = field(default_factory=dict, repr=False)
    mail: Any = field(default=None, repr=False)  # kiln.store.outbox.Outbox
    _db: Any = field(default=None, repr=False)

    @property
    def db(self) -> Any:
        """The app's database as a ``sqlite_utils.Database``."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.database.connect())
        return self._db

    @classmethod
    def for_request(cls, request: Any, user: dict[str, Any] | None) -> HandlerContext:
        """The context of ``request`` in the app instance serving it, for ``user``."""
        return cls.for_state(request.app.state.kiln, user)

    @classmethod
    def for_state(cls, state: Any, user: dict[str, Any] | None = None) -> HandlerContext:
        """The context of the app instance whose ``AppState`` is ``state``."""
        return cls(
            clock=state.clock,
            settings=state.settings,
            secrets=state.secrets,
            database=state.db,
            user=user,
            wasm=state.wasm,
            mail=state.outbox,
        )

    def close(self) -> None:
        """Close the database connection, if the handler opened one."""
        if self._db is not None:
            self._db.conn.close()
            self._db = None


async def call_handler(function: Callable[..., Any], *args: Any) -> Any:
    """Call a handler from ``handlers.py``: awaited if it is async, else in a worker thread."""
    if inspect.iscoroutinefunction(function):
        return await function(*args)
    return await run_in_threadpool(function, *args)
