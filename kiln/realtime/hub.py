"""Connections and rooms: each connection has one bounded queue and one sender task, so a room
never waits on a slow member; one that falls more than ``max_queue`` messages behind is closed
with 1008."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket

__all__ = ["SLOW_CONSUMER", "Connection", "Hub"]

#: The close code of a connection whose queue overflowed (policy violation).
SLOW_CONSUMER = 1008
logger = logging.getLogger("kiln.realtime")

Outgoing = dict[str, Any] | bytes


class Connection:
    """One open WebSocket: its user, its rooms and subscriptions, and what waits to be sent."""

    def __init__(self, websocket: WebSocket, user: Any, max_queue: int) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.websocket = websocket
        self.user = user
        self.rooms: set[str] = set()
        self.subscriptions: set[str] = set()
        self.closed = False
        #: Called when the connection is closed for falling behind (the hub forgets it at once).
        self.on_overflow: Callable[[], None] = lambda: None
        self._max_queue = max_queue
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_all(), name=f"kiln-ws-sender-{self.id}")
        self._closing: asyncio.Task[None] | None = None  # kept, so the close is not collected midway

    @property
    def user_id(self) -> int | None:
        """The id of the signed-in user, or ``None``."""
        return None if self.user is None else int(self.user["id"])

    def offer(self, message: Outgoing) -> None:
        """Queue ``message``; closes the connection with 1008 if it is too far behind."""
        if self.closed:
            return
        if self._queue.qsize() >= self._max_queue:
            logger.info("closing WebSocket %s: more than %d messages waiting", self.id, self._max_queue)
            self.closed = True
            self._sender.cancel()
            self.on_overflow()
            self._closing = asyncio.get_running_loop().create_task(
                self._close(SLOW_CONSUMER, "too many messages waiting")
            )
            return
        self._queue.put_nowait(message)

    async def stop(self) -> None:
        """Stop sending (the socket is gone or going)."""
        self.closed = True
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender

    async def _send_all(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                if isinstance(message, bytes):
                    await self.websocket.send_bytes(message)
                else:
                    await self.websocket.send_json(message)
            except Exception:  # the peer went away: the receive loop sees it and cleans up
                self.closed = True
                return

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason)


class Hub:
    """The rooms of one app instance (who is in each), and entity events for subscribers.

    ``visible(entity, record, user)`` says whether a user may read a record; the app gives it
    the entities' ``read`` and ``list`` guards.
    """

    def __init__(self, visible: Callable[[str, dict[str, Any], Any], bool]) -> None:
        self.connections: set[Connection] = set()
        self.rooms: dict[str, set[Connection]] = {}
        self._visible = visible

    def publish(self, entity: str, action: str, record: dict[str, Any], sent: dict[str, Any]) -> None:
        """Queue ``{"type": "event", ...}`` with ``sent`` for each subscriber to ``entity`` who may
        read ``record`` (for a delete, ``record`` is the record as it was and ``sent`` its id)."""
        event = {"type": "event", "entity": entity, "action": action, "record": sent}
        for connection in list(self.connections):
            if entity in connection.subscriptions and self._visible(entity, record, connection.user):
                connection.offer(event)

    def add(self, connection: Connection) -> None:
        """A new connection, in no room yet."""
        self.connections.add(connection)
        connection.on_overflow = lambda: self.drop(connection)

    def join(self, connection: Connection, room: str) -> int:
        """Put ``connection`` in ``room`` (again, harmlessly); returns how many are in it."""
        members = self.rooms.setdefault(room, set())
        members.add(connection)
        connection.rooms.add(room)
        return len(members)

    def leave(self, connection: Connection, room: str) -> int:
        """Take ``connection`` out of ``room``; returns how many are left in it."""
        members = self.rooms.get(room, set())
        members.discard(connection)
        connection.rooms.discard(room)
        if not members:
            self.rooms.pop(room, None)
        return len(members)

    def broadcast(self, room: str, message: Outgoing, sender: Connection | None = None) -> None:
        """Queue ``message`` for every member of ``room`` but ``sender``; never waits."""
        for member in list(self.rooms.get(room, ())):
            if member is not sender:
                member.offer(message)

    def drop(self, connection: Connection) -> None:
        """Forget ``connection``: out of every room and subscription."""
        for room in list(connection.rooms):
            self.leave(connection, room)
        connection.subscriptions.clear()
        self.connections.discard(connection)
