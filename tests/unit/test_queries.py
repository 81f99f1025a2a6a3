"""TestApp.queries() records the SQL a kiln app ran inside the block, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import sample_apps

from harness import HarnessError, LocalOnly, TestApp

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_queries_record_only_inside_the_block() -> None:
    with TestApp(FIXTURES / "todo-app") as app:
        app.post("/api/todos", json={"title": "before"})
        with app.queries() as q:
            assert app.get("/api/todos/1").json()["title"] == "before"
        app.get("/api/todos")
        assert q.statements == [
            'SELECT "id", "title", "done", "priority", "estimate", "due", "remind_at", "status", "tags", '
            '"contact", "link", "slug", "notes", "created_at", "updated_at" FROM "todos" WHERE id = 1'
        ]
        assert len(q) == 1
        assert q[0] == q.statements[0]
        assert list(q) == q.statements
        assert q.selects == q.statements


def test_queries_nest() -> None:
    with TestApp(FIXTURES / "todo-app") as app:
        with app.queries() as outer:
            app.post("/api/todos", json={"title": "one"})
            with app.queries() as inner:
                app.get("/api/todos?done=false")
        assert len(inner.selects) == 2
        assert len(outer) == len(inner) + 3  # BEGIN IMMEDIATE, INSERT, COMMIT
        assert outer.statements[-2:] == inner.statements
        assert [s.split()[0] for s in outer.statements[:3]] == ["BEGIN", "INSERT", "COMMIT"]


def test_queries_see_the_connection_a_handler_opens() -> None:
    with TestApp(FIXTURES / "todo-app") as app:
        with app.queries() as q:
            assert app.get("/api/stats").json() == {"total": 0, "done": 0, "open": 0}
        counts = [s for s in q.statements if "count(*)" in s]
        assert counts == ['select count(*) from "todos"', 'select count(*) from "todos" where done = 1']


def test_queries_of_a_plain_asgi_app_are_refused() -> None:
    with TestApp(sample_apps.app) as app, pytest.raises(HarnessError, match="queries\\(\\) needs a kiln app"):  # noqa: SIM117
        with app.queries():
            pass


def test_queries_are_local_only() -> None:
    app = TestApp("todo-app", base_url="http://127.0.0.1:9")
    with pytest.raises(LocalOnly, match=r"TestApp\.queries is not available in remote mode"):  # noqa: SIM117
        with app.queries():
            pass
