"""Reading WebSocket messages in tests without sleeping: wait for the one you expect, or for
everything that came before a reply you asked for.

>>> joined = receive(ws, lambda m: m["type"] == "joined")      # doctest: +SKIP
>>> assert settle(ws) == []      # nothing else arrived            # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection

from harness.errors import HarnessError
from harness.ids import unique_id

__all__ = ["receive", "settle"]

Message = Any  # a JSON text frame, decoded, or the bytes of a binary frame


def _decode(frame: str | bytes) -> Message:
    return frame if isinstance(frame, bytes) else json.loads(frame)


def receive(
    connection: ClientConnection, match: Callable[[Message], bool] | None = None, timeout: float = 5.0
) -> Message:
    """The next message for which ``match`` is true (any message without one), skipping others.

    Raises :class:`HarnessError` after ``timeout`` seconds, listing every message seen meanwhile.
    """
    seen: list[Message] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            frame = connection.recv(timeout=max(left, 0))
        except TimeoutError:
            shown = "\n".join(f"  {message!r}" for message in seen) or "  nothing"
            raise HarnessError(f"no matching message within {timeout} s; seen:\n{shown}") from None
        message = _decode(frame)
        if match is None or match(message):
            return message
        seen.append(message)


def settle(connection: ClientConnection, timeout: float = 5.0) -> list[Message]:
    """Every message that arrives before the answer to a ``join`` of a room of its own.

    kiln answers each connection's messages in order, after whatever it queued for it before,
    so once that ``joined`` comes back nothing sent earlier is still on its way: a test can
    check that nothing else arrived without waiting for a timeout.
    """
    room = unique_id("settle")
    connection.send(json.dumps({"type": "join", "room": room}))
    before: list[Message] = []
    while True:
        message = receive(connection, timeout=timeout)
        if isinstance(message, dict) and message.get("type") == "joined" and message.get("room") == room:
            break
        before.append(message)
    connection.send(json.dumps({"type": "leave", "room": room}))
    receive(
        connection,
        lambda m: isinstance(m, dict) and m.get("type") == "left" and m.get("room") == room,
        timeout,
    )
    return before
