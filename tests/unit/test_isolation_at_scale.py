"""500 tests, each with its own TestApp: no port collisions, no shared state, under pytest -n 2."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sample_apps

from harness import TestApp


@pytest.mark.parametrize("n", range(500))
def test_each_test_gets_its_own_app_and_database(test_app: Callable[..., TestApp], n: int) -> None:
    app = test_app(sample_apps.counter_factory)
    body = app.post("/hit", params={"label": f"test-{n}"}).json()
    assert body == {"count": 1, "data_dir": str(app.data_dir)}
    assert [row["label"] for row in app.db["hits"].rows] == [f"test-{n}"]
