"""Room guards by pattern: the longest literal pattern wins; a refused join leaves the connection open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import settle


def test_a_room_no_pattern_names_is_public(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    name = room("anything-")
    assert ask(connect(), type="join", room=name)["members"] == 1


def test_nobody_signed_in_may_not_join_a_team_room(connect: Any, ask: Any, room: Callable[..., str]) -> None:
    name = room("team:")
    ws = connect()
    assert ask(ws, type="join", room=name) == {
        "type": "error",
        "code": "unauthorized",
        "message": f"sign in to join {name}",
    }
    assert ask(ws, type="join", room="lobby")["type"] == "joined"  # still open
    assert settle(ws) == []


def test_a_signed_in_user_joins_a_team_room(
    connect: Any, ask: Any, room: Callable[..., str], user: Any
) -> None:
    name = room("team:")
    assert ask(connect(user().token), type="join", room=name) == {
        "type": "joined",
        "room": name,
        "members": 1,
    }


def test_a_staff_room_needs_the_staff_role(
    chat_app: Any, connect: Any, ask: Any, room: Callable[..., str], user: Any
) -> None:
    name = room("staff:")
    plain = connect(user().token)
    assert ask(plain, type="join", room=name) == {
        "type": "error",
        "code": "forbidden",
        "message": f"you may not join {name}",
    }
    if not chat_app.remote:  # roles are granted only locally
        staff = connect(user(roles=["staff"]).token)
        assert ask(staff, type="join", room=name)["members"] == 1
    assert settle(plain) == []


def test_the_pattern_with_the_longest_literal_text_wins(connect: Any, ask: Any) -> None:
    # "staff:open" is public, though "staff:*" also matches it
    assert ask(connect(), type="join", room="staff:open")["type"] == "joined"
