"""``TestApp.mail``: the mail a kiln app sent (its outbox), what it received (its inbox), and
``send()``, which delivers a message to the app over a real SMTP connection."""

from __future__ import annotations

import smtplib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

__all__ = ["Mail", "Message", "RemoteMail"]

_SMTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Message:
    """One mail in the app's outbox.

    ``status`` is ``stored`` (the app has no ``[mail] outbound``), ``queued`` (waiting for a
    try), ``sent`` or ``failed`` (it gave up); ``attempts`` counts the tries.
    """

    to: str
    subject: str
    body: str
    html: str | None = None
    sender: str = ""
    status: str = "stored"
    attempts: int = 0
    last_error: str | None = None


class Mail:
    """The app's mail: ``outbox``, ``inbox`` and ``send(...)``."""

    def __init__(
        self,
        db_path: Path | None,
        smtp_port: Callable[[], int | None] = lambda: None,
        inbox: Callable[[], list[dict[str, Any]]] = list,
        settle: Callable[[], None] = lambda: None,
    ) -> None:
        self._db_path = db_path
        self._smtp_port = smtp_port
        self._inbox = inbox
        self._settle = settle

    @property
    def outbox(self) -> list[Message]:
        """Every mail the app sent, oldest first (empty for apps without an outbox).

        It is read once the deliveries under way have finished, so a mail the fake server already
        received reads ``sent``, not ``queued``.
        """
        if self._db_path is None:
            return []
        self._settle()
        conn = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT to_address, subject, body, html, sender, status, attempts, last_error "
                "FROM _kiln_outbox ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # no outbox table: the app sends no mail
            return []
        finally:
            conn.close()
        return [Message(*row) for row in rows]

    def sent_to(self, address: str) -> list[Message]:
        """The mail sent to ``address`` (one recipient among others counts), oldest first; remotely
        this is the one view of the outbox there is, so tests that need it run both ways."""
        wanted = address.strip().lower()
        return [m for m in self.outbox if wanted in (to.strip().lower() for to in m.to.split(","))]

    @property
    def inbox(self) -> list[dict[str, Any]]:
        """What the app received, oldest first, as the inbox endpoint's objects."""
        return self._inbox()

    def send(
        self,
        sender: str,
        to: str | Sequence[str],
        subject: str,
        text: str,
        html: str | None = None,
        attachments: Iterable[tuple[str, bytes, str]] = (),
    ) -> None:
        """Deliver a message to the app's own SMTP listener; returns once its inbound handler ran.

        ``attachments`` are ``(name, bytes, content_type)`` triples. A refused message raises
        ``smtplib.SMTPResponseException`` carrying the server's reply.
        """
        recipients = [to] if isinstance(to, str) else list(to)
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain="harness.localhost")
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        for name, content, content_type in attachments:
            maintype, _, subtype = content_type.partition("/")
            subtype = subtype or "octet-stream"
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
        self.send_bytes(sender, recipients, message.as_bytes(policy=message.policy.clone(linesep="\r\n")))

    def send_bytes(self, sender: str, to: str | Sequence[str], raw: bytes) -> None:
        """Deliver ``raw`` as it is (a malformed message, say) over SMTP to the app."""
        port = self._smtp_port()
        if port is None:
            raise HarnessError("this app listens for no mail: it needs [mail] inbound in its app.toml")
        recipients = [to] if isinstance(to, str) else list(to)
        with smtplib.SMTP("127.0.0.1", port, timeout=_SMTP_TIMEOUT) as smtp:
            try:
                smtp.sendmail(sender, recipients, raw)
            except smtplib.SMTPDataError as exc:
                raise smtplib.SMTPResponseException(exc.smtp_code, exc.smtp_error) from None


class RemoteMail:
    """``TestApp.mail`` in remote mode: ``sent_to(address)`` reads a kiln server's dev outbox
    (``GET /_dev/outbox?to=``, which ``kiln serve`` has in dev mode); the rest is local only."""

    def __init__(self, get: Callable[..., Any], local_only: Callable[[str, str], Exception]) -> None:
        self._get = get
        self._local_only = local_only

    def sent_to(self, address: str) -> list[Message]:
        """The mail the server sent to ``address``, oldest first."""
        response = self._get("/_dev/outbox", params={"to": address})
        if response.status_code != 200:
            raise self._local_only(
                "mail.sent_to()",
                f"the server shows no dev outbox (GET /_dev/outbox answered {response.status_code}): "
                "kiln serve has one in --mode dev",
            )
        return [
            Message(
                to=", ".join(item["to"]),
                subject=item["subject"],
                body=item["text"],
                html=item["html"],
                sender=item["from"],
                status=item["status"],
                attempts=item["attempts"],
            )
            for item in response.json()["items"]
        ]

    @property
    def outbox(self) -> list[Message]:
        """Local only: a shared server's whole outbox is every test's mail."""
        raise self._local_only("mail.outbox", "a running server's outbox holds every test's mail")

    @property
    def inbox(self) -> list[dict[str, Any]]:
        """Local only."""
        raise self._local_only("mail.inbox", "the inbox is read from the app's database")

    def send(self, *args: Any, **kwargs: Any) -> None:
        """Local only: the harness does not know a remote server's SMTP port."""
        raise self._local_only("mail.send()", "the harness does not know the server's SMTP port")

    def send_bytes(self, *args: Any, **kwargs: Any) -> None:
        """Local only, as :meth:`send`."""
        raise self._local_only("mail.send_bytes()", "the harness does not know the server's SMTP port")
