"""``/ws``: authentication, then one JSON message at a time (binary frames are relayed as they are).

A token comes as ``?token=`` or as the first message ``{"type": "auth", "token": ...}``; a bad one
closes the connection with 4401. When ``connect`` needs more than ``public``, an anonymous
connection's first message must be ``auth`` (else 4401), and a user who fails a ``role:`` or
``verified`` connect guard is closed with 4403. Every client message is answered in the
connection's own queue, in order; a refused one answers ``{"type": "error", "code", "message"}``
and the connection stays open.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from kiln.auth.current import user_for_token
from kiln.errors import TokenError
from kiln.manifest.auth import USER
from kiln.manifest.model import Manifest
from kiln.realtime.hub import Connection, Hub
from kiln.realtime.rooms import check_guards, room_guards

__all__ = ["BAD_TOKEN", "FORBIDDEN", "realtime_routes"]

#: Close codes: no usable credentials, and credentials that do not pass the connect guards.
BAD_TOKEN, FORBIDDEN = 4401, 4403
_MAX_ROOM = 200


def realtime_routes(manifest: Manifest) -> list[BaseRoute]:
    """``/ws``, for an app with ``[realtime]``."""
    config = manifest.realtime
    if config is None:
        return []
    entities = {name for name in manifest.entities if name != USER}

    async def endpoint(websocket: WebSocket) -> None:
        state = websocket.app.state.kiln
        await websocket.accept()
        user = await _sign_in(websocket, state, config.connect)
        if user is False:
            return
        hub: Hub = state.hub
        connection = Connection(websocket, user, config.max_queue)
        hub.add(connection)
        try:
            while True:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    return
                if frame.get("bytes") is not None:
                    for room in connection.rooms:
                        hub.broadcast(room, frame["bytes"], sender=connection)
                    continue
                if not await _handle(connection, hub, state, frame.get("text") or "", config.rooms, entities):
                    return
        except WebSocketDisconnect:
            return
        finally:
            hub.drop(connection)
            await connection.stop()

    return [WebSocketRoute("/ws", endpoint, name="realtime")]


async def _sign_in(websocket: WebSocket, state: Any, connect: tuple[str, ...]) -> Any:
    """The connection's user (``None`` for nobody), or ``False`` once it has been closed."""
    token = websocket.query_params.get("token")
    user = None
    if token is not None:
        user = await _user(websocket, state, token)
    if user is None and connect != ("public",):
        try:
            first = json.loads(await websocket.receive_text())
        except (WebSocketDisconnect, KeyError, ValueError):
            first = None
        if (
            not isinstance(first, dict)
            or first.get("type") != "auth"
            or not isinstance(first.get("token"), str)
        ):
            await websocket.close(BAD_TOKEN, 'sign in first: send {"type": "auth", "token": ...}')
            return False
        user = await _user(websocket, state, first["token"])
    if user is False:
        return False
    refused = check_guards(connect, user)
    if refused is not None:
        await websocket.close(
            FORBIDDEN if refused == "forbidden" else BAD_TOKEN, "the connect guards refuse you"
        )
        return False
    return user


async def _user(websocket: WebSocket, state: Any, token: str) -> Any:
    try:
        return user_for_token(state, token)
    except TokenError as exc:
        await websocket.close(BAD_TOKEN, exc.message[:120])
        return False


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


async def _handle(
    connection: Connection,
    hub: Hub,
    state: Any,
    text: str,
    rooms: tuple[tuple[str, tuple[str, ...]], ...],
    entities: set[str],
) -> bool:
    """Answer one text message; ``False`` once the connection has been closed."""
    try:
        message = json.loads(text)
    except ValueError:
        connection.offer(_error("bad_message", "messages are JSON objects with a type"))
        return True
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "auth":
        token = message.get("token")
        user = await _user(connection.websocket, state, token) if isinstance(token, str) else False
        if user is False:
            if not isinstance(token, str):
                await connection.websocket.close(BAD_TOKEN, "auth needs a token")
            return False
        connection.user = user
        return True
    if kind in ("join", "leave", "send"):
        room = message.get("room")
        if not isinstance(room, str) or not 1 <= len(room) <= _MAX_ROOM:
            connection.offer(
                _error("bad_message", f"{kind} needs a room: a name of 1 to {_MAX_ROOM} characters")
            )
        elif kind == "join":
            refused = check_guards(room_guards(rooms, room), connection.user)
            if refused is not None:
                why = "sign in to join" if refused == "unauthorized" else "you may not join"
                connection.offer(_error(refused, f"{why} {room}"))
            else:
                connection.offer({"type": "joined", "room": room, "members": hub.join(connection, room)})
        elif room not in connection.rooms:
            connection.offer(_error("not_joined", f"join {room} first"))
        elif kind == "leave":
            connection.offer({"type": "left", "room": room, "members": hub.leave(connection, room)})
        else:
            sender = {"user": connection.user_id, "connection": connection.id}
            hub.broadcast(
                room,
                {"type": "message", "room": room, "from": sender, "data": message.get("data")},
                connection,
            )
        return True
    if kind in ("subscribe", "unsubscribe"):
        entity = message.get("entity")
        if entity not in entities:
            connection.offer(_error("unknown_entity", f"no entity is named {entity!r}"))
        elif kind == "subscribe":
            connection.subscriptions.add(entity)
            connection.offer({"type": "subscribed", "entity": entity})
        else:
            connection.subscriptions.discard(entity)
            connection.offer({"type": "unsubscribed", "entity": entity})
        return True
    connection.offer(
        _error(
            "bad_message", f"unknown message type {kind!r}: join, leave, send, subscribe, unsubscribe, auth"
        )
    )
    return True
