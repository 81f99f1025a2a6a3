"""A search's ``q`` as an FTS5 query: phrases, prefixes, ``AND``/``OR``/``NOT`` and groups.

People type words with punctuation in them (``don't``, ``c++``, ``e-mail``, ``title:x``), which
FTS5's own syntax refuses or reads as column filters. Each such word is quoted, so it is matched
as the words it tokenizes into; everything FTS5 defines stays as it is: ``"a phrase"``, ``wor*``
and ``"a phr"*``, upper-case ``AND``, ``OR`` and ``NOT``, ``NEAR(...)``, and parentheses. What is
still malformed (an unclosed quote, a dangling operator, an empty group) FTS5 itself refuses, and
:func:`syntax_error` turns its message into a clear one.
"""

from __future__ import annotations

import re
import sqlite3

from kiln.errors import InvalidSearchQuery

__all__ = ["fts_query", "is_query_error", "syntax_error"]

# a quoted phrase ("" inside it is a quote), optionally a prefix; a parenthesis; a run of anything else
_TOKEN = re.compile(r'"(?:[^"]|"")*"\*?|[()]|[^\s"()]+|"')
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


def fts_query(q: str) -> str:
    """``q`` rewritten so that FTS5 reads every word as a word; raises on an unclosed quote."""
    parts: list[str] = []
    for token in _TOKEN.findall(q):
        if token == '"':
            raise InvalidSearchQuery(f"the search {q!r} has a quote that is never closed")
        if token.startswith('"') or token in ("(", ")") or token in _OPERATORS:
            parts.append(token)
            continue
        word = token.rstrip("*")
        prefix = "*" if word != token else ""
        if not word:
            raise InvalidSearchQuery(f"the search {q!r} has a * that follows no word")
        parts.append(word + prefix if _bare(word) else '"' + word.replace('"', '""') + '"' + prefix)
    return " ".join(parts)


#: How FTS5's complaints about a MATCH expression begin (the others are not the query's fault).
_QUERY_ERRORS = ("fts5: ", "unterminated string", "no such column", "expected integer")


def is_query_error(error: sqlite3.OperationalError) -> bool:
    """Whether FTS5 refused the query itself, rather than the database failing."""
    return str(error).startswith(_QUERY_ERRORS)


def syntax_error(q: str, error: sqlite3.OperationalError) -> InvalidSearchQuery:
    """FTS5's complaint about the query made from ``q``, as the 400 a client gets."""
    found = re.search(r'syntax error near "(.*)"', str(error))
    if found is None:  # FTS5's other complaints, such as "unterminated string"
        return InvalidSearchQuery(f"the search {q!r} is not valid: {str(error).removeprefix('fts5: ')}")
    where = f'near "{found.group(1)}"' if found.group(1) else "at its end"
    return InvalidSearchQuery(
        f"the search {q!r} is not valid {where}: check its quotes, brackets and AND, OR, NOT"
    )


def _bare(word: str) -> bool:
    """FTS5's barewords: non-ASCII characters, ASCII letters and digits, and ``_``."""
    return all(not char.isascii() or char.isalnum() or char == "_" for char in word)
