"""q as an FTS5 query: which words are quoted, what stays FTS5 syntax, and FTS5's complaints."""

from __future__ import annotations

import sqlite3

import pytest

from kiln.entities.search_syntax import fts_query, is_query_error, syntax_error
from kiln.errors import InvalidSearchQuery


@pytest.mark.parametrize(
    ("q", "query"),
    [
        ("bread butter", "bread butter"),
        ("bread OR butter", "bread OR butter"),
        ("bread NOT butter", "bread NOT butter"),
        ("(a OR b) AND c", "( a OR b ) AND c"),
        ('"sourdough loaf"', '"sourdough loaf"'),
        ('"sour dough"*', '"sour dough"*'),
        ("wor*", "wor*"),
        ("don't", '"don\'t"'),
        ("c++*", '"c++"*'),
        ("title:bread", '"title:bread"'),
        ("-bread", '"-bread"'),
        ("café naïve", "café naïve"),  # non-ASCII letters are FTS5 barewords
        ("snake_case", "snake_case"),
        ("or and not", "or and not"),  # lower case: plain words
    ],
)
def test_words_with_punctuation_are_quoted_and_syntax_is_kept(q: str, query: str) -> None:
    assert fts_query(q) == query


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ('"bread', "the search '\"bread' has a quote that is never closed"),
        ('bread "', "the search 'bread \"' has a quote that is never closed"),
        ('a"b', "the search 'a\"b' has a quote that is never closed"),  # inside a word, it opens a phrase
        ("*", "the search '*' has a * that follows no word"),
        ("bread **", "the search 'bread **' has a * that follows no word"),
    ],
)
def test_what_cannot_be_made_a_query_is_refused(q: str, message: str) -> None:
    with pytest.raises(InvalidSearchQuery) as refused:
        fts_query(q)
    assert refused.value.message == message
    assert (refused.value.status, refused.value.code) == (400, "invalid_search_query")


@pytest.mark.parametrize(
    ("complaint", "query_error", "message"),
    [
        (
            'fts5: syntax error near "OR"',
            True,
            "the search 'q' is not valid near \"OR\": check its quotes, brackets and AND, OR, NOT",
        ),
        (
            'fts5: syntax error near ""',
            True,
            "the search 'q' is not valid at its end: check its quotes, brackets and AND, OR, NOT",
        ),
        ("unterminated string", True, "the search 'q' is not valid: unterminated string"),
        ("fts5: unknown special query", True, "the search 'q' is not valid: unknown special query"),
        ("no such column: a", True, "the search 'q' is not valid: no such column: a"),
        ('expected integer, got "x"', True, "the search 'q' is not valid: expected integer, got \"x\""),
        ("database is locked", False, None),
    ],
)
def test_fts5_complaints_become_clear_messages(
    complaint: str, query_error: bool, message: str | None
) -> None:
    error = sqlite3.OperationalError(complaint)
    assert is_query_error(error) is query_error
    if message is not None:
        assert syntax_error("q", error).message == message
