"""``GET /_dev/outbox?to=ADDRESS``: in dev mode, the mail the app sent to one address.

It lets a test (the harness in remote mode, or a person with curl) read a verification or reset
mail from a running ``kiln serve`` without a mail server, as Django's console mail backend or
Rails' mailer previews do in development. It answers only in ``dev`` mode (``kiln serve``'s
default, bound to 127.0.0.1); in ``prod`` mode the route is 404 like any unknown path. It names
one address, so it never lists everyone's mail.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kiln.errors import NotFound, ValidationFailed
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Manifest

__all__ = ["DEV_OUTBOX", "dev_routes"]

DEV_OUTBOX = "/_dev/outbox"
_COLUMNS = "id, created_at, to_address, sender, subject, body, html, status, attempts"


async def dev_outbox(request: Request) -> Response:
    """``{"items": [{"id", "created_at", "to", "from", "subject", "text", "html", "status",
    "attempts"}]}``, oldest first, for the mail sent to ``?to=``."""
    state = request.app.state.kiln
    if state.mode != "dev":
        raise NotFound(f"no route matches {request.url.path}")
    address = request.query_params.get("to", "").strip().lower()
    if "@" not in address:
        raise ValidationFailed(
            "name the address whose mail to show: ?to=ann@example.com", fields={"to": "is required"}
        )
    rows = state.db.conn.execute(
        f"SELECT {_COLUMNS} FROM _kiln_outbox WHERE lower(to_address) LIKE ? ESCAPE '\\' ORDER BY id",
        [f"%{_escape(address)}%"],
    ).fetchall()
    items = []
    for mail_id, created, to, sender, subject, body, html, status, attempts in rows:
        recipients = [part.strip() for part in to.split(",")]
        if address not in (part.lower() for part in recipients):
            continue  # "ann@example.com" must not match "joann@example.com"
        items.append(
            {
                "id": mail_id,
                "created_at": created,
                "to": recipients,
                "from": sender,
                "subject": subject,
                "text": body,
                "html": html,
                "status": status,
                "attempts": attempts,
            }
        )
    return JSONResponse({"items": items})


def dev_routes(manifest: Manifest) -> list[BaseRoute]:
    """The dev outbox, for an app that sends mail."""
    if not manifest.has_outbox:
        return []
    return [Route(DEV_OUTBOX, dev_outbox, methods=["GET"], name="dev-outbox")]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
