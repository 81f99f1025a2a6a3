"""diagnostics(): the log tail, the last requests, tables with row counts and the data directory."""

from __future__ import annotations

from pathlib import Path

import sample_apps

from harness import TestApp
from harness.diagnostics import table_counts

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_diagnostics_show_logs_requests_tables_and_data_dir() -> None:
    with TestApp(sample_apps.counter_factory) as app:
        app.post("/hit")
        app.post("/hit")
        app.get("/missing")
        text = app.diagnostics()
    assert "log tail (last" in text
    assert "Application startup complete." in text
    assert "POST /hit -> 200" in text
    assert "GET /missing -> 404" in text
    assert "Not Found" in text  # excerpt of the failing response
    assert "hits: 2" in text
    assert f"data directory: {app.data_dir}" in text


def test_diagnostics_of_kiln_app_list_its_tables() -> None:
    with TestApp(FIXTURES / "todo-app") as app:
        app.get("/health")
        text = app.diagnostics()
    assert "tables in kiln.db:\n  _kiln_meta: 3\n  categories: 0\n  projects: 0" in text
    assert "  todos: 0" in text
    assert "GET /health -> 200" in text


def test_diagnostics_say_when_there_is_no_database() -> None:
    with TestApp(sample_apps.app) as app:
        assert "tables: the app has no database" in app.diagnostics()
        assert "(no requests)" in app.diagnostics()


def test_diagnostics_show_error_log_with_traceback() -> None:
    with TestApp(sample_apps.app) as app:
        app.get("/boom")
        text = app.diagnostics()
    assert "GET /boom -> 500" in text
    assert "RuntimeError: kaboom" in text


def test_table_counts_report_unreadable_database(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database" * 100)
    counts = table_counts(bogus)
    assert list(counts) == ["(database)"]
    assert "unreadable" in str(counts["(database)"])
