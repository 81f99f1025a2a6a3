"""What a handler receives as ``ctx``: the app's database, clock, settings, secrets and user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiln.clock import Clock
from kiln.store.database import Database

__all__ = ["HandlerContext"]


@dataclass
class HandlerContext:
    """Passed to every handler as ``fn(request, ctx)``.

    ``db`` is a ``sqlite_utils.Database`` on the app's database, opened on first use and closed
    when the handler returns; it is the handler's own connection, so a sync handler running in a
    worker thread can use it freely.
    """

    clock: Clock
    settings: dict[str, Any]
    secrets: dict[str, str] = field(repr=False)
    database: Database = field(repr=False)
    user: Any = None
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
        state = request.app.state.kiln
        return cls(
            clock=state.clock,
            settings=state.settings,
            secrets=state.secrets,
            database=state.db,
            user=user,
        )

    def close(self) -> None:
        """Close the database connection, if the handler opened one."""
        if self._db is not None:
            self._db.conn.close()
            self._db = None
