"""Fixtures for the search category: blog-app with an author, unique words, and reading results.

The tests run locally and in remote mode, where the server's database is shared: every record a
test searches for carries a word made for that test (``word()``), so what it finds is its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, unique_id


@pytest.fixture
def word() -> Callable[[], str]:
    """``word()``: a new word no other test, worker or run writes, such as ``w3f9c1a2bgw17``."""
    return lambda: unique_id("w").replace("-", "").lower()


@pytest.fixture
def author(blog_app: TestApp) -> int:
    """The id of a new author in blog-app."""
    response = blog_app.post("/api/authors", json={"name": "Ann"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def post(blog_app: TestApp, author: int) -> Callable[..., dict[str, Any]]:
    """``post(title, body=None, **fields)``: a new post by ``author``, as the API returned it."""

    def create(title: str, body: str | None = None, **fields: Any) -> dict[str, Any]:
        response = blog_app.post(
            "/api/posts", json={"title": title, "body": body, "author_id": author, **fields}
        )
        assert response.status_code == 201, response.text
        record: dict[str, Any] = response.json()
        return record

    return create


@pytest.fixture
def found(blog_app: TestApp) -> Callable[..., list[int]]:
    """``found(q, collection="posts", **params)``: the ids blog-app's search finds, best first."""

    def ids(q: str, collection: str = "posts", **params: Any) -> list[int]:
        response = blog_app.get(f"/api/{collection}/search", params={"q": q, "per_page": 100, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"]), "found() reads one page: make the search narrower"
        return [item["record"]["id"] for item in body["items"]]

    return ids
