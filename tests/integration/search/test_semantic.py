"""``mode=semantic`` and ``mode=hybrid``: meaning without shared words, cosine scores, min_score,
filters and paging, reciprocal-rank fusion, and embeddings stored with every write."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from harness import Scenario, TestApp, run

Post = Callable[..., dict[str, Any]]
Word = Callable[[], str]


def _search(app: TestApp, collection: str = "articles", **params: Any) -> dict[str, Any]:
    response = app.get(f"/api/{collection}/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@pytest.mark.parametrize(
    ("q", "target"),
    [
        ("vocal ensemble", "Singing in a choir"),
        ("molluscs eating salad leaves", "Keeping slugs off lettuce"),
        ("decomposing kitchen scraps into humus", "Making compost quickly"),
        ("keyboard exercises", "Practising scales on the piano"),
    ],
    ids=["choir", "slugs", "compost", "piano"],
)
def test_a_paraphrase_that_shares_no_word_finds_its_article_first(
    corpus: TestApp, q: str, target: str
) -> None:
    items = _search(corpus, q=q, mode="semantic", per_page=3)["items"]
    best = items[0]["record"]
    assert best["title"] == target
    assert not _words(q) & _words(f"{best['title']} {best['body']}")  # not one word in common
    assert _search(corpus, q=q)["total"] == 0  # so keyword search finds nothing


@pytest.mark.parametrize(
    ("q", "topic"),
    [("pedalling up mountains", "cycling"), ("stargazing gear", "astronomy"), ("vocal ensemble", "music")],
)
def test_the_closest_articles_are_on_the_topic_of_the_question(corpus: TestApp, q: str, topic: str) -> None:
    items = _search(corpus, q=q, mode="semantic", per_page=3)["items"]
    assert [item["record"]["topic"] for item in items] == [topic] * 3


def test_semantic_scores_are_cosines_best_first_without_highlights(corpus: TestApp) -> None:
    body = _search(corpus, q="vocal ensemble", mode="semantic", per_page=100)
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)  # min_score 0 leaves out the rest
    assert all(item["highlights"] == {} for item in body["items"])
    assert 100 < body["total"] < 504  # articles unrelated to singing score 0 or less


def test_min_score_leaves_out_the_articles_at_or_below_it(corpus: TestApp) -> None:
    every = _search(corpus, q="vocal ensemble", mode="semantic", per_page=100)["items"]
    cut = every[2]["score"]  # the third best: only two are above it
    above = _search(corpus, q="vocal ensemble", mode="semantic", min_score=cut)
    assert [item["record"]["id"] for item in above["items"]] == [item["record"]["id"] for item in every[:2]]
    assert above["total"] == 2


def test_filters_and_pages_apply_to_semantic_search(corpus: TestApp) -> None:
    pages = [
        _search(
            corpus, q="vocal ensemble", mode="semantic", topic="baking", level="expert", per_page=5, page=n
        )
        for n in (1, 2)
    ]
    items = pages[0]["items"] + pages[1]["items"]
    assert {(i["record"]["topic"], i["record"]["level"]) for i in items} == {("baking", "expert")}
    assert len({i["record"]["id"] for i in items}) == 10
    assert pages[0]["total"] == pages[1]["total"] <= 84  # at most the baking articles
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_hybrid_fuses_the_two_rankings_by_reciprocal_rank(corpus: TestApp) -> None:
    q = "telescope"
    keyword = [i["record"]["id"] for i in _search(corpus, q=q, per_page=100)["items"]]
    meaning = [i["record"]["id"] for i in _search(corpus, q=q, mode="semantic", per_page=100)["items"]]
    assert len(keyword) == 33
    fused: dict[int, float] = {}
    for ranking in (keyword, meaning):  # worked out here, as RRF with k = 60 defines it
        for rank, record_id in enumerate(ranking, start=1):
            fused[record_id] = fused.get(record_id, 0) + 1 / (60 + rank)
    expected = sorted(fused, key=lambda record_id: (-fused[record_id], record_id))[:20]
    body = _search(corpus, q=q, mode="hybrid")
    assert [i["record"]["id"] for i in body["items"]] == expected
    assert [i["score"] for i in body["items"]] == pytest.approx([fused[i] for i in expected])
    total_semantic = _search(corpus, q=q, mode="semantic")["total"]
    assert total_semantic >= 100  # the semantic list is longer than one page, so the union is
    assert body["total"] >= total_semantic


def test_hybrid_keeps_highlights_of_keyword_matches_only(corpus: TestApp) -> None:
    items = _search(corpus, q="sourdough", mode="hybrid", per_page=10)["items"]
    highlighted = {i["record"]["title"]: i["highlights"] for i in items if i["highlights"]}
    assert highlighted == {
        "Sourdough starter care": {
            "title": "<mark>Sourdough</mark> starter care",
            "body": "Feed the starter with equal weights of flour and water every morning. A lively "
            "<mark>sourdough</mark> starter doubles in four hours and smells pleasantly sour.",
        },
        "Baking a sourdough loaf": {"title": "Baking a <mark>sourdough</mark> loaf"},
    }
    assert [i["record"]["title"] for i in items[:2]] == ["Sourdough starter care", "Baking a sourdough loaf"]


def test_a_new_post_is_found_by_meaning_at_once(blog_app: TestApp, author: int, post: Post) -> None:
    post("Tuning a violin", "Tune the strings in fifths with the fine tuners.")
    post("Fixing a puncture", "Patch the inner tube and pump the tyre.")
    body = _search(blog_app, "posts", q="adjusting a fiddle", mode="semantic", author_id=author)
    assert body["items"][0]["record"]["title"] == "Tuning a violin"


def test_an_edited_post_is_found_by_its_new_meaning(blog_app: TestApp, author: int, post: Post) -> None:
    first = post("Tuning a violin", "Tune the strings in fifths.")
    other = post("Singing in a choir", "Listen to the voices beside you.")

    def found(q: str) -> list[int]:
        body = _search(blog_app, "posts", q=q, mode="semantic", author_id=author)
        return [int(item["record"]["id"]) for item in body["items"]]

    assert found("string instrument pitch")[0] == first["id"]
    assert found("mending a burst tyre") == []  # neither is about tyres: no cosine above 0
    edit = {"title": "Fixing a puncture", "body": "Patch the inner tube."}
    assert blog_app.patch(f"/api/posts/{first['id']}", json=edit).status_code == 200
    assert found("string instrument pitch")[0] == other["id"]
    assert found("mending a burst tyre") == [first["id"]]


def test_deleted_posts_leave_the_semantic_ranking(blog_app: TestApp, author: int, post: Post) -> None:
    kept, deleted = post("Tuning a violin"), post("Tuning a cello")
    assert blog_app.delete(f"/api/posts/{deleted['id']}").status_code == 200
    body = _search(blog_app, "posts", q="violin", mode="semantic", author_id=author)
    assert [i["record"]["id"] for i in body["items"]] == [kept["id"]]


@pytest.mark.local_only("reads the stored embeddings")
def test_the_embedding_is_stored_in_the_same_transaction_as_the_write(blog_app: TestApp, post: Post) -> None:
    vectors = blog_app.db["_kiln_vectors_posts"]
    created = post("Tuning a violin")
    stored = vectors.get(created["id"])["vector"]
    assert len(stored) == 256 * 4  # 256 float32
    blog_app.patch(f"/api/posts/{created['id']}", json={"views": 3})
    assert vectors.get(created["id"])["vector"] == stored  # not a searched field
    blog_app.patch(f"/api/posts/{created['id']}", json={"title": "Reefing the mainsail"})
    changed = vectors.get(created["id"])["vector"]
    assert changed is not None
    assert changed != stored
    refused = blog_app.patch(f"/api/posts/{created['id']}", json={"title": "x" * 201})
    assert refused.status_code == 422
    assert vectors.get(created["id"])["vector"] == changed


@pytest.mark.local_only("writes rows with plain SQL")
def test_rows_written_with_plain_sql_are_embedded_before_the_next_search(
    blog_app: TestApp, author: int
) -> None:
    now = "2030-01-01T00:00:00.000Z"
    row = {"title": "Tuning a violin", "author_id": author, "created_at": now, "updated_at": now}
    post_id = blog_app.db["posts"].insert(row).last_pk
    assert blog_app.db["_kiln_vectors_posts"].get(post_id)["vector"] is None  # due
    body = _search(blog_app, "posts", q="adjusting a fiddle", mode="semantic")
    assert [i["record"]["id"] for i in body["items"]] == [post_id]
    assert blog_app.db["_kiln_vectors_posts"].get(post_id)["vector"] is not None


def _refused(name: str, query: str, message: str) -> Scenario:
    path = f"/api/posts/search?q=violin{query}"
    return Scenario(name, "GET", path, status=400, error="bad_request", message=message)


REFUSED = [
    _refused(
        "min-score-with-keyword",
        "&min_score=0.5",
        "min_score applies to mode=semantic and mode=hybrid, not to keyword search",
    ),
    _refused(
        "min-score-not-a-number",
        "&mode=semantic&min_score=high",
        "min_score must be a number from -1 to 1 (got 'high')",
    ),
    _refused(
        "min-score-above-one",
        "&mode=hybrid&min_score=1.5",
        "min_score must be a number from -1 to 1 (got '1.5')",
    ),
    _refused(
        "min-score-nan", "&mode=semantic&min_score=nan", "min_score must be a number from -1 to 1 (got 'nan')"
    ),
    _refused("mode-twice", "&mode=semantic&mode=hybrid", '"mode" is given more than once'),
]


@pytest.mark.parametrize("scenario", REFUSED, ids=str)
def test_what_semantic_search_does_not_take_is_400(blog_app: TestApp, scenario: Scenario) -> None:
    run(blog_app, scenario)


def test_hybrid_refuses_malformed_keyword_syntax(blog_app: TestApp) -> None:
    run(
        blog_app,
        Scenario(
            "hybrid-syntax",
            "GET",
            "/api/posts/search?q=violin%20AND&mode=hybrid",
            status=400,
            error="invalid_search_query",
            message="the search 'violin AND' is not valid at its end: check its quotes, brackets and AND, OR, NOT",
        ),
    )


def test_semantic_search_takes_any_text_even_keyword_syntax(
    blog_app: TestApp, author: int, post: Post
) -> None:
    created = post("Tuning a violin")
    body = _search(blog_app, "posts", q='violin AND "', mode="semantic", author_id=author)
    assert [i["record"]["id"] for i in body["items"]] == [created["id"]]
