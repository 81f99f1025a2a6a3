"""Fixtures for the search category: blog-app with unique words, and search-app with its corpus.

The tests run locally and in remote mode, where the server's database is shared. On blog-app,
every record a test searches for carries a word made for that test (``word()``), so what it finds
is its own. search-app holds the corpus of tests/fixtures/search-app/seed.json, which no test
changes: locally it is written into each fresh database; remotely the server was seeded with it
(``.ci/remote`` posts it), and the fixture checks that it is all there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp, unique_id

SEED = Path(__file__).parents[2] / "fixtures" / "search-app" / "seed.json"
_ARTICLES: list[dict[str, Any]] = json.loads(SEED.read_text())["articles"]


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


@pytest.fixture
def corpus(test_app: Any) -> TestApp:
    """search-app holding every article of seed.json, with ids 1, 2, 3 … in the file's order."""
    app: TestApp = test_app("search-app")
    if app.remote:
        total = app.get("/api/articles", params={"per_page": 1}).json()["total"]
        assert total == len(_ARTICLES), f"the remote search-app holds {total} articles, not seed.json's"
        return app
    now = "2030-01-01T00:00:00.000Z"
    app.db["articles"].insert_all({**article, "created_at": now, "updated_at": now} for article in _ARTICLES)
    return app


@pytest.fixture
def titles(corpus: TestApp) -> Callable[..., list[str]]:
    """``titles(q, **params)``: the titles search-app's search finds, best first (one page of 100)."""

    def found(q: str, **params: Any) -> list[str]:
        response = corpus.get("/api/articles/search", params={"q": q, "per_page": 100, **params})
        assert response.status_code == 200, response.text
        return [item["record"]["title"] for item in response.json()["items"]]

    return found
