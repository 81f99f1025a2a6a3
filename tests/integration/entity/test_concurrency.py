"""Concurrent writers: creates never collide, and If-Match lets exactly one of many PATCHes win.

The threads share ``todo_app.client``: httpx clients are thread-safe, and its pool opens a connection
per concurrent request, so the server sees truly concurrent requests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from harness import TestApp, unique_id


def test_50_concurrent_creates_give_50_rows_with_distinct_ids(todo_app: TestApp) -> None:
    prefix = unique_id("burst")

    def create(n: int) -> httpx.Response:
        return todo_app.post("/api/todos", json={"title": f"{prefix} {n}"})

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(create, range(50)))
    assert [r.status_code for r in responses] == [201] * 50
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 50
    listed = todo_app.get("/api/todos", params={"title__contains": prefix, "per_page": 100}).json()
    assert listed["total"] == 50
    assert {item["id"] for item in listed["items"]} == ids
    assert {item["title"] for item in listed["items"]} == {f"{prefix} {n}" for n in range(50)}


@pytest.mark.local_only("numbers the ids of a fresh database")
def test_50_concurrent_creates_in_a_fresh_app_number_1_to_50(todo_app: TestApp) -> None:
    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(
            pool.map(lambda n: todo_app.post("/api/todos", json={"title": f"todo {n}"}), range(50))
        )
    assert {r.json()["id"] for r in responses} == set(range(1, 51))
    assert todo_app.db["todos"].count == 50


def test_20_concurrent_patches_with_one_if_match_let_exactly_one_win(
    todo_app: TestApp, stored: Any, todos: list[dict[str, Any]]
) -> None:
    path = f"/api/todos/{todos[0]['id']}"
    tag = todo_app.get(path).headers["etag"]

    def patch(n: int) -> httpx.Response:
        return todo_app.patch(path, json={"title": f"writer {n}"}, headers={"If-Match": tag})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(patch, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 19
    assert len({r.headers["x-request-id"] for r in responses}) == 20
    winner = next(r for r in responses if r.status_code == 200).json()["title"]
    assert stored(todo_app, "todos", todos[0]["id"])["title"] == winner
