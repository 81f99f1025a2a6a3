"""Deletes cascade, restrict or clear references in one transaction, and say what they did."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.local_only


def test_delete_writer_cascades_through_posts_comments_and_links(
    blog: TestApp, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    response = blog.delete("/api/authors/1")
    assert response.status_code == 200
    # Juste's posts 1, 2; post 1's comments 1, 2, 3; post 1's tag links 1, 2.
    # Juste's comment 4 on Ana's post is kept with author_id cleared; Ana's post loses its editor.
    assert response.json() == {
        "deleted": {
            "entity": "Author",
            "id": 1,
            "cascaded": {"Post": 2, "Comment": 3, "PostTag": 2},
            "nulled": {"Post": 1, "Comment": 1},
        }
    }
    assert counts(blog) == {"authors": 2, "posts": 1, "comments": 1, "tags": 3, "post_tags": 1, "pins": 0}
    assert blog.db["posts"].get(3)["editor_id"] is None
    assert blog.db["comments"].get(4)["author_id"] is None


def test_delete_post_cascades_comments_and_links_only(
    blog: TestApp, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    body = blog.delete("/api/posts/1").json()
    assert body["deleted"]["cascaded"] == {"Comment": 3, "PostTag": 2}
    assert body["deleted"]["nulled"] == {}
    assert counts(blog) == {"authors": 3, "posts": 2, "comments": 1, "tags": 3, "post_tags": 1, "pins": 0}


def test_delete_comment_cascades_its_replies(blog: TestApp) -> None:
    body = blog.delete("/api/comments/1").json()
    assert body["deleted"] == {"entity": "Comment", "id": 1, "cascaded": {"Comment": 2}, "nulled": {}}
    assert [row["id"] for row in blog.db["comments"].rows] == [4]


def test_delete_leaf_comment_cascades_nothing(blog: TestApp) -> None:
    assert blog.delete("/api/comments/3").json()["deleted"] == {
        "entity": "Comment",
        "id": 3,
        "cascaded": {},
        "nulled": {},
    }
    assert blog.db["comments"].count == 3


def test_delete_editor_only_clears_references(blog: TestApp) -> None:
    body = blog.delete("/api/authors/3").json()  # Bo wrote comment 2 and edits nothing
    assert body["deleted"] == {"entity": "Author", "id": 3, "cascaded": {}, "nulled": {"Comment": 1}}
    assert blog.db["comments"].get(2)["author_id"] is None
    assert blog.db["comments"].count == 4


def test_delete_used_tag_is_restricted_and_changes_nothing(
    blog: TestApp, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    before = counts(blog)
    error = assert_error(
        blog.delete("/api/tags/1"), 409, "delete_restricted", {"PostTag": "2 records refer to it"}
    )
    assert error["message"] == (
        "Tag 1 cannot be deleted: 2 PostTag records refer to it through tag_id, which is on_delete = restrict (ids 1, 3)"
    )
    assert counts(blog) == before


def test_delete_unused_tag_succeeds(blog: TestApp) -> None:
    assert blog.delete("/api/tags/3").json()["deleted"]["cascaded"] == {}
    assert blog.db["tags"].count == 2


def test_restrict_deep_in_a_cascade_blocks_the_whole_delete(
    blog: TestApp, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    blog.post("/api/pins", json={"post_id": 2, "note": "keep"})
    before = counts(blog)
    error = assert_error(
        blog.delete("/api/authors/1"), 409, "delete_restricted", {"Pin": "1 record refers to it"}
    )
    assert error["message"] == (
        "Author 1 cannot be deleted: 1 Pin record refers to Post records the delete would cascade to "
        "through post_id, which is on_delete = restrict (ids 1)"
    )
    assert counts(blog) == before  # nothing cascaded, nothing cleared
    assert blog.db["posts"].get(3)["editor_id"] == 1


def test_delete_after_unpinning_goes_through(blog: TestApp) -> None:
    pin = blog.post("/api/pins", json={"post_id": 2}).json()
    assert blog.delete("/api/authors/1").status_code == 409
    assert blog.delete(f"/api/pins/{pin['id']}").status_code == 200
    assert blog.delete("/api/authors/1").status_code == 200
    assert blog.db["posts"].count == 1


def test_delete_with_stale_if_match_changes_nothing(
    blog: TestApp, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    stale = blog.get("/api/authors/1").headers["etag"]
    blog.patch("/api/authors/1", json={"name": "Juste L."})
    before = counts(blog)
    assert_error(blog.delete("/api/authors/1", headers={"If-Match": stale}), 412, "precondition_failed")
    assert counts(blog) == before


def test_deleted_records_vanish_from_relations(blog: TestApp) -> None:
    blog.delete("/api/comments/2")
    post = blog.get("/api/posts/1?with=comments.replies").json()
    assert [(c["body"], [r["body"] for r in c["replies"]]) for c in post["comments"]] == [("Nice", [])]


def test_cascade_counts_many_records(app: TestApp) -> None:
    author = app.post("/api/authors", json={"name": "Prolific"}).json()["id"]
    for n in range(20):
        post = app.post("/api/posts", json={"title": f"p{n}", "author_id": author}).json()["id"]
        for m in range(3):
            app.post("/api/comments", json={"body": f"c{m}", "post_id": post})
    body = app.delete(f"/api/authors/{author}").json()
    assert body["deleted"]["cascaded"] == {"Post": 20, "Comment": 60}
    assert (app.db["posts"].count, app.db["comments"].count) == (0, 0)


def test_delete_pinned_post_is_restricted(blog: TestApp, counts: Callable[[TestApp], dict[str, int]]) -> None:
    blog.post("/api/pins", json={"post_id": 1})
    before = counts(blog)
    error = assert_error(
        blog.delete("/api/posts/1"), 409, "delete_restricted", {"Pin": "1 record refers to it"}
    )
    assert error["message"].startswith("Post 1 cannot be deleted: 1 Pin record refers to it through post_id")
    assert counts(blog) == before


def test_put_clears_an_optional_reference(blog: TestApp) -> None:
    post = blog.put("/api/posts/1", json={"title": "Hello", "author_id": 1}).json()
    assert post["editor_id"] is None
    assert blog.db["posts"].get(1)["editor_id"] is None
    assert [p["title"] for p in blog.get("/api/authors/2?with=edited_posts").json()["edited_posts"]] == []
