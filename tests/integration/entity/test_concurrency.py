"""Concurrent writers: creates never collide, and If-Match lets exactly one of many PATCHes win.

The threads share ``app.client``: httpx clients are thread-safe, and its pool opens a connection
per concurrent request, so the server sees truly concurrent requests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from harness import TestApp


def test_50_concurrent_creates_give_50_rows_with_distinct_ids(app: TestApp) -> None:
    def create(n: int) -> httpx.Response:
        return app.post("/api/todos", json={"title": f"todo {n}"})

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(create, range(50)))
    assert [r.status_code for r in responses] == [201] * 50
    ids = {r.json()["id"] for r in responses}
    assert ids == set(range(1, 51))
    assert app.db["todos"].count == 50
    assert {row["title"] for row in app.db["todos"].rows} == {f"todo {n}" for n in range(50)}


def test_20_concurrent_patches_with_one_if_match_let_exactly_one_win(
    app: TestApp, todos: list[dict[str, Any]]
) -> None:
    tag = app.get("/api/todos/1").headers["etag"]

    def patch(n: int) -> httpx.Response:
        return app.patch("/api/todos/1", json={"title": f"writer {n}"}, headers={"If-Match": tag})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(patch, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 19
    assert len({r.headers["x-request-id"] for r in responses}) == 20
    winner = next(r for r in responses if r.status_code == 200).json()["title"]
    assert app.db["todos"].get(1)["title"] == winner
