"""Who may download a file: whoever may read a record that refers to it, its uploader, and admins.

The files of entities whose ``read`` is ``public`` are public; an app without ``[auth]`` has no
one to tell apart, so all its files are. Anyone else is told the file does not exist (404).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from kiln.auth.guards import enforce
from kiln.errors import Forbidden, Unauthorized
from kiln.manifest.model import Manifest
from kiln.store.sql import quote

__all__ = ["is_admin", "may_download"]

_SAMPLE = 100  # referring records looked at per field, for an owner guard


def is_admin(user: Any) -> bool:
    """Whether ``user`` has the ``admin`` role."""
    return user is not None and "admin" in user["roles"]


async def may_download(request: Request, manifest: Manifest, row: dict[str, Any], user: Any) -> bool:
    """Whether ``user`` (``None`` for nobody) may download the file of ``row``."""
    if manifest.auth is None or is_admin(user):
        return True
    if user is not None and row["uploaded_by"] == user["id"]:
        return True
    conn = request.app.state.kiln.db.conn
    for entity, field in manifest.file_fields:
        owner = quote(entity.owner) if entity.owner else "NULL"
        sql = f"SELECT {owner} FROM {quote(entity.table)} WHERE {quote(field.name)} = ? LIMIT {_SAMPLE}"
        owners = [found[0] for found in conn.execute(sql, [row["id"]])]
        if not owners:
            continue
        guards = entity.guards("read")
        try:
            await enforce(request, guards, manifest.handlers)
        except (Unauthorized, Forbidden):
            continue
        if "owner" not in guards or (user is not None and user["id"] in owners):
            return True
    return False
