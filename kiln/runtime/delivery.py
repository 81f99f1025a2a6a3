"""Deliver queued outbox mail to ``[mail] outbound`` over SMTP, retrying with backoff on the clock.

A mail is tried as soon as the transaction that queued it commits. A failure is logged as a
warning and the mail waits ``30 s * 2^(attempts - 1)`` (at most an hour) of kiln's clock before
the next try, so a test moves ``app.clock`` to make it retry. After :data:`MAX_ATTEMPTS` it is
``failed``. The request that sent the mail never waits for any of this.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from kiln.clock import Clock
from kiln.fieldtypes.times import format_datetime
from kiln.store.database import Database

__all__ = ["MAX_ATTEMPTS", "Delivery", "backoff", "build_message"]

logger = logging.getLogger("kiln.mail")
MAX_ATTEMPTS = 8
SMTP_TIMEOUT = 10.0
_FIRST_WAIT = 30
_LONGEST_WAIT = 3600


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try."""
    return timedelta(seconds=min(_FIRST_WAIT * 2 ** (attempts - 1), _LONGEST_WAIT))


def build_message(row: dict[str, Any], when: datetime) -> EmailMessage:
    """The outbox row as a message: plain text, with an HTML alternative when it has one."""
    message = EmailMessage()
    message["From"] = row["sender"]
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = rfc2822(when)
    message["Message-ID"] = make_msgid(domain="kiln.localhost")
    message.set_content(row["body"])
    if row["html"]:
        message.add_alternative(row["html"], subtype="html")
    return message


class Delivery:
    """Sends the app's queued mail to one SMTP server, in the app's event loop."""

    def __init__(self, url: str, database: Database, clock: Clock) -> None:
        parts = urlsplit(url)
        self.url = url
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 25
        self._db = database
        self._clock = clock
        self._lock = asyncio.Lock()

    async def deliver_due(self) -> int:
        """Try every queued mail whose time has come; returns how many were sent."""
        async with self._lock:
            now = format_datetime(self._clock.now())
            rows = self._db.conn.execute(
                "SELECT id, to_address, subject, body, html, sender, attempts FROM _kiln_outbox "
                "WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id",
                [now],
            ).fetchall()
            sent = 0
            for mail_id, to, subject, body, html, sender, attempts in rows:
                row = {"to_address": to, "subject": subject, "body": body, "html": html, "sender": sender}
                message = build_message(row, self._clock.now())
                try:
                    await asyncio.to_thread(self._send, message)
                except (OSError, smtplib.SMTPException) as exc:
                    self._failed(mail_id, attempts + 1, exc)
                else:
                    self._sent(mail_id, attempts + 1)
                    sent += 1
            return sent

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(message)

    def _sent(self, mail_id: int, attempts: int) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE _kiln_outbox SET status = 'sent', attempts = ?, sent_at = ?, next_attempt_at = NULL "
                "WHERE id = ?",
                [attempts, format_datetime(self._clock.now()), mail_id],
            )
        logger.info("mail %s delivered to %s", mail_id, self.url)

    def _failed(self, mail_id: int, attempts: int, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        final = attempts >= MAX_ATTEMPTS
        retry = None if final else format_datetime(self._clock.now() + backoff(attempts))
        with self._db.write() as conn:
            conn.execute(
                "UPDATE _kiln_outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                ["failed" if final else "queued", attempts, error, retry, mail_id],
            )
        if final:
            logger.error("mail %s to %s failed %s times; giving up: %s", mail_id, self.url, attempts, error)
        else:
            logger.warning(
                "mail %s to %s failed (attempt %s), retrying at %s: %s",
                mail_id,
                self.url,
                attempts,
                retry,
                error,
            )

    def next_wake(self) -> datetime | None:
        """When the next queued mail is due, by kiln's clock."""
        row = self._db.conn.execute(
            "SELECT min(next_attempt_at) FROM _kiln_outbox WHERE status = 'queued'"
        ).fetchone()
        return datetime.fromisoformat(row[0].replace("Z", "+00:00")) if row and row[0] else None
