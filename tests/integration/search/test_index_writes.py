"""One index, every write path: what a search finds is what the tables hold, at once.

Creates, PATCH, PUT and deletes through the API, cascades and ``set null``, refused and rolled-back
writes, and (locally) plain SQL on the app's database. FLIN's second bug was an index that
missed updates; the regression test below edits one record many times and searches after each.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error

Found = Callable[..., list[int]]
Post = Callable[..., dict[str, Any]]
Word = Callable[[], str]


def test_created_post_is_found_by_its_title_and_body_words(post: Post, found: Found, word: Word) -> None:
    in_title, in_body = word(), word()
    created = post(f"Notes on {in_title}", f"The {in_body} of it")
    assert found(in_title) == [created["id"]]
    assert found(in_body) == [created["id"]]


def test_patch_makes_the_new_title_findable_and_forgets_the_old(
    blog_app: TestApp, post: Post, found: Found, word: Word
) -> None:
    old, new = word(), word()
    created = post(f"About {old}")
    response = blog_app.patch(f"/api/posts/{created['id']}", json={"title": f"About {new}"})
    assert response.status_code == 200, response.text
    assert found(new) == [created["id"]]
    assert found(old) == []


def test_put_replaces_every_searched_field(
    blog_app: TestApp, author: int, post: Post, found: Found, word: Word
) -> None:
    title, body, replaced = word(), word(), word()
    created = post(f"The {title}", f"All about {body}")
    response = blog_app.put(
        f"/api/posts/{created['id']}", json={"title": f"Now {replaced}", "author_id": author}
    )
    assert response.status_code == 200, response.text
    assert response.json()["body"] is None  # PUT without a body clears it
    assert found(replaced) == [created["id"]]
    assert found(title) == []
    assert found(body) == []


def test_patching_a_field_that_is_not_searched_keeps_the_record_findable(
    blog_app: TestApp, post: Post, word: Word
) -> None:
    marker = word()
    created = post(f"Views of {marker}")
    assert blog_app.patch(f"/api/posts/{created['id']}", json={"views": 41}).status_code == 200
    items = blog_app.get("/api/posts/search", params={"q": marker}).json()["items"]
    assert [item["record"]["views"] for item in items] == [41]  # the record as it is now


def test_deleted_post_is_no_longer_found(blog_app: TestApp, post: Post, found: Found, word: Word) -> None:
    marker = word()
    kept, deleted = post(f"{marker} kept"), post(f"{marker} deleted")
    assert blog_app.delete(f"/api/posts/{deleted['id']}").status_code == 200
    assert found(marker) == [kept["id"]]


def test_cascade_removes_posts_and_their_comments_from_the_index(
    blog_app: TestApp, author: int, post: Post, found: Found, word: Word
) -> None:
    marker = word()
    created = post(f"{marker} post")
    comment = blog_app.post("/api/comments", json={"body": f"{marker} comment", "post_id": created["id"]})
    reply = blog_app.post(
        "/api/comments",
        json={"body": f"{marker} reply", "post_id": created["id"], "parent_id": comment.json()["id"]},
    )
    assert found(marker, "comments") == [comment.json()["id"], reply.json()["id"]]
    deleted = blog_app.delete(f"/api/authors/{author}").json()["deleted"]
    assert deleted["cascaded"] == {"Post": 1, "Comment": 2}
    assert found(marker) == []
    assert found(marker, "comments") == []


def test_set_null_keeps_the_record_findable_with_the_reference_cleared(
    blog_app: TestApp, post: Post, word: Word
) -> None:
    editor = blog_app.post("/api/authors", json={"name": "Ed"}).json()["id"]
    marker = word()
    created = post(f"{marker} edited", editor_id=editor)
    assert blog_app.delete(f"/api/authors/{editor}").status_code == 200
    items = blog_app.get("/api/posts/search", params={"q": marker}).json()["items"]
    assert [(item["record"]["id"], item["record"]["editor_id"]) for item in items] == [(created["id"], None)]


def test_refused_patch_leaves_the_index_as_it_was(
    blog_app: TestApp, post: Post, found: Found, word: Word
) -> None:
    old, new = word(), word()
    created = post(f"{old} title")
    response = blog_app.patch(f"/api/posts/{created['id']}", json={"title": f"{new} " + "x" * 200})
    assert_error(response, 422, "validation_failed", {"title": "must be at most 200 characters"})
    assert found(old) == [created["id"]]
    assert found(new) == []


def test_restricted_delete_rolls_back_and_every_post_stays_found(
    blog_app: TestApp, author: int, post: Post, found: Found, word: Word
) -> None:
    marker = word()
    first, pinned = post(f"{marker} one"), post(f"{marker} two")
    assert blog_app.post("/api/pins", json={"post_id": pinned["id"]}).status_code == 201
    assert_error(blog_app.delete(f"/api/authors/{author}"), 409, "delete_restricted")
    assert found(marker) == [first["id"], pinned["id"]]


@pytest.mark.regression
def test_every_edit_of_one_post_is_searchable_at_once(
    blog_app: TestApp, post: Post, found: Found, word: Word
) -> None:
    """FLIN's bug 2: the index missed updates, so an edited title was found by its old words."""
    words = [word() for _ in range(20)]
    created = post(words[0])
    for before, after in itertools.pairwise(words):
        response = blog_app.patch(
            f"/api/posts/{created['id']}", json={"title": after, "body": f"was {before}"}
        )
        assert response.status_code == 200, response.text
        assert found(after) == [created["id"]]
        assert found(before) == [created["id"]]  # now only in the body
    assert found(words[1]) == []  # two edits ago: in neither field any more


@pytest.mark.local_only("writes rows with plain SQL")
def test_rows_written_with_plain_sql_are_indexed_too(
    blog_app: TestApp, author: int, found: Found, word: Word
) -> None:
    inserted, updated = word(), word()
    now = "2030-01-01T00:00:00.000Z"
    posts = blog_app.db["posts"]
    row = {"title": inserted, "author_id": author, "created_at": now, "updated_at": now}
    post_id = posts.insert(row).last_pk
    assert found(inserted) == [post_id]
    posts.update(post_id, {"body": updated})
    assert found(updated) == [post_id]
    posts.delete(post_id)
    assert found(inserted) == []
