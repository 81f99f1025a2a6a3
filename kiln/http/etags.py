"""Conditional requests by RFC 9110: ``If-Match`` compares entity tags strongly, ``If-None-Match`` weakly.

werkzeug parses the header lists; :data:`IF_MATCH` is the syntax an ``If-Match`` must have, since
a malformed one is refused (400) rather than read leniently.
"""

from __future__ import annotations

import re

from werkzeug.http import parse_etags, unquote_etag

__all__ = ["IF_MATCH", "matches_strongly", "matches_weakly"]

#: ``*`` or a comma-separated list of entity tags, each quoted and perhaps ``W/``-prefixed.
IF_MATCH = re.compile(r'^\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*$')


def matches_strongly(header: str, tag: str) -> bool:
    """Whether ``If-Match: header`` lets a write to the version ``tag`` through (§13.1.1).

    ``*`` matches any version; otherwise a listed tag must equal ``tag`` and neither be weak.
    """
    value, weak = unquote_etag(tag)
    return not weak and parse_etags(header).contains(value)


def matches_weakly(header: str | None, tag: str) -> bool:
    """Whether ``If-None-Match: header`` names the version ``tag``, so a GET answers 304 (§13.1.2).

    Weak comparison: ``W/"a"`` and ``"a"`` are the same version; ``*`` names any.
    """
    if not header:
        return False
    value, _ = unquote_etag(tag)
    return parse_etags(header).contains_weak(value)
