"""Validate ``[realtime]``: who may connect to ``/ws``, how far a connection may fall behind, and
the guards of rooms by name pattern::

    [realtime]
    connect = "public"          # guards for connecting at all
    max_queue = 1000            # messages waiting for one slow connection

    [realtime.rooms]            # the pattern with the longest literal text wins
    "lobby" = "public"
    "team:*" = "auth"
    "staff:*" = ["auth", "role:staff"]
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from kiln.manifest.guards import read_guards
from kiln.manifest.model import RealtimeConfig
from kiln.manifest.report import Report

__all__ = ["read_realtime"]

_KEYS = {"connect", "max_queue", "rooms"}
_PATTERN = re.compile(r"^[A-Za-z0-9_.:/*-]{1,100}$")
_LARGEST_QUEUE = 1_000_000


def _guards(
    value: Any, at: str, report: Report, handlers: ModuleType | None, has_auth: bool
) -> tuple[str, ...]:
    guards = read_guards(value, at, report, handlers=handlers, owner_allowed=False, has_auth=has_auth)
    if any(guard.startswith("handlers:") for guard in guards):
        # a handler guard takes an HTTP request; a WebSocket message is not one
        report.error(
            at, "handlers: guards are not supported in [realtime]: use public, auth, verified or role:"
        )
        return ()
    return guards


def read_realtime(
    raw: Any, report: Report, *, handlers: ModuleType | None, has_auth: bool
) -> RealtimeConfig | None:
    """The ``[realtime]`` settings, or ``None`` when the table is absent (no ``/ws``)."""
    if raw is None:
        return None
    table = report.table(raw, "realtime", '[realtime] connect = "public"')
    if table is None:
        return None
    report.check_keys(table, "realtime", _KEYS)
    connect: tuple[str, ...] = ("public",)
    if "connect" in table:
        connect = _guards(table["connect"], "realtime.connect", report, handlers, has_auth) or connect
    max_queue = table.get("max_queue", 1000)
    if isinstance(max_queue, bool) or not isinstance(max_queue, int) or not 1 <= max_queue <= _LARGEST_QUEUE:
        report.error("realtime.max_queue", f"must be a whole number of messages from 1 to {_LARGEST_QUEUE}")
        max_queue = 1000
    rooms: list[tuple[str, tuple[str, ...]]] = []
    patterns = report.table(table.get("rooms", {}), "realtime.rooms", '{ "lobby" = "public" }') or {}
    for pattern, value in patterns.items():
        at = f"realtime.rooms.{pattern}"
        if not _PATTERN.match(pattern) or "**" in pattern:
            report.error(
                at,
                "must be a room name or pattern of letters, digits and _ . : / -, with * for any run of them",
            )
            continue
        guards = _guards(value, at, report, handlers, has_auth)
        if guards:
            rooms.append((pattern, guards))
    return RealtimeConfig(connect=connect, max_queue=max_queue, rooms=tuple(rooms))
