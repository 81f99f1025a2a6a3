"""``TestApp.mail``: the mail a kiln app queued, read from its outbox."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Mail", "Message"]


@dataclass(frozen=True)
class Message:
    """One queued mail."""

    to: str
    subject: str
    body: str


class Mail:
    """The app's mail, as ``app.mail.outbox``."""

    def __init__(self, db_path: Path | None) -> None:
        self._db_path = db_path

    @property
    def outbox(self) -> list[Message]:
        """Every mail the app queued, oldest first (empty for apps without an outbox)."""
        if self._db_path is None:
            return []
        conn = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT to_address, subject, body FROM _kiln_outbox ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # no outbox table: the app sends no mail
            return []
        finally:
            conn.close()
        return [Message(*row) for row in rows]
