"""What ``q`` accepts: words, phrases, prefixes, AND/OR/NOT and groups; malformed syntax is a 400.

Each test writes posts holding words made for it, so the same searches hold on a shared server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import Scenario, TestApp, run

Found = Callable[..., list[int]]
Post = Callable[..., dict[str, Any]]
Word = Callable[[], str]


@pytest.fixture
def three(post: Post, word: Word) -> dict[str, Any]:
    """Three posts over two words ``a`` and ``b``: one has ``a``, one ``b``, one both, in that order."""
    a, b = word(), word()
    return {
        "a": a,
        "b": b,
        "only_a": post(f"{a} alone")["id"],
        "only_b": post(f"{b} alone")["id"],
        "both": post(f"{a} beside {b}")["id"],
    }


def test_two_words_find_the_records_holding_both(three: dict[str, Any], found: Found) -> None:
    assert found(f"{three['a']} {three['b']}") == [three["both"]]
    assert found(f"{three['a']} AND {three['b']}") == [three["both"]]


def test_or_finds_either_word(three: dict[str, Any], found: Found) -> None:
    assert sorted(found(f"{three['a']} OR {three['b']}")) == sorted(
        [three["only_a"], three["only_b"], three["both"]]
    )


def test_not_leaves_out_records_with_the_word(three: dict[str, Any], found: Found) -> None:
    assert found(f"{three['a']} NOT {three['b']}") == [three["only_a"]]


def test_parentheses_group(three: dict[str, Any], found: Found, post: Post, word: Word) -> None:
    c = word()
    with_c = post(f"{three['b']} and {c}")["id"]
    assert sorted(found(f"({three['a']} OR {c}) AND {three['b']}")) == sorted([three["both"], with_c])


def test_lower_case_operators_are_plain_words(three: dict[str, Any], found: Found) -> None:
    assert found(f"{three['a']} or {three['b']}") == []  # "or" is a word no post has next to both


def test_phrase_needs_the_words_in_order(post: Post, found: Found, word: Word) -> None:
    a, b = word(), word()
    in_order, reversed_ = post(f"{a} {b} here"), post(f"{b} {a} there")
    assert found(f'"{a} {b}"') == [in_order["id"]]
    assert found(f'"{b} {a}"') == [reversed_["id"]]


def test_prefix_finds_longer_words(post: Post, found: Found, word: Word) -> None:
    stem = word()
    longer = post(f"{stem}ification")
    assert found(f"{stem}*") == [longer["id"]]
    assert found(stem) == []  # without the star, a word must match whole


def test_words_with_punctuation_are_searched_as_their_words(post: Post, found: Found, word: Word) -> None:
    a, b = word(), word()
    created = post(f"{a}'s {b}++ guide")
    assert found(f"{a}'s") == [created["id"]]
    assert found(f"{b}++") == [created["id"]]
    assert found(f"title:{a}") == []  # "title:x" is the words "title" and x, not a column filter


def test_stemming_and_accents_match_forms_of_a_word(post: Post, found: Found, word: Word) -> None:
    marker = word()
    created = post(f"{marker} baking at the Café")
    assert found(f"{marker} baked cafe") == [created["id"]]
    assert found(f"{marker} BAKES CAFÉ") == [created["id"]]


def _malformed(name: str, q: str, message: str) -> Scenario:
    path = f"/api/posts/search?q={q}"
    return Scenario(name, "GET", path, status=400, error="invalid_search_query", message=message)


MALFORMED = [
    _malformed(
        "dangling-and",
        "bread AND",
        "the search 'bread AND' is not valid at its end: check its quotes, brackets and AND, OR, NOT",
    ),
    _malformed(
        "leading-not",
        "NOT bread",
        "the search 'NOT bread' is not valid near \"NOT\": check its quotes, brackets and AND, OR, NOT",
    ),
    _malformed(
        "two-operators",
        "bread OR OR butter",
        "the search 'bread OR OR butter' is not valid near \"OR\": check its quotes, brackets and AND, OR, NOT",
    ),
    _malformed(
        "unclosed-group",
        "(bread",
        "the search '(bread' is not valid at its end: check its quotes, brackets and AND, OR, NOT",
    ),
    _malformed(
        "empty-group",
        "()",
        "the search '()' is not valid near \")\": check its quotes, brackets and AND, OR, NOT",
    ),
    _malformed("unclosed-quote", '"bread', "the search '\"bread' has a quote that is never closed"),
    _malformed("lone-star", "*", "the search '*' has a * that follows no word"),
]


@pytest.mark.parametrize("scenario", MALFORMED, ids=str)
def test_malformed_syntax_is_400_never_500(blog_app: TestApp, scenario: Scenario) -> None:
    run(blog_app, scenario)
