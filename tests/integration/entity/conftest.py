"""Fixtures for the entity category: todo-app and a few todos made over HTTP.

The tests run locally and in remote mode, where the server's database is shared and not empty:
they read back only what they created (by id, or with ``scope``), and make unique values with
``unique_id``. Tests that need exact timestamps use ``frozen``, which is local only.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, unique_id

NOW = "2030-01-01T00:00:00.000Z"

TODOS: list[dict[str, Any]] = [
    {
        "title": "Buy milk",
        "priority": 2,
        "status": "open",
        "estimate": 0.5,
        "due": "2030-01-05",
        "slug": "milk",  # made unique per test by the todos fixture
    },
    {
        "title": "Write report",
        "priority": 5,
        "status": "doing",
        "estimate": 3.0,
        "due": "2030-01-02",
        "done": False,
    },
    {"title": "Call mum", "priority": 4, "status": "closed", "done": True, "contact": "mum@example.com"},
    {
        "title": "Book flights",
        "priority": 5,
        "status": "open",
        "tags": ["travel", "2030"],
        "link": "https://example.com/f",
    },
    {"title": "buy stamps", "priority": 1, "status": "open", "notes": "50% off_sale"},
]


@pytest.fixture
def todo_app(test_app: Any) -> TestApp:
    """todo-app: a fresh instance locally, the server ``--base-url`` names remotely."""
    started: TestApp = test_app("todo-app")
    return started


@pytest.fixture
def frozen(todo_app: TestApp) -> TestApp:
    """todo-app with its clock frozen at 2030-01-01T00:00:00Z (local only: it moves the clock)."""
    todo_app.clock.set(NOW)
    return todo_app


@pytest.fixture
def todos(todo_app: TestApp) -> list[dict[str, Any]]:
    """The five TODOS, created through the API in order; the slug "milk" gets a unique suffix."""
    made = []
    suffix = unique_id("m").lower()
    for body in TODOS:
        body = {**body, "slug": f"{body['slug']}-{suffix}"} if "slug" in body else body
        response = todo_app.post("/api/todos", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


@pytest.fixture
def scope(todos: list[dict[str, Any]]) -> str:
    """A filter selecting exactly this test's todos: ``id__in=<their ids>``."""
    return "id__in=" + ",".join(str(todo["id"]) for todo in todos)
