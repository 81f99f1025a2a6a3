"""Fixtures for the fk category: blog-app seeded over HTTP with authors, posts, threaded comments and tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp

# (collection, body) in creation order; ids follow from the order within each collection.
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


@pytest.fixture
def app(test_app: Any) -> TestApp:
    """blog-app with its clock frozen."""
    started: TestApp = test_app("blog-app")
    started.clock.set("2030-01-01T00:00:00Z")
    return started


@pytest.fixture
def blog(app: TestApp) -> TestApp:
    """blog-app holding SEED."""
    for collection, body in SEED:
        response = app.post(f"/api/{collection}", json=body)
        assert response.status_code == 201, response.text
    return app


@pytest.fixture
def counts() -> Callable[[TestApp], dict[str, int]]:
    """``counts(app)``: rows per table, read from the database directly."""

    def count(app: TestApp) -> dict[str, int]:
        return {table: app.db[table].count for table in TABLES}

    return count
