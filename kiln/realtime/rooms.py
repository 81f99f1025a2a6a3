"""Which guards a room has: the ``[realtime.rooms]`` pattern with the longest literal text that
matches its name (on a tie, the one declared first); ``*`` matches any run of characters; a room
no pattern matches is public."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kiln.auth.guards import refusal
from kiln.errors import Unauthorized

__all__ = ["check_guards", "room_guards"]

Rooms = tuple[tuple[str, tuple[str, ...]], ...]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def room_guards(rooms: Rooms, room: str) -> tuple[str, ...]:
    """The guards of ``room``."""
    matching = [
        (len(pattern.replace("*", "")), pattern, guards)
        for pattern, guards in rooms
        if _compiled(pattern).fullmatch(room)
    ]
    if not matching:
        return ("public",)
    return max(matching, key=lambda found: found[0])[2]


def check_guards(guards: tuple[str, ...], user: Any) -> str | None:
    """``None`` if ``user`` passes ``guards``, else ``"unauthorized"`` (no user, and one is needed)
    or ``"forbidden"`` (a role or verification the user lacks): the guards' own check
    (:func:`kiln.auth.guards.refusal`), as a WebSocket error code."""
    refused = refusal(guards, user)
    if refused is None:
        return None
    return "unauthorized" if isinstance(refused, Unauthorized) else "forbidden"
