"""Filter and sort by a to-one relation's field: ?author.name=Juste, sort=author.name."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error

FILTERS = [
    ("eq", "author.name=Juste", ["Hello", "Second"]),
    ("ne", "author.name__ne=Juste", ["Ana's post"]),
    ("contains", "author.name__contains=an", ["Ana's post"]),
    ("in", "author.name__in=Ana,Bo", ["Ana's post"]),
    ("relation-id", "author.id={author2}", ["Ana's post"]),
    ("optional-relation", "editor.name=Ana", ["Hello"]),
    ("relation-isnull-field", "author.email__isnull=false", ["Hello", "Second", "Ana's post"]),
    ("combined-with-own-field", "author.name=Juste&status=draft", ["Second"]),
    ("no-match", "author.name=Nobody", []),
]


@pytest.mark.parametrize(("query", "titles"), [row[1:] for row in FILTERS], ids=[row[0] for row in FILTERS])
def test_filter_by_related_field(blog: TestApp, ids: Any, query: str, titles: list[str]) -> None:
    query = query.format(author2=ids.authors[2])
    body = blog.get(f"/api/posts?{ids.scope('posts')}&{query}").json()
    assert [p["title"] for p in body["items"]] == titles
    assert body["total"] == len(titles)


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


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "autor.name=x",
            'unknown filter "autor.name": Post has no to-one relation "autor" (did you mean "author"?)',
        ),
        (
            "comments.body=x",
            'unknown filter "comments.body": Post has no to-one relation "comments" (it has: author, editor)',
        ),
        ("author.nmae=x", 'unknown filter "author.nmae": Author has no field "nmae" (did you mean "name"?)'),
        (
            "sort=author.nmae",
            'cannot sort by "author.nmae": Author has no field "nmae" (did you mean "name"?)',
        ),
        (
            "author.name__like=x",
            'unknown operator "like" on name: use contains, eq, gt, gte, in, isnull, lt, lte, ne',
        ),
    ],
    ids=[
        "misspelt-relation",
        "to-many-relation",
        "misspelt-field",
        "misspelt-sort-field",
        "unknown-operator",
    ],
)
def test_bad_relation_query_is_400(blog: TestApp, ids: Any, query: str, message: str) -> None:
    assert (
        assert_error(blog.get(f"/api/posts?{ids.scope('posts')}&{query}"), 400, "bad_request")["message"]
        == message
    )
