"""Eager loading and delete planning use a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiln import compile_app
from kiln.entities.deletes import plan_delete
from kiln.entities.loading import load_relations, parse_with
from kiln.records import Shape
from kiln.store import connect

BLOG = Path(__file__).parents[1] / "fixtures" / "blog-app"


def _blog(tmp_path: Path, posts: int, comments_per_post: int) -> tuple[sqlite3.Connection, object]:
    compiled = compile_app(BLOG)
    conn = connect(compiled.prepare(tmp_path / "data"))
    t = "2030-01-01T00:00:00.000Z"
    conn.execute("INSERT INTO authors (created_at, updated_at, name) VALUES (?, ?, 'a')", [t, t])
    for p in range(1, posts + 1):
        conn.execute(
            "INSERT INTO posts (created_at, updated_at, title, author_id, views) VALUES (?, ?, ?, 1, 0)",
            [t, t, f"p{p}"],
        )
        for _ in range(comments_per_post):
            conn.execute(
                "INSERT INTO comments (created_at, updated_at, body, post_id, author_id) VALUES (?, ?, 'c', ?, 1)",
                [t, t, p],
            )
    return conn, compiled


def _count_queries(conn: sqlite3.Connection) -> list[str]:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    return statements


@pytest.mark.parametrize(("posts", "comments"), [(2, 1), (40, 5)])
def test_eager_loading_uses_one_query_per_relation_per_level(
    tmp_path: Path, posts: int, comments: int
) -> None:
    conn, compiled = _blog(tmp_path, posts, comments)
    manifest = compiled.manifest  # type: ignore[attr-defined]
    shapes = {name: Shape(entity) for name, entity in manifest.entities.items()}
    post = manifest.entities["Post"]
    shape = shapes["Post"]
    records = [shape.to_json(row) for row in conn.execute(f"SELECT {shape.columns} FROM posts ORDER BY id")]
    statements = _count_queries(conn)
    load_relations(
        conn, manifest, shapes, post, records, parse_with(manifest, post, "author,comments.author")
    )
    assert len(statements) == 3  # authors, comments, the comments' authors
    assert sum(len(r["comments"]) for r in records) == posts * comments
    assert all(c["author"]["id"] == 1 for r in records for c in r["comments"])


def test_delete_plan_uses_the_same_queries_for_few_and_many_rows(tmp_path: Path) -> None:
    seen = []
    for posts in (2, 40):
        conn, compiled = _blog(tmp_path / str(posts), posts, 3)
        manifest = compiled.manifest  # type: ignore[attr-defined]
        statements = _count_queries(conn)
        plan = plan_delete(conn, manifest, manifest.entities["Author"], 1)
        assert plan.cascaded == {"Post": posts, "Comment": 3 * posts}
        seen.append(len(statements))
    assert seen[0] == seen[1]
    assert seen[0] <= 12  # one query per relation per level, not per row
