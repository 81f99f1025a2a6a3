"""Cascading deletes through kiln against raw SQL on the same rows and the same foreign keys.

blog-app's schema: 100 authors, each with 100 posts and 10 comments per post (10,000 posts and
100,000 comments). kiln deletes the authors one by one with ``DELETE /api/authors/{id}``: it works
out the cascade counts, checks restrict references, and lets SQLite's foreign keys cascade. The
raw side runs ``DELETE FROM authors WHERE id = ?`` per author, each in its own transaction, on a
copy of the same database. Prints both totals and the ratio.

    python bench/cascade_delete.py [--authors 100 --posts 100 --comments 10]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from harness import TestApp
from kiln import compile_app
from kiln.store import connect

BLOG = Path(__file__).parents[1] / "tests" / "fixtures" / "blog-app"
NOW = "2030-01-01T00:00:00.000Z"


def fill(db_path: Path, authors: int, posts: int, comments: int) -> None:
    conn = connect(db_path)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO authors (id, created_at, updated_at, name) VALUES (?, ?, ?, ?)",
        [(a, NOW, NOW, f"author {a}") for a in range(1, authors + 1)],
    )
    conn.executemany(
        "INSERT INTO posts (id, created_at, updated_at, title, status, views, author_id) VALUES (?, ?, ?, ?, 'draft', 0, ?)",
        [(a * posts + p, NOW, NOW, f"post {p}", a) for a in range(1, authors + 1) for p in range(posts)],
    )
    conn.executemany(
        "INSERT INTO comments (created_at, updated_at, body, post_id) VALUES (?, ?, 'c', ?)",
        [
            (NOW, NOW, a * posts + p)
            for a in range(1, authors + 1)
            for p in range(posts)
            for _ in range(comments)
        ],
    )
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--authors", type=int, default=100)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--comments", type=int, default=10)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    work = Path(tempfile.mkdtemp(prefix="bench-cascade-"))
    try:
        seeded = compile_app(BLOG).prepare(work / "seed")
        fill(seeded, args.authors, args.posts, args.comments)
        raw_path = work / "raw.db"
        shutil.copyfile(seeded, raw_path)

        raw = sqlite3.connect(raw_path, isolation_level=None)
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("PRAGMA synchronous = NORMAL")
        started = time.perf_counter()
        for author in range(1, args.authors + 1):
            raw.execute("DELETE FROM authors WHERE id = ?", [author])
        raw_seconds = time.perf_counter() - started
        left = raw.execute(
            "SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM comments)"
        ).fetchone()[0]
        raw.close()
        assert left == 0, left

        def factory(data_dir: Path) -> object:
            shutil.copyfile(seeded, data_dir / "kiln.db")
            compiled = compile_app(BLOG)
            compiled.prepare(data_dir)
            return compiled.build(data_dir)

        with TestApp(factory, db_path="kiln.db") as app:
            started = time.perf_counter()
            for author in range(1, args.authors + 1):
                response = app.delete(f"/api/authors/{author}")
                assert response.status_code == 200, response.text
            kiln_seconds = time.perf_counter() - started
            cascaded = response.json()["deleted"]["cascaded"]
            assert (app.db["posts"].count, app.db["comments"].count) == (0, 0)
    finally:
        shutil.rmtree(work)
    rows = args.authors * args.posts * (1 + args.comments)
    print(f"deleting {args.authors} authors with {rows} dependent rows (last response cascaded {cascaded})")
    print(f"{'raw sqlite3 DELETE':<22} {raw_seconds * 1000:>9.1f} ms")
    print(f"{'kiln DELETE /api/...':<22} {kiln_seconds * 1000:>9.1f} ms")
    print(f"{'kiln / raw':<22} {kiln_seconds / raw_seconds:>9.2f}x   (budget: within 3x)")


if __name__ == "__main__":
    main()
