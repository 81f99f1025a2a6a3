"""Ref fields: stored as numbers, checked against the database, enforced by foreign keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from harness import Scenario, TestApp, assert_error, run, unique_id


def test_create_with_existing_reference_stores_number(blog: TestApp, ids: Any, stored: Any) -> None:
    response = blog.post("/api/posts", json={"title": "New", "author_id": ids.authors[3]})
    assert response.status_code == 201
    record = response.json()
    assert record["author_id"] == ids.authors[3]
    assert type(record["author_id"]) is int
    assert stored(blog, "posts", record["id"])["author_id"] == ids.authors[3]


GONE = 987654321  # an id no record has, locally or on a shared server


def _missing(name: str, collection: str, body: dict[str, Any], fields: dict[str, str]) -> Scenario:
    """A create whose reference names no record: 422 naming the field and the id."""
    return Scenario(
        name, "POST", f"/api/{collection}", json=body, status=422, error="validation_failed", fields=fields
    )


# "{author1}" and "{post1}" are the seeded author 1 and post 1
MISSING = [
    _missing(
        "missing-writer",
        "posts",
        {"title": "x", "author_id": GONE},
        {"author_id": f"Author {GONE} does not exist"},
    ),
    _missing(
        "missing-editor",
        "posts",
        {"title": "x", "author_id": "{author1}", "editor_id": GONE},
        {"editor_id": f"Author {GONE} does not exist"},
    ),
    _missing(
        "missing-post", "comments", {"body": "x", "post_id": GONE}, {"post_id": f"Post {GONE} does not exist"}
    ),
    _missing(
        "missing-parent-comment",
        "comments",
        {"body": "x", "post_id": "{post1}", "parent_id": GONE},
        {"parent_id": f"Comment {GONE} does not exist"},
    ),
    _missing(
        "missing-both-sides",
        "post_tags",
        {"post_id": GONE, "tag_id": GONE + 1},
        {"post_id": f"Post {GONE} does not exist", "tag_id": f"Tag {GONE + 1} does not exist"},
    ),
    _missing(
        "missing-tag",
        "post_tags",
        {"post_id": "{post1}", "tag_id": GONE},
        {"tag_id": f"Tag {GONE} does not exist"},
    ),
]


@pytest.mark.parametrize("scenario", MISSING, ids=str)
def test_reference_to_missing_record_is_422_naming_field_and_id(
    blog: TestApp, ids: Any, scenario: Scenario, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    before = counts(blog)
    run(blog, scenario.format(author1=ids.authors[1], post1=ids.posts[1]))
    assert counts(blog) == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1", "must be the id of a record (a positive integer)"),
        (True, "must be the id of a record (a positive integer)"),
        (0, "must be the id of a record (a positive integer)"),
        (-3, "must be the id of a record (a positive integer)"),
        (1.5, "must be the id of a record (a positive integer)"),
        ({"id": 1}, "must be the id of a record (a positive integer)"),
        (None, "is required"),
    ],
    ids=["string", "bool", "zero", "negative", "fraction", "object", "null-required"],
)
def test_reference_of_wrong_type_is_422(blog: TestApp, count: Any, value: Any, message: str) -> None:
    title = unique_id("wrong-ref")
    response = blog.post("/api/posts", json={"title": title, "author_id": value})
    assert_error(response, 422, "validation_failed", {"author_id": message})
    assert count(blog, "posts", title=title) == 0


def test_required_reference_omitted_is_422(blog: TestApp) -> None:
    assert_error(
        blog.post("/api/posts", json={"title": "x"}), 422, "validation_failed", {"author_id": "is required"}
    )


def test_patch_to_missing_reference_is_422_and_changes_nothing(blog: TestApp, ids: Any) -> None:
    before = blog.get(f"/api/posts/{ids.posts[1]}").json()
    assert_error(
        blog.patch(f"/api/posts/{ids.posts[1]}", json={"author_id": GONE}),
        422,
        "validation_failed",
        {"author_id": f"Author {GONE} does not exist"},
    )
    assert blog.get(f"/api/posts/{ids.posts[1]}").json() == before


def test_patch_moves_reference_to_another_record(blog: TestApp, ids: Any) -> None:
    moved = blog.patch(f"/api/posts/{ids.posts[2]}", json={"author_id": ids.authors[3]}).json()
    assert moved["author_id"] == ids.authors[3]
    assert [p["title"] for p in blog.get(f"/api/authors/{ids.authors[3]}?with=posts").json()["posts"]] == [
        "Second"
    ]


def test_optional_reference_can_be_cleared(blog: TestApp, ids: Any, stored: Any) -> None:
    assert blog.patch(f"/api/posts/{ids.posts[1]}", json={"editor_id": None}).json()["editor_id"] is None
    assert stored(blog, "posts", ids.posts[1])["editor_id"] is None


def test_self_reference_threads_comments(blog: TestApp, ids: Any) -> None:
    body = {"body": "Deep", "post_id": ids.posts[1], "parent_id": ids.comments[3]}
    reply = blog.post("/api/comments", json=body).json()
    assert reply["parent_id"] == ids.comments[3]
    assert [
        c["body"] for c in blog.get(f"/api/comments/{ids.comments[3]}?with=replies").json()["replies"]
    ] == ["Deep"]


def test_many_to_many_through_join_table(blog: TestApp, ids: Any) -> None:
    assert (
        blog.post("/api/post_tags", json={"post_id": ids.posts[2], "tag_id": ids.tags[3]}).status_code == 201
    )
    post = blog.get(f"/api/posts/{ids.posts[2]}?with=post_tags.tag").json()
    assert [link["tag"]["name"] for link in post["post_tags"]] == [ids.unique("unused")]
    tag = blog.get(f"/api/tags/{ids.tags[1]}?with=post_tags.post").json()
    assert [link["post"]["title"] for link in tag["post_tags"]] == ["Hello", "Ana's post"]


@pytest.mark.local_only("opens the SQLite file to check its foreign keys")
def test_database_enforces_foreign_keys(blog: TestApp) -> None:
    conn = sqlite3.connect(blog.db_path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY constraint failed"):
            conn.execute(
                "INSERT INTO posts (created_at, updated_at, title, author_id) VALUES ('t', 't', 'x', 999)"
            )
        keys = {(row[3], row[2], row[6]) for row in conn.execute("PRAGMA foreign_key_list(posts)")}
    finally:
        conn.close()
    assert keys == {("author_id", "authors", "CASCADE"), ("editor_id", "authors", "SET NULL")}


def test_ref_filters_support_eq_in_and_isnull(blog: TestApp, ids: Any) -> None:
    assert [
        p["title"]
        for p in blog.get(f"/api/posts?{ids.scope('posts')}&author_id={ids.authors[1]}").json()["items"]
    ] == [
        "Hello",
        "Second",
    ]
    assert [
        p["title"]
        for p in blog.get(
            f"/api/posts?{ids.scope('posts')}&author_id__in={ids.authors[2]},{ids.authors[3]}"
        ).json()["items"]
    ] == ["Ana's post"]
    assert [
        p["title"]
        for p in blog.get(f"/api/posts?{ids.scope('posts')}&editor_id__isnull=true").json()["items"]
    ] == ["Second"]
    assert_error(blog.get(f"/api/posts?{ids.scope('posts')}&author_id__gt=1"), 400, "bad_request")
