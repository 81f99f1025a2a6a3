"""Filter and sort by a to-one relation's field: ?author.name=Juste, sort=author.name."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Scenario, TestApp, run


def _filter(name: str, query: str, titles: list[str]) -> Scenario:
    """The seeded posts (``{scope}``) filtered by ``query`` are ``titles``."""
    expect = {"items": [{"title": t} for t in titles], "total": len(titles)}
    return Scenario(name, "GET", f"/api/posts?{{scope}}&{query}", expect=expect)


FILTERS = [
    _filter("eq", "author.name=Juste", ["Hello", "Second"]),
    _filter("ne", "author.name__ne=Juste", ["Ana's post"]),
    _filter("contains", "author.name__contains=an", ["Ana's post"]),
    _filter("in", "author.name__in=Ana,Bo", ["Ana's post"]),
    _filter("relation-id", "author.id={author2}", ["Ana's post"]),
    _filter("optional-relation", "editor.name=Ana", ["Hello"]),
    _filter("relation-isnull-field", "author.email__isnull=false", ["Hello", "Second", "Ana's post"]),
    _filter("combined-with-own-field", "author.name=Juste&status=draft", ["Second"]),
    _filter("no-match", "author.name=Nobody", []),
]


@pytest.mark.parametrize("scenario", FILTERS, ids=str)
def test_filter_by_related_field(blog: TestApp, ids: Any, scenario: Scenario) -> None:
    run(blog, scenario.format(scope=ids.scope("posts"), author2=ids.authors[2]))


@pytest.mark.parametrize(
    ("sort", "titles"),
    [
        ("author.name,title", ["Ana's post", "Hello", "Second"]),
        ("-author.name,title", ["Hello", "Second", "Ana's post"]),
        ("editor.name,id", ["Second", "Hello", "Ana's post"]),
    ],
    ids=["by-writer-name", "by-writer-name-descending", "by-editor-name"],  # -k auth must not match
)
def test_sort_by_related_field(blog: TestApp, ids: Any, sort: str, titles: list[str]) -> None:
    assert [
        p["title"] for p in blog.get(f"/api/posts?{ids.scope('posts')}&sort={sort}").json()["items"]
    ] == titles


def test_comments_filtered_by_their_posts_writer(blog: TestApp, ids: Any) -> None:
    bodies = [
        c["body"]
        for c in blog.get(
            f"/api/comments?{ids.scope('comments')}&post.author_id={ids.authors[2]}&with=post"
        ).json()["items"]
    ]
    assert bodies == ["Great"]


def _bad_query(name: str, query: str, message: str) -> Scenario:
    path = f"/api/posts?{{scope}}&{query}"
    return Scenario(name, "GET", path, status=400, error="bad_request", message=message)


BAD_QUERIES = [
    _bad_query(
        "misspelt-relation",
        "autor.name=x",
        'unknown filter "autor.name": Post has no to-one relation "autor" (did you mean "author"?)',
    ),
    _bad_query(
        "to-many-relation",
        "comments.body=x",
        'unknown filter "comments.body": Post has no to-one relation "comments" (it has: author, editor)',
    ),
    _bad_query(
        "misspelt-field",
        "author.nmae=x",
        'unknown filter "author.nmae": Author has no field "nmae" (did you mean "name"?)',
    ),
    _bad_query(
        "misspelt-sort-field",
        "sort=author.nmae",
        'cannot sort by "author.nmae": Author has no field "nmae" (did you mean "name"?)',
    ),
    _bad_query(
        "unknown-operator",
        "author.name__like=x",
        'unknown operator "like" on name: use contains, eq, gt, gte, in, isnull, lt, lte, ne',
    ),
]


@pytest.mark.parametrize("scenario", BAD_QUERIES, ids=str)
def test_bad_relation_query_is_400(blog: TestApp, ids: Any, scenario: Scenario) -> None:
    run(blog, scenario.format(scope=ids.scope("posts")))
