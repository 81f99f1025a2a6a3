"""Fixtures for the entity category: todo-app, with its clock fixed and a few todos made over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp

NOW = "2030-01-01T00:00:00.000Z"

TODOS: list[dict[str, Any]] = [
    {
        "title": "Buy milk",
        "priority": 2,
        "status": "open",
        "estimate": 0.5,
        "due": "2030-01-05",
        "slug": "milk",
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
def app(test_app: Any) -> TestApp:
    """todo-app with its clock frozen at 2030-01-01T00:00:00Z."""
    started: TestApp = test_app("todo-app")
    started.clock.set(NOW)
    return started


@pytest.fixture
def todos(app: TestApp) -> list[dict[str, Any]]:
    """The five TODOS, created through the API in order (ids 1 to 5)."""
    made = []
    for body in TODOS:
        response = app.post("/api/todos", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made
