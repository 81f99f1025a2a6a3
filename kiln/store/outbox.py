"""Queue outgoing mail in ``_kiln_outbox``: verification and reset mail, and ``ctx.mail.send``.

The outbox keeps every mail the app sent, whether it is delivered or not. With ``[mail]
outbound`` a new mail is ``queued`` and the app's delivery loop sends it after commit (see
:mod:`kiln.runtime.delivery`); without it, it is ``stored`` and stays in the outbox only.
Queueing never talks to a mail server, so sending mail never fails or slows the request that sent it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime

from kiln.clock import Clock
from kiln.fieldtypes.times import format_datetime
from kiln.store.database import Database

__all__ = ["Outbox", "queue_mail"]


def queue_mail(
    conn: sqlite3.Connection,
    now: datetime,
    *,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    sender: str,
    deliver: bool,
) -> int:
    """Put one mail in the outbox inside the caller's transaction; returns its id."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(isinstance(address, str) and "@" in address for address in recipients):
        raise ValueError(f"a mail needs one or more addresses to go to, not {to!r}")
    stamp = format_datetime(now)
    row = conn.execute(
        "INSERT INTO _kiln_outbox (created_at, to_address, subject, body, html, sender, status, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [stamp, ", ".join(recipients), subject, text, html, sender, "queued" if deliver else "stored", stamp],
    ).fetchone()
    return int(row[0])


class Outbox:
    """``ctx.mail``: ``send(to, subject, text, html=None)`` queues a mail from a handler or a job.

    It writes on a connection of its own, so a sync handler in a worker thread may call it, and
    then wakes the delivery loop.
    """

    def __init__(
        self, database: Database, clock: Clock, *, sender: str, deliver: bool, wake: Callable[[], None]
    ) -> None:
        self._database = database
        self._clock = clock
        self.sender = sender
        #: Whether mail is delivered to ``[mail] outbound`` (else it stays in the outbox).
        self.deliver = deliver
        self._wake = wake

    def send(
        self,
        to: str | Sequence[str],
        subject: str,
        text: str,
        html: str | None = None,
        sender: str | None = None,
    ) -> int:
        """Queue a mail to ``to`` (an address or several); returns its outbox id."""
        conn = self._database.connect()
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                mail_id = queue_mail(
                    conn,
                    self._clock.now(),
                    to=to,
                    subject=subject,
                    text=text,
                    html=html,
                    sender=sender or self.sender,
                    deliver=self.deliver,
                )
        finally:
            conn.close()
        if self.deliver:
            self._wake()
        return mail_id
