"""Ranking over search-app's corpus of 504 articles, checked by reading the hand-written ones.

The expected orders below come from reading tests/fixtures/search-app/corpus.py: the words
searched for (sourdough, bowline, croissant …) appear only in its hand-written ``ANCHORS``, among
480 generated articles that give BM25 realistic word statistics.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import TestApp

Titles = Callable[..., list[str]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # both words in the title (weight 3) and the body, against one in each
        ("sourdough starter", ["Sourdough starter care", "Baking a sourdough loaf"]),
        # in the title and twice in the body, against once in the body
        ("starter", ["Sourdough starter care", "Baking a sourdough loaf"]),
        # in the title and the body, against only in the body
        ("chain", ["Cleaning a bicycle chain", "Anchoring overnight in a bay"]),
        ("bowline", ["Tying a bowline"]),
        ("bread", ["Why bread goes stale"]),
    ],
    ids=["two-words", "title-and-twice-in-body", "title-beats-body", "one-article", "one-word"],
)
def test_best_matches_come_first(titles: Titles, q: str, expected: list[str]) -> None:
    assert titles(q) == expected


def test_stemming_finds_other_forms_of_the_word(titles: Titles) -> None:
    assert titles("rose") == ["Pruning roses in winter"]
    assert titles("anchor") == ["Anchoring overnight in a bay"]
    assert titles("reef") == ["Reefing the mainsail"]


def test_phrase_prefix_or_and_not_over_the_corpus(titles: Titles) -> None:
    assert titles('"sourdough loaf"') == ["Baking a sourdough loaf"]
    assert titles('"loaf sourdough"') == []
    assert titles("sourdough NOT loaf") == ["Sourdough starter care"]
    assert titles("croiss*") == ["Croissant lamination"]
    assert sorted(titles("bowline OR puncture")) == ["Fixing a puncture by the road", "Tying a bowline"]
    assert titles("(bowline OR puncture) AND thorn") == ["Fixing a puncture by the road"]


def test_filters_apply_to_the_corpus(titles: Titles) -> None:
    assert titles("sourdough", level="expert") == ["Sourdough starter care"]
    assert titles("sourdough", level="beginner") == ["Baking a sourdough loaf"]
    assert titles("sourdough", topic="music") == []
    assert titles("chain", topic__in="cycling,music") == ["Cleaning a bicycle chain"]


def test_a_common_word_pages_through_many_matches(corpus: TestApp) -> None:
    pages = [
        corpus.get("/api/articles/search", params={"q": "telescope", "per_page": 10, "page": n}).json()
        for n in (1, 2, 3, 4, 5)
    ]
    assert [len(page["items"]) for page in pages] == [10, 10, 10, 3, 0]
    assert {page["total"] for page in pages} == {33}
    ids = [item["record"]["id"] for page in pages for item in page["items"]]
    assert len(set(ids)) == 33  # no record on two pages
    scores = [item["score"] for page in pages for item in page["items"]]
    assert scores == sorted(scores, reverse=True)  # one ranking, cut into pages


def test_every_match_of_a_common_word_holds_it(corpus: TestApp) -> None:
    body = corpus.get("/api/articles/search", params={"q": "telescope", "per_page": 100}).json()
    assert body["total"] == 33
    for item in body["items"]:
        text = f"{item['record']['title']} {item['record']['body']}".lower()
        assert "telescope" in text
        assert "<mark>telescope</mark>" in " ".join(item["highlights"].values()).lower()


def test_highlights_mark_the_stemmed_forms_in_the_text(corpus: TestApp) -> None:
    [item] = corpus.get("/api/articles/search", params={"q": "prune rose"}).json()["items"]
    assert item["highlights"] == {
        "title": "<mark>Pruning</mark> <mark>roses</mark> in winter",
        "body": "Cut <mark>rose</mark> stems back to an outward-facing bud in late winter, removing dead "
        "and crossing wood first.",
    }
