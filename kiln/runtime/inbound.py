"""Receive mail over SMTP (aiosmtpd, in the app's own event loop), parse it, and hand it to the app.

A message is parsed with the standard library (``email.policy.default``), passed to ``[mail]
inbound`` as ``fn(message, ctx)``, and stored in ``_kiln_inbox`` once the handler returned. The
SMTP reply says what happened:

- ``250`` — handled and stored;
- ``552`` — larger than :data:`MAX_MESSAGE` (aiosmtpd refuses it while it arrives);
- ``554`` — it does not parse as a mail message; stored nowhere;
- ``451`` — the handler raised; stored nowhere, so the sender may try again (the traceback is logged).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from kiln.clock import Clock
from kiln.fieldtypes.times import format_datetime
from kiln.http.context import HandlerContext, call_handler
from kiln.store.database import Database

__all__ = ["MAX_MESSAGE", "InboundMail", "Unparseable", "inbox_json", "parse_message", "summary"]

logger = logging.getLogger("kiln.mail")
MAX_MESSAGE = 10 * 1024 * 1024
_BROKEN = (
    errors.MissingHeaderBodySeparatorDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
INBOX_COLUMNS = "id, sender, recipients, subject, text, html, attachments, received_at"


class Unparseable(ValueError):
    """The bytes received are not a mail message kiln can read."""


def parse_message(raw: bytes) -> EmailMessage:
    """Parse ``raw`` with ``email.policy.default``; raises :class:`Unparseable` saying why not."""
    try:
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it raises means broken input
        raise Unparseable(f"cannot be parsed: {exc}") from None
    if not message.keys():
        raise Unparseable("has no headers")
    broken = [type(defect).__name__ for defect in message.defects if isinstance(defect, _BROKEN)]
    if broken:
        raise Unparseable(f"is malformed: {', '.join(broken)}")
    return message


def summary(message: EmailMessage, sender: str, recipients: list[str]) -> dict[str, Any]:
    """What the inbox keeps of a message: addresses, subject, text and HTML bodies, attachments."""
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        attachments.append(
            {
                "name": part.get_filename() or "",
                "content_type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return {
        "from": str(message.get("From") or sender),
        "to": recipients,
        "subject": str(message.get("Subject") or ""),
        "text": _body(message, "plain"),
        "html": _body(message, "html"),
        "attachments": attachments,
    }


def _body(message: EmailMessage, subtype: str) -> str | None:
    """The message's text (or HTML) body, with ``\n`` line endings; ``None`` if it has none."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        text = str(part.get_content())
    except (LookupError, UnicodeError):  # a charset Python does not know, or bytes it does not fit
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        text = payload.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")  # SMTP's line endings, as Python writes text


def inbox_json(row: Any) -> dict[str, Any]:
    """An ``_kiln_inbox`` row (selected as :data:`INBOX_COLUMNS`) as the inbox endpoint's object."""
    mail_id, sender, recipients, subject, text, html, attachments, received = row
    return {
        "id": mail_id,
        "from": sender,
        "to": json.loads(recipients),
        "subject": subject,
        "text": text,
        "html": html,
        "attachments": json.loads(attachments),
        "received_at": received,
    }


class SmtpListener:
    """An aiosmtpd handler that listens itself: ``listen(host, port)``, ``port`` and ``close()``.
    Subclasses set ``hostname`` (what the server says in its greeting) and handle the mail."""

    hostname = "kiln"

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int | None:
        """The port the listener is bound to, once it listens."""
        if self.server is None or not self.server.sockets:
            return None
        return int(self.server.sockets[0].getsockname()[1])

    async def listen(self, host: str, port: int) -> None:
        """Start listening for SMTP on ``host:port`` (0 for any free port)."""
        from aiosmtpd.smtp import SMTP

        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(self, hostname=self.hostname, data_size_limit=MAX_MESSAGE, loop=loop),
            host=host,
            port=port,
        )
        logger.info("taking mail over SMTP on %s:%s", host, self.port)

    async def close(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


class InboundMail(SmtpListener):
    """The aiosmtpd handler: ``handle_DATA`` parses, calls the app's handler and stores."""

    def __init__(
        self,
        handler: Callable[..., Any],
        database: Database,
        clock: Clock,
        context: Callable[[], HandlerContext],
    ) -> None:
        super().__init__()
        self._handler = handler
        self._db = database
        self._clock = clock
        self._context = context

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        recipients = [str(address) for address in envelope.rcpt_tos]
        try:
            message = parse_message(raw)
            kept = summary(message, str(envelope.mail_from or ""), recipients)
        except Unparseable as exc:
            logger.warning("refused a message from %s: it %s", envelope.mail_from, exc)
            return f"554 5.6.0 the message {exc}"
        ctx = self._context()
        try:
            await call_handler(self._handler, message, ctx)
        except Exception:
            logger.exception("the inbound mail handler failed on a message from %s", kept["from"])
            return "451 4.3.0 the app could not handle this message; try again later"
        finally:
            ctx.close()
        with self._db.write() as conn:
            row = conn.execute(
                "INSERT INTO _kiln_inbox (received_at, sender, recipients, subject, text, html, "
                "attachments, size, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [
                    format_datetime(self._clock.now()),
                    kept["from"],
                    json.dumps(kept["to"]),
                    kept["subject"],
                    kept["text"],
                    kept["html"],
                    json.dumps(kept["attachments"]),
                    len(raw),
                    raw,
                ],
            ).fetchone()
        logger.info("mail %s received from %s: %s", row[0], kept["from"], kept["subject"])
        return "250 2.0.0 OK"
