"""Sizes and durations as ``app.toml`` writes them: ``"5MB"``, ``"512KiB"``, ``"24h"``.

``KB``, ``MB`` and ``GB`` are decimal (``"1MB"`` is 1,000,000 bytes); ``KiB``, ``MiB`` and
``GiB`` are binary. A plain whole number is a byte count, or a number of seconds.
"""

from __future__ import annotations

import re
from typing import Any

from kiln.errors import Invalid

__all__ = ["parse_duration", "parse_size"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$")
_UNITS = {
    None: 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_size(value: Any) -> int:
    """A byte count from a whole number or a string with a unit; :class:`Invalid` otherwise."""
    if isinstance(value, bool):
        raise Invalid('must be a byte count or a size such as "5MB" or "512KiB"')
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (found := _SIZE.match(value)):
        size = int(float(found.group(1)) * _UNITS[found.group(2)])
    else:
        raise Invalid('must be a byte count or a size such as "5MB" or "512KiB"')
    if size < 1:
        raise Invalid("must be at least 1 byte")
    return size


def parse_duration(value: Any) -> int:
    """Seconds from a whole number or a string such as ``"90s"``, ``"30m"``, ``"24h"``, ``"7d"``."""
    if isinstance(value, bool):
        raise Invalid('must be a number of seconds or a duration such as "30m", "24h" or "7d"')
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (found := _DURATION.match(value)):
        seconds = int(found.group(1)) * _SECONDS[found.group(2)]
    else:
        raise Invalid('must be a number of seconds or a duration such as "30m", "24h" or "7d"')
    if seconds < 1:
        raise Invalid("must be at least 1 second")
    return seconds
