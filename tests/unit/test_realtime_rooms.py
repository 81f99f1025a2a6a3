"""Room guards by pattern, and the guard check a join or a connect makes."""

from __future__ import annotations

from typing import Any

import pytest

from kiln.realtime.rooms import check_guards, room_guards

ROOMS = (
    ("lobby", ("public",)),
    ("team:*", ("auth",)),
    ("staff:*", ("auth", "role:staff")),
    ("staff:open", ("public",)),
    ("*:archive", ("role:archivist",)),
)


@pytest.mark.parametrize(
    ("room", "guards"),
    [
        ("lobby", ("public",)),
        ("lobby2", ("public",)),  # no pattern: public
        ("team:", ("auth",)),
        ("team:red", ("auth",)),
        ("staff:ops", ("auth", "role:staff")),
        ("staff:open", ("public",)),  # the longest literal text wins
        ("x:archive", ("role:archivist",)),
        ("staff:archive", ("role:archivist",)),  # ":archive" (8 characters) beats "staff:" (6)
    ],
    ids=["exact", "unmatched", "empty-rest", "team", "staff", "most-specific", "suffix", "longer-literal"],
)
def test_the_pattern_with_the_longest_literal_text_wins(room: str, guards: tuple[str, ...]) -> None:
    assert room_guards(ROOMS, room) == guards


def test_a_star_matches_any_run_of_characters_and_nothing_else_is_special() -> None:
    rooms = (("a.b*", ("auth",)),)
    assert room_guards(rooms, "a.bc/d:e") == ("auth",)
    assert room_guards(rooms, "axbc") == ("public",)  # the dot is a dot


VERIFIED = {"id": 1, "roles": ["staff"], "verified": True}
UNVERIFIED = {"id": 2, "roles": [], "verified": False}


@pytest.mark.parametrize(
    ("guards", "user", "refused"),
    [
        (("public",), None, None),
        (("auth",), None, "unauthorized"),
        (("auth",), UNVERIFIED, None),
        (("verified",), UNVERIFIED, "forbidden"),
        (("verified",), VERIFIED, None),
        (("role:staff",), UNVERIFIED, "forbidden"),
        (("auth", "role:staff"), VERIFIED, None),
        (("role:staff",), None, "unauthorized"),
    ],
    ids=["public", "nobody", "a-user", "unverified", "verified", "no-role", "role", "nobody-for-a-role"],
)
def test_check_guards(guards: tuple[str, ...], user: Any, refused: str | None) -> None:
    assert check_guards(guards, user) == refused


def test_on_a_tie_the_pattern_declared_first_wins() -> None:
    rooms = (("*z", ("auth",)), ("a*", ("role:x",)))  # one literal character each
    assert room_guards(rooms, "az") == ("auth",)
    assert room_guards(tuple(reversed(rooms)), "az") == ("role:x",)
