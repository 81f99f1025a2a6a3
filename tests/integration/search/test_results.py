"""The answer of ``GET /api/<plural>/search``: records as GET returns them, scores, highlights,
filters, paging and ``with``; and the 400s for what it does not take."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import Scenario, TestApp, run

Found = Callable[..., list[int]]
Post = Callable[..., dict[str, Any]]
Word = Callable[[], str]


def _search(app: TestApp, **params: Any) -> dict[str, Any]:
    response = app.get("/api/posts/search", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def test_item_is_the_record_as_get_returns_it_with_score_and_highlights(
    blog_app: TestApp, post: Post, word: Word
) -> None:
    marker = word()
    created = post(f"Baking {marker} bread", "Flour, water and salt.", views=3)
    body = _search(blog_app, q=marker)
    assert set(body) == {"items", "page", "per_page", "total"}
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)
    [item] = body["items"]
    assert set(item) == {"record", "score", "highlights"}
    assert item["record"] == blog_app.get(f"/api/posts/{created['id']}").json()
    assert type(item["score"]) is float
    assert item["score"] > 0
    assert item["highlights"] == {"title": f"Baking <mark>{marker}</mark> bread"}


def test_highlights_name_every_field_that_matched_and_only_those(
    blog_app: TestApp, post: Post, word: Word
) -> None:
    a, b = word(), word()
    post(f"{a} in the title", f"{a} and {b} in the body")
    [item] = _search(blog_app, q=f"{a} OR {b}")["items"]
    assert item["highlights"] == {
        "title": f"<mark>{a}</mark> in the title",
        "body": f"<mark>{a}</mark> and <mark>{b}</mark> in the body",
    }
    [item] = _search(blog_app, q=b)["items"]
    assert item["highlights"] == {"body": f"{a} and <mark>{b}</mark> in the body"}


def test_highlights_escape_the_text_and_mark_only_the_matches(
    blog_app: TestApp, post: Post, word: Word
) -> None:
    marker = word()
    post(f"{marker} & friends", f'<script>alert("{marker}")</script> <mark>not ours</mark>')
    [item] = _search(blog_app, q=marker)["items"]
    assert item["highlights"] == {
        "title": f"<mark>{marker}</mark> &amp; friends",
        "body": f"&lt;script&gt;alert(&quot;<mark>{marker}</mark>&quot;)&lt;/script&gt; "
        "&lt;mark&gt;not ours&lt;/mark&gt;",
    }


def test_highlight_of_a_long_field_is_a_snippet_around_the_match(
    blog_app: TestApp, post: Post, word: Word
) -> None:
    marker = word()
    before = " ".join(f"before{n}" for n in range(60))
    after = " ".join(f"after{n}" for n in range(60))
    post(f"{marker} long", f"{before} {marker} {after}")
    [item] = _search(blog_app, q=marker)["items"]
    snippet = item["highlights"]["body"]
    assert f"<mark>{marker}</mark>" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert len(snippet.split()) == 24  # 24 tokens (FTS5 counts words), the match among them
    assert "before0 " not in snippet
    assert "after59" not in snippet


def test_title_weight_ranks_a_title_match_above_a_body_match(post: Post, found: Found, word: Word) -> None:
    marker = word()
    in_body = post("plain words here", f"{marker} plain words")
    in_title = post(f"{marker} plain words", "plain words here")
    assert found(marker) == [in_title["id"], in_body["id"]]  # title weight 3, body 1


def test_more_occurrences_rank_higher(post: Post, found: Found, word: Word) -> None:
    marker = word()
    once = post(f"{marker} one two three")
    twice = post(f"{marker} one {marker} three")
    assert found(marker) == [twice["id"], once["id"]]


def test_scores_come_best_first(blog_app: TestApp, post: Post, word: Word) -> None:
    marker = word()
    post(f"{marker} a b c d e f g h")
    post(f"{marker} {marker} {marker}")
    post(f"{marker} a b")
    scores = [item["score"] for item in _search(blog_app, q=marker)["items"]]
    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3


def test_filters_narrow_the_results(blog_app: TestApp, post: Post, found: Found, word: Word) -> None:
    marker = word()
    draft = post(f"{marker} draft")
    published = post(f"{marker} published", status="published", views=7)
    assert found(marker, status="published") == [published["id"]]
    assert found(marker, status="draft") == [draft["id"]]
    assert found(marker, views__gte=5) == [published["id"]]
    assert found(marker, **{"author.name": "Ann", "status": "published"}) == [published["id"]]
    assert found(marker, **{"author.name": "Nobody"}) == []


def test_pages_split_the_results_and_total_counts_them_all(blog_app: TestApp, post: Post, word: Word) -> None:
    marker = word()
    ids = [post(f"{marker} {'x ' * n}")["id"] for n in range(5)]  # shorter titles rank higher
    pages = [_search(blog_app, q=marker, per_page=2, page=page) for page in (1, 2, 3, 4)]
    assert [[i["record"]["id"] for i in page["items"]] for page in pages] == [ids[0:2], ids[2:4], ids[4:], []]
    assert [(p["page"], p["per_page"], p["total"]) for p in pages] == [(n, 2, 5) for n in (1, 2, 3, 4)]


def test_with_loads_relations_into_each_record(
    blog_app: TestApp, author: int, post: Post, word: Word
) -> None:
    marker = word()
    created = post(f"{marker} related")
    [item] = _search(blog_app, q=marker, **{"with": "author"})["items"]
    assert item["record"]["author"] == blog_app.get(f"/api/authors/{author}").json()
    assert item["record"]["id"] == created["id"]


def test_no_match_is_an_empty_page(blog_app: TestApp, word: Word) -> None:
    assert _search(blog_app, q=word()) == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_collection_without_search_fields_has_no_search(blog_app: TestApp) -> None:
    response = blog_app.get("/api/authors/search", params={"q": "x"})
    assert response.status_code == 404  # /api/authors/{id:int} does not take "search" either
    assert response.json()["error"]["code"] == "not_found"


def _refused(name: str, query: str, message: str) -> Scenario:
    return Scenario(
        name, "GET", f"/api/posts/search{query}", status=400, error="bad_request", message=message
    )


REFUSED = [
    _refused("no-q", "", "q is required: the words to search for, such as ?q=bread"),
    _refused("empty-q", "?q=", "q is required: the words to search for, such as ?q=bread"),
    _refused("blank-q", "?q=%20%20", "q is required: the words to search for, such as ?q=bread"),
    _refused(
        "unknown-mode", "?q=a&mode=fuzzy", "mode must be one of keyword, semantic, hybrid (got 'fuzzy')"
    ),
    _refused(
        "sort", "?q=a&sort=title", "search results are ordered by score, best first: sort is not accepted"
    ),
    _refused(
        "unknown-filter",
        "?q=a&colour=red",
        'unknown filter "colour": Post has no field "colour"',
    ),
    _refused("bad-page", "?q=a&page=0", "page must be a whole number from 1 to 2147483647 (got '0')"),
    _refused("repeated-q", "?q=a&q=b", '"q" is given more than once'),
]


@pytest.mark.parametrize("scenario", REFUSED, ids=str)
def test_what_search_does_not_take_is_400(blog_app: TestApp, scenario: Scenario) -> None:
    run(blog_app, scenario)
