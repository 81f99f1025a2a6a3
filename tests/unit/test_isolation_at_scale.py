"""Isolation at scale: 500 TestApps, 50 serving at once, each with its own port and database."""

from __future__ import annotations

import contextlib

import pytest
import sample_apps

from harness import TestApp

ROUNDS = 10
AT_ONCE = 50


@pytest.mark.slow
def test_five_hundred_apps_never_share_a_port_or_a_database() -> None:
    seen_dirs: set[str] = set()
    for round_number in range(ROUNDS):
        with contextlib.ExitStack() as stack:
            apps = [stack.enter_context(TestApp(sample_apps.counter_factory)) for _ in range(AT_ONCE)]
            ports = {app.port for app in apps}
            assert len(ports) == AT_ONCE  # every app serving at this moment has its own port
            for n, app in enumerate(apps):
                label = f"round-{round_number}-app-{n}"
                body = app.post("/hit", params={"label": label}).json()
                assert body == {"count": 1, "data_dir": str(app.data_dir)}
                assert [row["label"] for row in app.db["hits"].rows] == [label]
            dirs = {str(app.data_dir) for app in apps}
            assert len(dirs) == AT_ONCE
            assert not dirs & seen_dirs  # a data directory is never handed out twice
            seen_dirs |= dirs
    assert len(seen_dirs) == ROUNDS * AT_ONCE
