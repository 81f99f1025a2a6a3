"""kiln's entity GET-by-id and create against a hand-written Starlette + sqlite3 endpoint.

Both apps are served the same way (TestApp: uvicorn on a real socket) and driven by the same
kind of httpx client, alternating request by request so noise hits both alike. The hand-written
app does the work the contract asks of kiln: select or insert the same columns, answer JSON with
an ETag, and on create validate the title and answer 201 with Location. Prints medians and ratios.

    python bench/crud_vs_starlette.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import sqlite3
import statistics
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness import TestApp

TODO_APP = Path(__file__).parents[1] / "tests" / "fixtures" / "todo-app"
COLUMNS = "id, title, done, priority, estimate, due, remind_at, status, tags, contact, link, slug, notes, created_at, updated_at"
NAMES = [c.strip() for c in COLUMNS.split(",")]


def hand_written(data_dir: Path) -> Starlette:
    """The endpoint a developer would write by hand, on a copy of kiln's own schema."""
    db_path = data_dir / "hand.db"
    state: dict[str, sqlite3.Connection] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT, updated_at TEXT,"
            " title TEXT, done INTEGER, priority INTEGER, estimate REAL, due TEXT, remind_at TEXT, status TEXT,"
            " tags TEXT, contact TEXT, link TEXT, slug TEXT UNIQUE, notes TEXT)"
        )
        state["conn"] = conn
        yield
        conn.close()

    def record(row: tuple[Any, ...]) -> dict[str, Any]:
        item = dict(zip(NAMES, row, strict=True))
        item["done"] = bool(item["done"])
        return item

    def tagged(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
        etag = (
            '"' + hashlib.blake2b(json.dumps(body, sort_keys=True).encode(), digest_size=12).hexdigest() + '"'
        )
        return JSONResponse(body, status, headers={"ETag": etag, **headers})

    async def read(request: Request) -> Response:
        row = (
            state["conn"]
            .execute(f"SELECT {COLUMNS} FROM todos WHERE id = ?", [request.path_params["id"]])
            .fetchone()
        )
        if row is None:
            return JSONResponse({"error": "not found"}, 404)
        return tagged(record(row))

    async def create(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            return JSONResponse({"error": "title is required"}, 422)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        row = (
            state["conn"]
            .execute(
                "INSERT INTO todos (created_at, updated_at, title, done, priority, status) VALUES (?, ?, ?, 0, 3, 'open')"
                f" RETURNING {COLUMNS}",
                [now, now, body["title"]],
            )
            .fetchall()[0]
        )
        item = record(row)
        return tagged(item, 201, Location=f"/api/todos/{item['id']}")

    return Starlette(
        routes=[Route("/api/todos/{id:int}", read), Route("/api/todos", create, methods=["POST"])],
        lifespan=lifespan,
    )


def timed(call: Callable[[], httpx.Response], expect: int) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == expect, response.text
    return elapsed * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    body = {"title": "Buy milk"}
    with TestApp(TODO_APP) as kiln, TestApp(hand_written) as hand:
        apps = {"kiln": kiln, "hand-written": hand}
        for app in apps.values():  # warm up: connections, caches, a record to read
            for _ in range(200):
                app.post("/api/todos", json=body)
                app.get("/api/todos/1")
        samples: dict[tuple[str, str], list[float]] = {
            (n, op): [] for n in apps for op in ("GET by id", "create")
        }
        for _ in range(args.requests):
            for name, app in apps.items():
                samples[(name, "GET by id")].append(timed(lambda app=app: app.get("/api/todos/1"), 200))
                samples[(name, "create")].append(
                    timed(lambda app=app: app.post("/api/todos", json=body), 201)
                )
    print(
        f"{'operation':<10} {'kiln µs':>9} {'hand µs':>9} {'kiln/hand':>10}   (medians of {args.requests} each)"
    )
    for op in ("GET by id", "create"):
        ours = statistics.median(samples[("kiln", op)])
        theirs = statistics.median(samples[("hand-written", op)])
        print(f"{op:<10} {ours:>9.0f} {theirs:>9.0f} {ours / theirs:>9.2f}x")
    print("\nbudget: GET by id within 1.25x of hand-written")


if __name__ == "__main__":
    main()
