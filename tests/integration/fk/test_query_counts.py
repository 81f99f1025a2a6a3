"""``with=`` costs one query per relation per level, whatever the number of rows, counted over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp

pytestmark = pytest.mark.local_only("counts the SQL statements of the server's own connections")


@pytest.mark.parametrize(
    ("query", "selects"),
    [
        ("", 2),  # the count and the page
        ("?with=author", 3),  # + authors of the page
        ("?with=author,editor", 4),  # + one per to-one relation
        ("?with=author,comments", 4),  # + one for the reverse relation
        ("?with=comments.author", 4),  # comments, then their authors: one per level
        ("?with=comments.author,post_tags.tag", 6),  # two chains of two levels each
    ],
    ids=["no-with", "one-to-one", "two-to-one", "to-one-and-reverse", "two-levels", "two-chains"],
)
def test_with_list_costs_one_select_per_relation_per_level(blog: TestApp, query: str, selects: int) -> None:
    with blog.queries() as q:
        response = blog.get(f"/api/posts{query}")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 3
    assert len(q.selects) == selects, q.statements


def test_with_list_query_count_does_not_grow_with_the_rows(blog: TestApp, ids: Any) -> None:
    with blog.queries() as few:
        assert (
            len(blog.get(f"/api/posts?{ids.scope('posts')}&with=author,comments.author").json()["items"]) == 3
        )
    for n in range(12):
        made = blog.post("/api/posts", json={"title": f"more {n}", "author_id": ids.authors[1 + n % 3]})
        assert made.status_code == 201
        ids.track("posts", made.json()["id"])
        comment = {"body": f"on {n}", "post_id": made.json()["id"], "author_id": ids.authors[2]}
        assert blog.post("/api/comments", json=comment).status_code == 201
    with blog.queries() as many:
        assert (
            len(blog.get(f"/api/posts?{ids.scope('posts')}&with=author,comments.author").json()["items"])
            == 15
        )
    assert len(few.selects) == len(many.selects) == 5


def test_with_read_costs_one_select_per_relation(blog: TestApp, ids: Any) -> None:
    with blog.queries() as plain:
        assert blog.get(f"/api/posts/{ids.posts[1]}").json()["title"] == "Hello"
    with blog.queries() as loaded:
        body = blog.get(f"/api/posts/{ids.posts[1]}?with=author,comments").json()
    assert body["author"]["name"] == "Juste"
    assert [c["body"] for c in body["comments"]] == ["Nice", "Agreed", "Thanks"]
    assert len(plain.selects) == 1
    assert len(loaded.selects) == 3


def test_queries_count_the_writes_of_a_create_in_one_transaction(blog: TestApp) -> None:
    with blog.queries() as q:
        assert blog.post("/api/tags", json={"name": "rust"}).status_code == 201
    assert q.statements[0] == "BEGIN IMMEDIATE"
    assert q.statements[-1] == "COMMIT"
    assert [s.split()[0] for s in q.statements].count("INSERT") == 1


def test_a_cascading_delete_asks_each_relation_once_per_level(blog: TestApp, ids: Any) -> None:
    """Deleting author 1 reads its record, follows each cascade one level at a time (posts, then
    their comments and tags, then replies), then checks each set-null and restrict reference of
    what goes; cascades already followed are not asked again."""
    posts, author = f"[{ids.posts[1]}, {ids.posts[2]}]", f"[{ids.authors[1]}]"
    comments = f"[{ids.comments[1]}, {ids.comments[2]}, {ids.comments[3]}]"
    with blog.queries() as q:
        assert blog.delete(f"/api/authors/{ids.authors[1]}").status_code == 200
    assert q.selects == [
        f'SELECT "id", "name", "email", "created_at", "updated_at" FROM "authors" WHERE id = {ids.authors[1]}',
        f'SELECT id FROM "posts" WHERE "author_id" IN (SELECT value FROM json_each(\'{author}\'))',
        f'SELECT id FROM "comments" WHERE "post_id" IN (SELECT value FROM json_each(\'{posts}\'))',
        f'SELECT id FROM "post_tags" WHERE "post_id" IN (SELECT value FROM json_each(\'{posts}\'))',
        f'SELECT id FROM "comments" WHERE "parent_id" IN (SELECT value FROM json_each(\'{comments}\'))',
        f'SELECT id FROM "posts" WHERE "editor_id" IN (SELECT value FROM json_each(\'{author}\'))',
        f'SELECT id FROM "comments" WHERE "author_id" IN (SELECT value FROM json_each(\'{author}\'))',
        f'SELECT id FROM "pins" WHERE "post_id" IN (SELECT value FROM json_each(\'{posts}\'))',
    ]
