"""Rooms: join, leave and send, with exact members counts, and messages only to the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import receive, settle


def test_joining_answers_the_members_count(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    name = room()
    first, second = connect(), connect()
    assert ask(first, type="join", room=name) == {"type": "joined", "room": name, "members": 1}
    assert ask(second, type="join", room=name) == {"type": "joined", "room": name, "members": 2}
    assert settle(first) == []
    assert settle(second) == []


def test_joining_again_changes_nothing(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    name = room()
    ws = connect()
    assert ask(ws, type="join", room=name)["members"] == 1
    assert ask(ws, type="join", room=name) == {"type": "joined", "room": name, "members": 1}
    assert settle(ws) == []


def test_leaving_answers_who_is_left(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    name = room()
    first, second = connect(), connect()
    ask(first, type="join", room=name)
    ask(second, type="join", room=name)
    assert ask(second, type="leave", room=name) == {"type": "left", "room": name, "members": 1}
    assert ask(first, type="leave", room=name) == {"type": "left", "room": name, "members": 0}
    assert settle(first) == []
    assert settle(second) == []


def test_leaving_a_room_not_joined_is_not_joined(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    name = room()
    ws = connect()
    assert ask(ws, type="leave", room=name) == {
        "type": "error",
        "code": "not_joined",
        "message": f"join {name} first",
    }
    assert settle(ws) == []


def test_a_message_goes_to_the_others_with_its_sender(
    connect: Any, ask: Any, say: Any, room: Callable[..., str], user: Any
) -> None:
    name = room()
    ann = user()
    sender, first, second = connect(ann.token), connect(), connect()
    for ws in (sender, first, second):
        ask(ws, type="join", room=name)
    say(sender, type="send", room=name, data={"text": "hi", "n": [1, 2]})
    got = [receive(ws) for ws in (first, second)]
    assert got[0] == got[1]
    assert got[0]["type"] == "message"
    assert got[0]["room"] == name
    assert got[0]["data"] == {"text": "hi", "n": [1, 2]}
    assert got[0]["from"]["user"] == ann.user["id"]
    assert len(got[0]["from"]["connection"]) == 12
    assert settle(sender) == []  # the sender gets no copy
    assert settle(first) == []
    assert settle(second) == []


def test_an_anonymous_sender_is_from_no_user(
    connect: Any, ask: Any, say: Any, room: Callable[..., str]
) -> None:
    name = room()
    sender, other = connect(), connect()
    ask(sender, type="join", room=name)
    ask(other, type="join", room=name)
    say(sender, type="send", room=name, data="plain")
    message = receive(other)
    assert (message["from"]["user"], message["data"]) == (None, "plain")
    assert settle(other) == []


def test_sending_to_a_room_not_joined_is_not_joined_and_reaches_nobody(
    connect: Any, ask: Any, room: Callable[..., str]
) -> None:
    name = room()
    member, outsider = connect(), connect()
    ask(member, type="join", room=name)
    error = ask(outsider, type="send", room=name, data="sneak")
    assert error == {"type": "error", "code": "not_joined", "message": f"join {name} first"}
    assert settle(member) == []
    assert settle(outsider) == []


def test_messages_arrive_in_the_order_they_were_sent(
    connect: Any, ask: Any, say: Any, room: Callable[..., str]
) -> None:
    name = room()
    sender, other = connect(), connect()
    ask(sender, type="join", room=name)
    ask(other, type="join", room=name)
    for n in range(30):
        say(sender, type="send", room=name, data=n)
    assert [receive(other)["data"] for _ in range(30)] == list(range(30))
    assert settle(other) == []


def test_a_binary_frame_is_relayed_as_binary_to_every_room_joined(
    connect: Any, ask: Any, room: Callable[..., str]
) -> None:
    one, two = room(), room()
    sender, in_one, in_two, in_neither = connect(), connect(), connect(), connect()
    ask(sender, type="join", room=one)
    ask(sender, type="join", room=two)
    ask(in_one, type="join", room=one)
    ask(in_two, type="join", room=two)
    sender.send(b"\x00\xffraw bytes")
    assert receive(in_one) == b"\x00\xffraw bytes"
    assert receive(in_two) == b"\x00\xffraw bytes"
    for ws in (sender, in_one, in_two, in_neither):
        assert settle(ws) == []


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("not json", "messages are JSON objects with a type"),
        ("[1, 2]", "unknown message type None: join, leave, send, subscribe, unsubscribe, auth"),
        (
            '{"type": "dance"}',
            "unknown message type 'dance': join, leave, send, subscribe, unsubscribe, auth",
        ),
        ('{"type": "join"}', "join needs a room: a name of 1 to 200 characters"),
        ('{"type": "send", "room": ""}', "send needs a room: a name of 1 to 200 characters"),
        ('{"type": "leave", "room": 7}', "leave needs a room: a name of 1 to 200 characters"),
    ],
    ids=["not-json", "not-an-object", "unknown-type", "no-room", "empty-room", "room-not-text"],
)
def test_a_bad_message_is_answered_and_the_connection_stays(
    connect: Any, ask: Any, frame: str, message: str
) -> None:
    ws = connect()
    ws.send(frame)
    assert receive(ws) == {"type": "error", "code": "bad_message", "message": message}
    assert ask(ws, type="join", room="lobby")["type"] == "joined"  # still open
