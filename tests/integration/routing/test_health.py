"""GET /health answers the contract's body for the app being served."""

from __future__ import annotations

import pytest

from harness import TestApp

pytestmark = pytest.mark.app("todo-app")


def test_health_answers_status_app_and_mode(app: TestApp) -> None:
    response = app.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "app": "todo", "mode": "dev"}


def test_unknown_path_is_404_and_recorded(app: TestApp) -> None:
    response = app.get("/no/such/page")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert [(e.path, e.status) for e in app.requests][-1:] == [("/no/such/page", 404)]


@pytest.mark.local_only("compares the database path with the data directory")
def test_health_is_served_from_this_tests_own_data_dir(app: TestApp) -> None:
    assert app.get("/health").status_code == 200
    assert app.db_path is not None
    assert app.db_path.parent == app.data_dir
