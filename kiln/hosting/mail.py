"""The host's mail: one SMTP listener for every project, routing each recipient by its domain
(``<anything>@<slug>.<domain>`` is ``slug``'s), and the dev outbox, which shows the host's own
mail and every project's.

A recipient whose domain names no running project that takes mail is refused at ``RCPT`` (550),
so the sender learns at once; an accepted message is handed to each project's own inbound
handler (:class:`kiln.runtime.inbound.InboundMail`), which parses it, calls the app's handler and
stores it, as it would under ``kiln serve``.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from kiln.hosting.logs import for_project
from kiln.hosting.projects import Project, Projects
from kiln.runtime.inbound import SmtpListener

__all__ = ["HostMail", "outbox_items"]

logger = logging.getLogger("kiln.host.mail")


class HostMail(SmtpListener):
    """The aiosmtpd handler of ``kiln host --smtp-port``."""

    hostname = "kiln-host"

    def __init__(self, projects: Projects, domain: str) -> None:
        super().__init__()
        self._projects = projects
        self._suffix = f".{domain.lower()}"

    def _project_of(self, address: str) -> Project | None:
        domain = address.rpartition("@")[2].lower().rstrip(">")
        if not domain.endswith(self._suffix):
            return None
        project = self._projects.running.get(domain[: -len(self._suffix)])
        if project is None or project.state.runtime is None or project.state.runtime.inbound is None:
            return None
        return project

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self._project_of(address) is None:
            return f"550 5.1.1 no project here takes mail for {address}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        by_project: dict[str, list[str]] = {}
        for address in envelope.rcpt_tos:
            project = self._project_of(address)
            if project is not None:
                by_project.setdefault(project.slug, []).append(address)
        answer = "250 2.0.0 OK"
        for slug, recipients in by_project.items():
            project = self._projects.running.get(slug)
            if project is None or project.state.runtime is None or project.state.runtime.inbound is None:
                answer = "451 4.3.0 the project stopped meanwhile; try again later"
                continue
            theirs = copy.copy(envelope)
            theirs.rcpt_tos = recipients
            with for_project(slug):
                said: str = await project.state.runtime.inbound.handle_DATA(server, session, theirs)
            if not said.startswith("250"):
                answer = said
        return answer


def outbox_items(control_db: Any, projects: Projects, address: str) -> list[dict[str, Any]]:
    """The mail to ``address``, newest first by each sender's clock: the host's own (``project``
    null) and each running project's, as ``{"to", "subject", "text", "project", "created_at"}``."""
    sources: list[tuple[str | None, Any]] = [(None, control_db.conn)]
    sources += [
        (slug, project.state.db.conn)
        for slug, project in sorted(projects.running.items())
        if project.compiled.manifest.has_outbox
    ]
    items = []
    for slug, conn in sources:
        rows = conn.execute(
            "SELECT to_address, subject, body, created_at, id FROM _kiln_outbox "
            "WHERE instr(lower(to_address), ?) > 0",
            [address],
        ).fetchall()
        items += [
            {
                "to": to,
                "subject": subject,
                "text": text,
                "project": slug,
                "created_at": created,
                "_id": mail_id,
            }
            for to, subject, text, created, mail_id in rows
            if address in (part.strip().lower() for part in to.split(","))  # not joann@ for ann@
        ]
    items.sort(key=lambda item: (item["created_at"], item["project"] or "", item["_id"]), reverse=True)
    for item in items:
        del item["_id"]
    return items
