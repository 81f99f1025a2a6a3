"""Fixtures for the fk category: blog-app seeded over HTTP with authors, posts, threaded comments and tags.

The tests run locally and in remote mode, where the server's database is shared and not empty.
SEED numbers its records within each collection (author 1, post 3 …); ``ids`` maps those numbers
to the ids the server gave, scopes lists to the seeded records, and counts them. Locally the ids
are 1, 2, 3 … exactly as numbered. Unique values (emails, tag names) get a per-test suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness import TestApp, unique_id

# (collection, body) in creation order; numbers follow from the order within each collection.
# References in bodies use those numbers; the fixture turns them into the ids the server gave.
SEED: list[tuple[str, dict[str, Any]]] = [
    ("authors", {"name": "Juste", "email": "juste@example.com"}),  # 1
    ("authors", {"name": "Ana", "email": "ana@example.com"}),  # 2
    ("authors", {"name": "Bo"}),  # 3
    ("posts", {"title": "Hello", "author_id": 1, "editor_id": 2, "status": "published", "views": 10}),  # 1
    ("posts", {"title": "Second", "author_id": 1}),  # 2
    (
        "posts",
        {"title": "Ana's post", "author_id": 2, "editor_id": 1, "status": "published", "views": 3},
    ),  # 3
    ("comments", {"body": "Nice", "post_id": 1, "author_id": 2}),  # 1
    ("comments", {"body": "Agreed", "post_id": 1, "author_id": 3, "parent_id": 1}),  # 2
    ("comments", {"body": "Thanks", "post_id": 1, "author_id": 1, "parent_id": 2}),  # 3
    ("comments", {"body": "Great", "post_id": 3, "author_id": 1}),  # 4
    ("tags", {"name": "python"}),  # 1
    ("tags", {"name": "sqlite"}),  # 2
    ("tags", {"name": "unused"}),  # 3
    ("post_tags", {"post_id": 1, "tag_id": 1}),  # 1
    ("post_tags", {"post_id": 1, "tag_id": 2}),  # 2
    ("post_tags", {"post_id": 3, "tag_id": 1}),  # 3
]

TABLES = ("authors", "posts", "comments", "tags", "post_tags", "pins")
REFS = {
    "author_id": "authors",
    "editor_id": "authors",
    "post_id": "posts",
    "parent_id": "comments",
    "tag_id": "tags",
}


@dataclass
class Ids:
    """The ids of the seeded records, by collection and SEED number: ``ids.posts[1]``."""

    suffix: str
    by_collection: dict[str, dict[int, int]] = field(default_factory=lambda: {t: {} for t in TABLES})

    def __getattr__(self, collection: str) -> dict[int, int]:
        try:
            return self.__dict__["by_collection"][collection]
        except KeyError:
            raise AttributeError(collection) from None

    def track(self, collection: str, record_id: int) -> int:
        """Count a record the test made as one of its own (for ``counts`` and ``scope``)."""
        numbers = self.by_collection[collection]
        numbers[max(numbers, default=0) + 1] = record_id
        return record_id

    def scope(self, collection: str) -> str:
        """A filter selecting exactly the test's records of ``collection``: ``id__in=…``."""
        return "id__in=" + ",".join(str(i) for i in self.by_collection[collection].values())

    def unique(self, value: str) -> str:
        """``value`` made unique to this test: an email keeps its domain, a name gets a suffix."""
        local, at, domain = value.partition("@")
        return f"{local}+{self.suffix}@{domain}" if at else f"{value}-{self.suffix}"


@pytest.fixture
def ids() -> Ids:
    """The ids of what ``blog`` seeded (empty until it runs)."""
    return Ids(unique_id("s").lower())


@pytest.fixture
def blog(blog_app: TestApp, ids: Ids) -> TestApp:
    """blog-app holding SEED."""
    for collection, body in SEED:
        sent = {
            key: ids.by_collection[REFS[key]][value] if key in REFS else value for key, value in body.items()
        }
        if collection == "authors" and "email" in sent:
            sent["email"] = ids.unique(sent["email"])
        if collection == "tags":
            sent["name"] = ids.unique(sent["name"])
        response = blog_app.post(f"/api/{collection}", json=sent)
        assert response.status_code == 201, response.text
        ids.track(collection, response.json()["id"])
    return blog_app


@pytest.fixture
def counts(ids: Ids) -> Any:
    """``counts(blog_app)``: how many of the test's records each table still holds.

    Locally that is the whole table (every row is the test's); remotely the test's own rows,
    found by id (those ``blog`` seeded, and those the test ``track``-ed).
    """

    def count(blog_app: TestApp) -> dict[str, int]:
        if not blog_app.remote:
            return {table: blog_app.db[table].count for table in TABLES}
        return {
            table: blog_app.get(f"/api/{table}?{ids.scope(table)}&per_page=1").json()["total"]
            for table in TABLES
        }

    return count
