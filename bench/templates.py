"""A data-bound page through kiln, against the same page from a hand-written Starlette endpoint.

kiln: site-app's ``/notes``, a template route with two ``data`` bindings (the three newest notes
with their authors, and the pinned notes by text). Hand-written: a Starlette endpoint that runs
the same three queries with sqlite3 on a copy of the same rows, shapes the records as kiln's API
does, and renders the same Jinja2 template. Both are served the same way (TestApp: uvicorn on a
real socket) and driven by one httpx client each, alternating request by request so noise hits
both alike. Prints medians and the ratio.

    python bench/templates.py [--requests 2000] [--notes 200]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from harness import TestApp

SITE_APP = Path(__file__).parents[1] / "tests" / "fixtures" / "site-app"
NOTE = "id, text, pinned, author_id, created_at, updated_at"


def hand_written(db_path: Path) -> Starlette:
    """The page a developer would write by hand."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SITE_APP / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("notes.html")
    conn = sqlite3.connect(db_path, check_same_thread=False)
    names = [name.strip() for name in NOTE.split(",")]

    def note(row: tuple[Any, ...]) -> dict[str, Any]:
        record = dict(zip(names, row, strict=True))
        record["pinned"] = bool(record["pinned"])
        return record

    async def page(request: Request) -> HTMLResponse:
        latest = [note(row) for row in conn.execute(f"SELECT {NOTE} FROM notes ORDER BY id DESC LIMIT 3")]
        ids = sorted({n["author_id"] for n in latest if n["author_id"] is not None})
        marks = ",".join("?" * len(ids))
        authors = {
            row[0]: {"id": row[0], "name": row[1], "created_at": row[2], "updated_at": row[3]}
            for row in conn.execute(
                f"SELECT id, name, created_at, updated_at FROM authors WHERE id IN ({marks})", ids
            )
        }
        for n in latest:
            n["author"] = authors.get(n["author_id"])
        pinned = [
            note(row)
            for row in conn.execute(f"SELECT {NOTE} FROM notes WHERE pinned = 1 ORDER BY text LIMIT 20")
        ]
        return HTMLResponse(template.render(latest=latest, pinned=pinned))

    return Starlette(routes=[Route("/notes", page)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=200)
    args = parser.parse_args()
    logging.getLogger("uvicorn.access").disabled = True
    with tempfile.TemporaryDirectory(prefix="kiln-bench-templates-") as tmp, TestApp(SITE_APP) as kiln:
        authors = [kiln.post("/api/authors", json={"name": f"author {n}"}).json()["id"] for n in range(10)]
        for n in range(args.notes):
            body = {
                "text": f"note {n:04d}",
                "pinned": n % 10 == 0,
                "author_id": authors[n % 10] if n % 3 else None,
            }
            kiln.post("/api/notes", json=body)
        copy = Path(tmp) / "copy.db"
        kiln.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert kiln.db_path is not None
        shutil.copy(kiln.db_path, copy)
        with TestApp(hand_written(copy)) as hand:
            ours, theirs = kiln.get("/notes"), hand.get("/notes")
            if ours.text != theirs.text:
                raise SystemExit("bench: the two pages differ")
            timings: dict[str, list[float]] = {"kiln": [], "hand": []}
            for _ in range(args.requests):
                for name, app in (("kiln", kiln), ("hand", hand)):
                    started = time.perf_counter()
                    app.get("/notes")
                    timings[name].append((time.perf_counter() - started) * 1000)
    kiln_ms, hand_ms = statistics.median(timings["kiln"]), statistics.median(timings["hand"])
    print(f"{args.requests} requests of /notes ({args.notes} notes), medians from this one run:")
    print(f"  kiln (template route, data bindings)  {kiln_ms:.3f} ms")
    print(f"  hand-written Starlette + Jinja2       {hand_ms:.3f} ms")
    print(f"  kiln / hand-written                   {kiln_ms / hand_ms:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
