"""``[realtime]`` is validated when the manifest is compiled."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError
from kiln.manifest import load_manifest
from kiln.manifest.model import RealtimeConfig

APP = "[app]\nname = 'x'\n"


def _problems(tmp_path: Path, body: str) -> list[str]:
    (tmp_path / "app.toml").write_text(APP + body)
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    return str(info.value).splitlines()


def test_realtime_reads_its_settings(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(
        APP + "[auth]\n[realtime]\nconnect = 'auth'\nmax_queue = 7\n"
        "[realtime.rooms]\n'lobby' = 'public'\n'staff:*' = ['auth', 'role:staff']\n"
    )
    assert load_manifest(tmp_path).realtime == RealtimeConfig(
        connect=("auth",), max_queue=7, rooms=(("lobby", ("public",)), ("staff:*", ("auth", "role:staff")))
    )


def test_without_a_realtime_table_there_is_none(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(APP)
    assert load_manifest(tmp_path).realtime is None


def test_an_empty_realtime_table_is_public(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(APP + "[realtime]\n")
    assert load_manifest(tmp_path).realtime == RealtimeConfig(connect=("public",), max_queue=1000, rooms=())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "[realtime]\nconnect = 'auth'\n",
            'app.toml: realtime.connect: "auth" needs users: add [auth] to app.toml',
        ),
        ("[realtime.rooms]\n'team:*' = 'role:x'\n", 'app.toml: realtime.rooms.team:*: "role:x" needs users'),
        ("[realtime]\nconnect = 'everyone'\n", 'app.toml: realtime.connect: unknown guard "everyone"'),
        ("[realtime]\nconnect = 'owner'\n", 'app.toml: realtime.connect: "owner" needs users'),
        (
            "[realtime]\nmax_queue = 0\n",
            "app.toml: realtime.max_queue: must be a whole number of messages from 1 to 1000000",
        ),
        (
            "[realtime]\nmax_queue = 'lots'\n",
            "app.toml: realtime.max_queue: must be a whole number of messages",
        ),
        (
            "[realtime.rooms]\n'a room' = 'public'\n",
            "app.toml: realtime.rooms.a room: must be a room name or pattern",
        ),
        (
            "[realtime.rooms]\n'a**' = 'public'\n",
            "app.toml: realtime.rooms.a**: must be a room name or pattern",
        ),
        ("[realtime.rooms]\n'' = 'public'\n", "app.toml: realtime.rooms.: must be a room name or pattern"),
        ("[realtime]\nrooms = 3\n", "app.toml: realtime.rooms: must be a table"),
        (
            "[realtime]\nconect = 'public'\n",
            'app.toml: realtime.conect: unknown key "conect" (did you mean "connect"?)',
        ),
        ("[realtime]\nconnect = 'handlers:x'\n", "app.toml: realtime.connect: "),
    ],
    ids=[
        "connect-needs-users",
        "room-needs-users",
        "unknown-guard",
        "owner",
        "queue-zero",
        "queue-word",
        "space",
        "double-star",
        "empty",
        "rooms-not-a-table",
        "typo",
        "handler",
    ],
)
def test_bad_realtime_settings_are_reported(tmp_path: Path, body: str, message: str) -> None:
    lines = _problems(tmp_path, body)
    assert any(line.startswith(message) for line in lines), lines


def test_a_handler_guard_is_refused_in_realtime(tmp_path: Path) -> None:
    (tmp_path / "handlers.py").write_text("def allow(request, ctx):\n    return True\n")
    lines = _problems(tmp_path, "[realtime.rooms]\n'vip' = 'handlers:allow'\n")
    assert lines == [
        "app.toml: realtime.rooms.vip: handlers: guards are not supported in [realtime]: "
        "use public, auth, verified or role:"
    ]
