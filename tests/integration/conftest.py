"""Fixtures every integration category shares: reading back what a test stored, in both modes.

Locally they read the app's own database, which shows what a response could hide (the columns
as stored). In remote mode the API is all there is, so they read the record back over HTTP.
Either way they look only at what the test names, never at the whole table, so they hold on a
shared remote database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp


@pytest.fixture
def blog_app(test_app: Any) -> TestApp:
    """blog-app: a fresh instance locally, the server ``--base-url`` names remotely."""
    started: TestApp = test_app("blog-app")
    return started


@pytest.fixture
def stored() -> Callable[[TestApp, str, int], dict[str, Any] | None]:
    """``stored(app, "todos", id)``: the row with that id, or ``None`` when there is none.

    Locally the columns as SQLite holds them (a bool is 0 or 1, JSON is text); remotely the
    record as ``GET /api/<table>/<id>`` answers it.
    """

    def read(app: TestApp, table: str, record_id: int) -> dict[str, Any] | None:
        if app.remote:
            response = app.get(f"/api/{table}/{record_id}")
            assert response.status_code in (200, 404), response.text
            return response.json() if response.status_code == 200 else None
        rows = list(app.db[table].rows_where("id = ?", [record_id]))
        return rows[0] if rows else None

    return read


@pytest.fixture
def count() -> Callable[..., int]:
    """``count(app, "todos", title="x")``: how many rows have all the given values.

    Locally a ``count(*)`` on the table; remotely the ``total`` of the filtered list.
    """

    def rows(app: TestApp, table: str, **equal: Any) -> int:
        assert equal, "name what to count: a shared remote database holds other tests' rows"
        if app.remote:
            response = app.get(f"/api/{table}", params={**equal, "per_page": 1})
            assert response.status_code == 200, response.text
            return int(response.json()["total"])
        where = " AND ".join(f'"{name}" = ?' for name in equal)
        return int(app.db[table].count_where(where, list(equal.values())))

    return rows
