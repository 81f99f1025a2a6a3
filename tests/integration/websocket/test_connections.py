"""Connections: tokens by query or first message, close codes, and what a dead connection leaves."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from harness import TestApp, receive, settle


def _closed_with(ws: Any) -> int | None:
    """Read until the server closes the connection; its close code."""
    try:
        while True:
            ws.recv(timeout=5)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


def test_a_token_in_the_query_signs_the_connection_in(
    connect: Any, ask: Any, say: Any, room: Callable[..., str], user: Any
) -> None:
    name = room("team:")
    ann = user()
    signed, other = connect(ann.token), connect(user().token)
    ask(signed, type="join", room=name)
    ask(other, type="join", room=name)
    say(signed, type="send", room=name, data=1)
    assert receive(other)["from"]["user"] == ann.user["id"]


def test_a_token_in_the_first_message_signs_the_connection_in(
    connect: Any, ask: Any, say: Any, room: Callable[..., str], user: Any
) -> None:
    name = room("team:")
    ann = user()
    ws = connect()
    say(ws, type="auth", token=ann.token)  # no answer
    assert ask(ws, type="join", room=name) == {"type": "joined", "room": name, "members": 1}
    assert settle(ws) == []


def test_a_bad_token_in_the_query_closes_with_4401(connect: Any) -> None:
    assert _closed_with(connect("not-a-token")) == 4401


def test_a_bad_token_in_a_message_closes_with_4401(connect: Any, say: Any) -> None:
    ws = connect()
    say(ws, type="auth", token="not-a-token")
    assert _closed_with(ws) == 4401


def test_a_sign_in_message_without_a_token_closes_with_4401(connect: Any, say: Any) -> None:
    ws = connect()
    say(ws, type="auth")
    assert _closed_with(ws) == 4401


CLOSED_APP = """
[app]
name = "members-only"
[auth]
[realtime]
connect = ["auth", "role:member"]
"""


@pytest.fixture
def members_only(tmp_path: Path) -> Any:
    (tmp_path / "app.toml").write_text(CLOSED_APP)
    with TestApp(tmp_path) as app:
        yield app


@pytest.mark.local_only("serves an app of its own, and grants roles")
def test_connect_guards_close_with_4401_and_4403(members_only: TestApp) -> None:
    anonymous = members_only.ws("/ws")
    anonymous.send(json.dumps({"type": "join", "room": "lobby"}))  # not an auth message
    assert _closed_with(anonymous) == 4401
    stranger = members_only.as_user("stranger@example.com")
    assert _closed_with(members_only.ws("/ws", token=stranger.token)) == 4403
    member = members_only.as_user("member@example.com", roles=["member"])
    late = members_only.ws("/ws")
    late.send(json.dumps({"type": "auth", "token": member.token}))
    late.send(json.dumps({"type": "join", "room": "lobby"}))
    assert receive(late) == {"type": "joined", "room": "lobby", "members": 1}


def _members(ws: Any, name: str) -> int:
    ws.send(json.dumps({"type": "join", "room": name}))  # a repeated join answers the count
    return int(receive(ws, lambda m: m.get("type") == "joined" and m["room"] == name)["members"])


def _until_members(ws: Any, name: str, count: int) -> None:
    """Ask again until the room has ``count`` members: each ask is a round trip, not a sleep."""
    deadline = time.monotonic() + 5
    while _members(ws, name) != count:
        assert time.monotonic() < deadline, f"{name} never got down to {count} members"


def test_a_clean_close_leaves_every_room(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    one, two = room(), room()
    stays, goes = connect(), connect()
    for name in (one, two):
        ask(stays, type="join", room=name)
        ask(goes, type="join", room=name)
    goes.close()
    _until_members(stays, one, 1)
    _until_members(stays, two, 1)


@pytest.mark.regression
def test_after_an_abrupt_disconnect_broadcasts_reach_every_live_member_and_log_nothing(
    chat_app: TestApp, connect: Any, ask: Any, say: Any, room: Callable[..., str]
) -> None:
    """FLIN's bug 4: a closed connection stayed in its rooms, so every later broadcast logged an error."""
    name = room()
    sender, live, dead = connect(), connect(), connect()
    for ws in (sender, live, dead):
        ask(ws, type="join", room=name)
    raw: socket.socket = dead.socket
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()  # a TCP reset: no close frame
    for n in range(5):
        say(sender, type="send", room=name, data=n)
    assert [receive(live)["data"] for _ in range(5)] == [0, 1, 2, 3, 4]
    _until_members(live, name, 2)
    say(sender, type="send", room=name, data="after")
    assert receive(live)["data"] == "after"
    assert settle(live) == []
    assert settle(sender) == []
    if not chat_app.remote:
        noisy = [record for record in chat_app.logs if record.levelname in ("WARNING", "ERROR", "CRITICAL")]
        assert noisy == []


class _RawSocket:
    """A WebSocket client on a bare socket with a tiny receive buffer, that reads only when told."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(1)
        assert self.buffer.startswith(b"HTTP/1.1 101"), self.buffer
        self.buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        payload, mask = json.dumps(message).encode(), os.urandom(4)
        assert len(payload) < 126
        masked = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
        self.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the socket without a close frame"
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def close_code(self) -> int:
        """Read frames until the close frame; its code."""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            if first & 0x0F == 0x8:
                return int(struct.unpack(">H", payload[:2])[0])


def test_a_slow_reader_is_closed_with_1008_and_the_room_goes_on(
    chat_app: TestApp, connect: Any, ask: Any, say: Any, room: Callable[..., str]
) -> None:
    # chat-app's max_queue is 50. A reader that stops reading falls behind once the socket's
    # buffers are full, and is closed; a reader that keeps up gets every message
    name = room()
    slow = _RawSocket(chat_app.port)
    slow.send({"type": "join", "room": name})
    sender, fast = connect(), connect()
    ask(sender, type="join", room=name)
    assert ask(fast, type="join", room=name)["members"] == 3
    blob = "x" * 60_000
    for n in range(400):
        say(sender, type="send", room=name, data={"n": n, "pad": blob})
        assert receive(fast)["data"]["n"] == n
    _until_members(fast, name, 2)
    assert slow.close_code() == 1008
    slow.sock.close()
    assert settle(fast) == []


@pytest.mark.local_only("stops the app")
def test_stopping_the_app_closes_its_connections_with_1001(chat_app: TestApp, ask: Any) -> None:
    first, second = chat_app.ws("/ws"), chat_app.ws("/ws")
    ask(first, type="join", room="lobby")
    chat_app.close()
    for ws in (first, second):
        assert ws.close_code == 1001
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=1)
