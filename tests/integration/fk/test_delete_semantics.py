"""Deletes cascade, restrict or clear references in one transaction, and say what they did.

``ids.authors[1]`` is the seeded author 1 (see conftest.py): the id it has, locally or remotely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp, assert_error


def test_delete_writer_cascades_through_posts_comments_and_links(
    blog: TestApp, ids: Any, stored: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    response = blog.delete(f"/api/authors/{ids.authors[1]}")
    assert response.status_code == 200
    # Juste's posts 1, 2; post 1's comments 1, 2, 3; post 1's tag links 1, 2.
    # Juste's comment 4 on Ana's post is kept with author_id cleared; Ana's post loses its editor.
    assert response.json() == {
        "deleted": {
            "entity": "Author",
            "id": ids.authors[1],
            "cascaded": {"Post": 2, "Comment": 3, "PostTag": 2},
            "nulled": {"Post": 1, "Comment": 1},
        }
    }
    assert counts(blog) == {"authors": 2, "posts": 1, "comments": 1, "tags": 3, "post_tags": 1, "pins": 0}
    assert stored(blog, "posts", ids.posts[3])["editor_id"] is None
    assert stored(blog, "comments", ids.comments[4])["author_id"] is None


def test_delete_post_cascades_comments_and_links_only(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    body = blog.delete(f"/api/posts/{ids.posts[1]}").json()
    assert body["deleted"]["cascaded"] == {"Comment": 3, "PostTag": 2}
    assert body["deleted"]["nulled"] == {}
    assert counts(blog) == {"authors": 3, "posts": 2, "comments": 1, "tags": 3, "post_tags": 1, "pins": 0}


def _comment_ids(blog: TestApp, ids: Any) -> list[int]:
    return [c["id"] for c in blog.get(f"/api/comments?{ids.scope('comments')}").json()["items"]]


def test_delete_comment_cascades_its_replies(blog: TestApp, ids: Any) -> None:
    body = blog.delete(f"/api/comments/{ids.comments[1]}").json()
    assert body["deleted"] == {
        "entity": "Comment",
        "id": ids.comments[1],
        "cascaded": {"Comment": 2},
        "nulled": {},
    }
    assert _comment_ids(blog, ids) == [ids.comments[4]]


def test_delete_comment_with_one_reply_counts_that_reply(blog: TestApp, ids: Any) -> None:
    body = blog.delete(f"/api/comments/{ids.comments[2]}").json()
    assert body["deleted"] == {
        "entity": "Comment",
        "id": ids.comments[2],
        "cascaded": {"Comment": 1},
        "nulled": {},
    }
    assert _comment_ids(blog, ids) == [ids.comments[1], ids.comments[4]]


def test_delete_leaf_comment_cascades_nothing(blog: TestApp, ids: Any) -> None:
    assert blog.delete(f"/api/comments/{ids.comments[3]}").json()["deleted"] == {
        "entity": "Comment",
        "id": ids.comments[3],
        "cascaded": {},
        "nulled": {},
    }
    assert _comment_ids(blog, ids) == [ids.comments[n] for n in (1, 2, 4)]


def test_delete_editor_only_clears_references(blog: TestApp, ids: Any, stored: Any) -> None:
    body = blog.delete(f"/api/authors/{ids.authors[3]}").json()  # Bo wrote comment 2 and edits nothing
    assert body["deleted"] == {
        "entity": "Author",
        "id": ids.authors[3],
        "cascaded": {},
        "nulled": {"Comment": 1},
    }
    assert stored(blog, "comments", ids.comments[2])["author_id"] is None
    assert _comment_ids(blog, ids) == [ids.comments[n] for n in (1, 2, 3, 4)]


def test_delete_used_tag_is_restricted_and_changes_nothing(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    before = counts(blog)
    error = assert_error(
        blog.delete(f"/api/tags/{ids.tags[1]}"),
        409,
        "delete_restricted",
        {"PostTag": "2 records refer to it"},
    )
    assert error["message"] == (
        f"Tag {ids.tags[1]} cannot be deleted: 2 PostTag records refer to it through tag_id, "
        f"which is on_delete = restrict (ids {ids.post_tags[1]}, {ids.post_tags[3]})"
    )
    assert counts(blog) == before


def test_a_restricted_delete_names_the_first_ten_blocking_ids_and_counts_the_rest(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    made = []
    for _ in range(11):  # the unused tag gets 11 uses, then 13 in all after two more
        made.append(
            blog.post("/api/post_tags", json={"post_id": ids.posts[2], "tag_id": ids.tags[3]}).json()["id"]
        )
    for _ in range(2):
        made.append(
            blog.post("/api/post_tags", json={"post_id": ids.posts[3], "tag_id": ids.tags[3]}).json()["id"]
        )
    for made_id in made:
        ids.track("post_tags", made_id)
    before = counts(blog)
    error = assert_error(
        blog.delete(f"/api/tags/{ids.tags[3]}"),
        409,
        "delete_restricted",
        {"PostTag": "13 records refer to it"},
    )
    shown = ", ".join(str(made_id) for made_id in sorted(made)[:10])
    assert error["message"] == (
        f"Tag {ids.tags[3]} cannot be deleted: 13 PostTag records refer to it through tag_id, "
        f"which is on_delete = restrict (ids {shown} and 3 more)"
    )
    assert counts(blog) == before


def test_delete_unused_tag_succeeds(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    assert blog.delete(f"/api/tags/{ids.tags[3]}").json()["deleted"]["cascaded"] == {}
    assert counts(blog)["tags"] == 2


def test_restrict_deep_in_a_cascade_blocks_the_whole_delete(
    blog: TestApp, ids: Any, stored: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    pin = blog.post("/api/pins", json={"post_id": ids.posts[2], "note": "keep"}).json()
    ids.track("pins", pin["id"])
    before = counts(blog)
    error = assert_error(
        blog.delete(f"/api/authors/{ids.authors[1]}"),
        409,
        "delete_restricted",
        {"Pin": "1 record refers to it"},
    )
    assert error["message"] == (
        f"Author {ids.authors[1]} cannot be deleted: 1 Pin record refers to Post records the delete would "
        f"cascade to through post_id, which is on_delete = restrict (ids {pin['id']})"
    )
    assert counts(blog) == before  # nothing cascaded, nothing cleared
    assert stored(blog, "posts", ids.posts[3])["editor_id"] == ids.authors[1]


def test_delete_after_unpinning_goes_through(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    pin = blog.post("/api/pins", json={"post_id": ids.posts[2]}).json()
    assert blog.delete(f"/api/authors/{ids.authors[1]}").status_code == 409
    assert blog.delete(f"/api/pins/{pin['id']}").status_code == 200
    assert blog.delete(f"/api/authors/{ids.authors[1]}").status_code == 200
    assert counts(blog)["posts"] == 1


def test_delete_with_stale_if_match_changes_nothing(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    stale = blog.get(f"/api/authors/{ids.authors[1]}").headers["etag"]
    blog.patch(f"/api/authors/{ids.authors[1]}", json={"name": "Juste L."})
    before = counts(blog)
    assert_error(
        blog.delete(f"/api/authors/{ids.authors[1]}", headers={"If-Match": stale}), 412, "precondition_failed"
    )
    assert counts(blog) == before


def test_deleted_records_vanish_from_relations(blog: TestApp, ids: Any) -> None:
    blog.delete(f"/api/comments/{ids.comments[2]}")
    post = blog.get(f"/api/posts/{ids.posts[1]}?with=comments.replies").json()
    assert [(c["body"], [r["body"] for r in c["replies"]]) for c in post["comments"]] == [("Nice", [])]


def test_cascade_counts_many_records(
    blog_app: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    author = ids.track("authors", blog_app.post("/api/authors", json={"name": "Prolific"}).json()["id"])
    for n in range(20):
        post = ids.track(
            "posts", blog_app.post("/api/posts", json={"title": f"p{n}", "author_id": author}).json()["id"]
        )
        for m in range(3):
            comment = blog_app.post("/api/comments", json={"body": f"c{m}", "post_id": post}).json()
            ids.track("comments", comment["id"])
    assert counts(blog_app)["comments"] == 60
    body = blog_app.delete(f"/api/authors/{author}").json()
    assert body["deleted"]["cascaded"] == {"Post": 20, "Comment": 60}
    assert (counts(blog_app)["posts"], counts(blog_app)["comments"]) == (0, 0)


def test_delete_pinned_post_is_restricted(
    blog: TestApp, ids: Any, counts: Callable[[TestApp], dict[str, int]]
) -> None:
    ids.track("pins", blog.post("/api/pins", json={"post_id": ids.posts[1]}).json()["id"])
    before = counts(blog)
    error = assert_error(
        blog.delete(f"/api/posts/{ids.posts[1]}"), 409, "delete_restricted", {"Pin": "1 record refers to it"}
    )
    assert error["message"].startswith(
        f"Post {ids.posts[1]} cannot be deleted: 1 Pin record refers to it through post_id"
    )
    assert counts(blog) == before


def test_put_clears_an_optional_reference(blog: TestApp, ids: Any, stored: Any) -> None:
    post = blog.put(f"/api/posts/{ids.posts[1]}", json={"title": "Hello", "author_id": ids.authors[1]}).json()
    assert post["editor_id"] is None
    assert stored(blog, "posts", ids.posts[1])["editor_id"] is None
    assert [
        p["title"]
        for p in blog.get(f"/api/authors/{ids.authors[2]}?with=edited_posts").json()["edited_posts"]
    ] == []


TWO_REFS = """
[app]
name = "tasks"
[entities.Person.fields]
name = { type = "text" }
[entities.Task.fields]
title = { type = "text" }
owner_id = { type = "ref", to = "Person", on_delete = "set_null", related_name = "owned" }
reviewer_id = { type = "ref", to = "Person", on_delete = "set_null", related_name = "reviewed" }
"""


@pytest.mark.local_only("serves an app of its own, made in the test")
def test_nulled_counts_each_cleared_reference(tmp_path: Path, test_app: Any) -> None:
    (tmp_path / "app.toml").write_text(TWO_REFS)
    app = test_app(tmp_path)
    ann, bob = (app.post("/api/persons", json={"name": name}).json()["id"] for name in ("ann", "bob"))
    for owner, reviewer in ((ann, bob), (bob, ann), (ann, ann)):
        app.post("/api/tasks", json={"title": "t", "owner_id": owner, "reviewer_id": reviewer})
    deleted = app.delete(f"/api/persons/{ann}").json()["deleted"]
    assert deleted == {"entity": "Person", "id": ann, "cascaded": {}, "nulled": {"Task": 4}}
    assert [(t["owner_id"], t["reviewer_id"]) for t in app.get("/api/tasks").json()["items"]] == [
        (None, bob),
        (bob, None),
        (None, None),
    ]
