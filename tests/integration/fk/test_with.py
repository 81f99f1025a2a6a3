"""?with= loads relations: to-one, to-many, several, nested; the same JSON types at every depth."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error


def test_with_to_one_nests_the_record(blog: TestApp, ids: Any) -> None:
    items = blog.get(f"/api/posts?{ids.scope('posts')}&with=author").json()["items"]
    assert [(p["title"], p["author"]["name"]) for p in items] == [
        ("Hello", "Juste"),
        ("Second", "Juste"),
        ("Ana's post", "Ana"),
    ]
    assert items[0]["author"] == blog.get(f"/api/authors/{ids.authors[1]}").json()


def test_with_to_one_null_reference_is_null(blog: TestApp, ids: Any) -> None:
    post = blog.get(f"/api/posts/{ids.posts[2]}?with=editor").json()
    assert post["editor_id"] is None
    assert post["editor"] is None


def test_with_to_many_lists_records_in_id_order(blog: TestApp, ids: Any) -> None:
    authors = blog.get(f"/api/authors?{ids.scope('authors')}&with=posts").json()["items"]
    assert [[p["title"] for p in a["posts"]] for a in authors] == [["Hello", "Second"], ["Ana's post"], []]


def test_with_several_relations_at_once(blog: TestApp, ids: Any) -> None:
    post = blog.get(f"/api/posts/{ids.posts[1]}?with=author,editor,comments,post_tags").json()
    assert (post["author"]["name"], post["editor"]["name"]) == ("Juste", "Ana")
    assert [c["body"] for c in post["comments"]] == ["Nice", "Agreed", "Thanks"]
    assert [pt["tag_id"] for pt in post["post_tags"]] == [ids.tags[1], ids.tags[2]]


def test_with_nested_relations(blog: TestApp, ids: Any) -> None:
    post = blog.get(f"/api/posts/{ids.posts[1]}?with=comments.author,comments.replies").json()
    assert [(c["body"], c["author"]["name"]) for c in post["comments"]] == [
        ("Nice", "Ana"),
        ("Agreed", "Bo"),
        ("Thanks", "Juste"),
    ]
    assert [[r["body"] for r in c["replies"]] for c in post["comments"]] == [["Agreed"], ["Thanks"], []]


def test_with_three_levels_deep(blog: TestApp, ids: Any) -> None:
    author = blog.get(f"/api/authors/{ids.authors[1]}?with=posts.comments.author").json()
    hello = author["posts"][0]
    assert [c["author"]["name"] for c in hello["comments"]] == ["Ana", "Bo", "Juste"]


@pytest.mark.regression
def test_nested_ids_stay_numbers_at_every_depth(blog: TestApp, ids: Any) -> None:
    """Nested records come from the same serializer as top-level ones: ids and refs are JSON numbers."""
    post = blog.get(f"/api/posts/{ids.posts[1]}?with=author,comments.author,post_tags.tag").json()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "id" or (key.endswith("_id") and item is not None):
                    assert type(item) is int, (key, item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(post)
    assert post["comments"][0]["author"] == blog.get(f"/api/authors/{ids.authors[2]}").json()
    assert post["post_tags"][0]["tag"] == blog.get(f"/api/tags/{ids.tags[1]}").json()


def test_nested_record_equals_its_own_get(blog: TestApp, ids: Any) -> None:
    comment = blog.get(f"/api/posts/{ids.posts[3]}?with=comments").json()["comments"][0]
    assert comment == blog.get(f"/api/comments/{comment['id']}").json()


def test_with_to_one_then_to_many(blog: TestApp, ids: Any) -> None:
    comment = blog.get(f"/api/comments/{ids.comments[4]}?with=post.author.posts").json()
    assert comment["post"]["title"] == "Ana's post"
    assert comment["post"]["author"]["name"] == "Ana"
    assert [p["title"] for p in comment["post"]["author"]["posts"]] == ["Ana's post"]


def test_with_does_not_change_the_etag(blog: TestApp, ids: Any) -> None:
    plain = blog.get(f"/api/posts/{ids.posts[1]}").headers["etag"]
    assert blog.get(f"/api/posts/{ids.posts[1]}?with=author,comments").headers["etag"] == plain
    assert (
        blog.patch(f"/api/posts/{ids.posts[1]}", json={"views": 11}, headers={"If-Match": plain}).status_code
        == 200
    )


def test_with_on_empty_list(blog_app: TestApp, ids: Any) -> None:
    assert blog_app.get(f"/api/posts?{ids.scope('posts')}&with=author,comments").json()["items"] == []


def test_with_repeated_path_loads_once(blog: TestApp, ids: Any) -> None:
    post = blog.get(f"/api/posts/{ids.posts[1]}?with=author,author,comments,comments.author").json()
    assert post["author"]["name"] == "Juste"
    assert len(post["comments"]) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "with=writer",
            'unknown relation "writer" on Post (it has: author, comments, editor, pins, post_tags)',
        ),
        ("with=autor", 'unknown relation "autor" on Post (did you mean "author"?)'),
        (
            "with=author.friends",
            'unknown relation "friends" on Author (it has: comments, edited_posts, posts)',
        ),
        (
            "with=comments.post.author.posts.comments",
            '"comments.post.author.posts.comments" nests more than 4 relations',
        ),
        (
            "with=title",
            'unknown relation "title" on Post (it has: author, comments, editor, pins, post_tags)',
        ),
    ],
    ids=["unknown", "misspelt", "unknown-nested", "too-deep", "a-plain-field"],
)
def test_with_unknown_relation_is_400(blog: TestApp, ids: Any, query: str, message: str) -> None:
    assert (
        assert_error(blog.get(f"/api/posts?{ids.scope('posts')}&{query}"), 400, "bad_request")["message"]
        == message
    )
    assert (
        assert_error(blog.get(f"/api/posts/{ids.posts[1]}?{query}"), 400, "bad_request")["message"] == message
    )


def test_with_loads_only_for_the_page_returned(blog: TestApp, ids: Any) -> None:
    body = blog.get(f"/api/posts?{ids.scope('posts')}&per_page=1&page=2&with=comments,author").json()
    assert [p["title"] for p in body["items"]] == ["Second"]
    assert body["items"][0]["comments"] == []
    assert body["items"][0]["author"]["name"] == "Juste"
    assert body["total"] == 3


def test_with_combines_with_relation_filters(blog: TestApp, ids: Any) -> None:
    items = blog.get(f"/api/comments?{ids.scope('comments')}&post.title=Hello&with=author&sort=-id").json()[
        "items"
    ]
    assert [(c["body"], c["author"]["name"]) for c in items] == [
        ("Thanks", "Juste"),
        ("Agreed", "Bo"),
        ("Nice", "Ana"),
    ]


def test_openapi_documents_refs_and_with(blog: TestApp) -> None:
    doc = blog.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["PostInput"]["properties"]["author_id"]["type"] == "integer"
    assert schemas["PostInput"]["required"] == ["title", "author_id"]
    names = [p["name"] for p in doc["paths"]["/api/posts"]["get"]["parameters"]]
    assert names[0] == "with"
    assert "author_id__in" in names
    assert "with" in [p["name"] for p in doc["paths"]["/api/posts/{id}"]["get"]["parameters"]]


@pytest.mark.regression
def test_openapi_record_schema_admits_relations_loaded_with_with(blog: TestApp, ids: Any) -> None:
    """Found by schemathesis: record schemas forbade the keys ?with= adds."""
    schema = blog.get("/openapi.json").json()["components"]["schemas"]["Comment"]
    record = blog.get(f"/api/comments/{ids.comments[2]}?with=author,replies,post").json()
    assert set(record) <= set(schema["properties"])
    assert set(schema["required"]) <= set(record)
    assert schema["properties"]["replies"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Comment"},
    }
    assert schema["properties"]["author"] == {
        "anyOf": [{"$ref": "#/components/schemas/Author"}, {"type": "null"}]
    }
