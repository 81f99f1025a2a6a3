"""Whether a connection's user may read a record, by the entity's ``read`` and ``list`` guards.

``public`` passes anyone; ``auth``, ``verified`` and ``role:`` need a user who has them; ``owner``
needs the record's owner field to be the user. A ``handlers:`` guard needs an HTTP request to
ask, so its records are never sent as events.
"""

from __future__ import annotations

from typing import Any

from kiln.manifest.model import Manifest
from kiln.realtime.rooms import check_guards

__all__ = ["visibility"]


def visibility(manifest: Manifest) -> Any:
    """``visible(entity, record, user)`` for ``manifest``'s entities."""

    def visible(entity_name: str, record: dict[str, Any], user: Any) -> bool:
        entity = manifest.entities[entity_name]
        for operation in ("read", "list"):
            guards = entity.guards(operation)
            if any(guard.startswith("handlers:") for guard in guards):
                return False
            plain = tuple(guard for guard in guards if guard != "owner") or ("public",)
            if check_guards(plain, user) is not None:
                return False
            if "owner" in guards and (user is None or record.get(entity.owner or "") != user["id"]):
                return False
        return True

    return visible
