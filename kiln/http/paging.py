"""``page`` and ``per_page``, read the same way by every list kiln answers."""

from __future__ import annotations

from collections.abc import Mapping

from kiln.errors import BadRequest

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "page_and_size"]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
_LARGEST = 2**31 - 1  # keeps OFFSET inside SQLite's integers


def page_and_size(params: Mapping[str, str]) -> tuple[int, int]:
    """``(page, per_page)``: 1 and 20 by default, ``per_page`` clamped to 100; 400 for a value
    that is not a whole number from 1."""
    page = _positive(params, "page", 1)
    per_page = min(_positive(params, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return page, per_page


def _positive(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= _LARGEST:
        raise BadRequest(f"{name} must be a whole number from 1 to {_LARGEST} (got {raw!r})")
    return int(raw)
