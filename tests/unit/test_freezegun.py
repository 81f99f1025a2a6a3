"""freezegun, which our users' suites already use, works inside and around a TestApp.

kiln's clock follows the process time until ``app.clock`` sets it, so a frozen process time is
what a kiln app sees; once the test sets ``app.clock``, that wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sample_apps
from freezegun import freeze_time

from harness import TestApp

TODO_APP = Path(__file__).parents[1] / "fixtures" / "todo-app"


def _created_at(app: TestApp, title: str) -> str:
    response = app.post("/api/todos", json={"title": title})
    assert response.status_code == 201, response.text
    stored = app.db["todos"].get(response.json()["id"])["created_at"]
    assert stored == response.json()["created_at"]  # what was stored is what was answered
    return str(stored)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.mark.parametrize("real_asyncio", [False, True], ids=["frozen-asyncio", "real-asyncio"])
def test_freeze_time_around_a_testapp_is_what_kiln_sees(real_asyncio: bool) -> None:
    with freeze_time("2031-02-03T04:05:06Z", real_asyncio=real_asyncio), TestApp(TODO_APP) as app:
        assert _created_at(app, "frozen") == "2031-02-03T04:05:06.000Z"
        assert app.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize("real_asyncio", [False, True], ids=["frozen-asyncio", "real-asyncio"])
def test_freeze_time_inside_a_running_testapp_is_what_kiln_sees(real_asyncio: bool) -> None:
    with TestApp(TODO_APP) as app:
        assert _parse(_created_at(app, "real")).year >= 2026
        with freeze_time("2032-12-31T23:59:59Z", real_asyncio=real_asyncio):
            assert _created_at(app, "frozen") == "2032-12-31T23:59:59.000Z"
        assert _parse(_created_at(app, "real again")).year < 2032


@pytest.mark.parametrize("real_asyncio", [False, True], ids=["frozen-asyncio", "real-asyncio"])
def test_freeze_time_is_seen_by_a_plain_asgi_app(real_asyncio: bool) -> None:
    # /now reads the time without awaiting a timer: with real_asyncio=False, freezegun also
    # freezes time.monotonic, and then no asyncio timer the app sets ever fires.
    with freeze_time("2031-02-03T04:05:06Z", real_asyncio=real_asyncio), TestApp(sample_apps.app) as app:
        answer = app.get("/now").json()
        assert answer["now"] == "2031-02-03T04:05:06+00:00"
        assert answer["time"] == datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC).timestamp()


def test_freeze_time_with_real_asyncio_keeps_the_apps_timers_working() -> None:
    with freeze_time("2031-02-03T04:05:06Z", real_asyncio=True), TestApp(sample_apps.app) as app:
        assert app.get("/time").json()["now"] == "2031-02-03T04:05:06+00:00"  # it awaits asyncio.sleep


def test_frozen_tick_moves_the_time_the_server_sees() -> None:
    with freeze_time("2031-01-01T00:00:00Z") as frozen, TestApp(TODO_APP) as app:
        assert _created_at(app, "first") == "2031-01-01T00:00:00.000Z"
        frozen.tick(timedelta(hours=2, milliseconds=250))
        assert _created_at(app, "second") == "2031-01-01T02:00:00.250Z"
        frozen.move_to("2031-06-01T12:00:00Z")
        assert _created_at(app, "third") == "2031-06-01T12:00:00.000Z"


def test_freeze_time_with_tick_lets_time_run_from_the_frozen_start() -> None:
    start = datetime(2031, 1, 1, tzinfo=UTC)
    with freeze_time(start, tick=True, real_asyncio=True), TestApp(TODO_APP) as app:
        first = _parse(_created_at(app, "first"))
        second = _parse(_created_at(app, "second"))
    assert start <= first <= second < start + timedelta(minutes=1)


def test_freeze_time_auto_tick_advances_by_whole_steps() -> None:
    start = datetime(2031, 1, 1, tzinfo=UTC)
    with freeze_time(start, auto_tick_seconds=15, real_asyncio=True), TestApp(TODO_APP) as app:
        first = _parse(_created_at(app, "first"))
        second = _parse(_created_at(app, "second"))
    assert start < first < second
    steps = (second - first) / timedelta(seconds=15)
    assert steps == int(steps)  # every reading of the time moved it by exactly 15 s


def test_app_clock_wins_over_freeze_time_for_kiln_apps() -> None:
    with freeze_time("2031-01-01T00:00:00Z") as frozen, TestApp(TODO_APP) as app:
        app.clock.set("2040-01-01T00:00:00Z")
        assert _created_at(app, "set by the app clock") == "2040-01-01T00:00:00.000Z"
        frozen.tick(timedelta(days=1))  # the app clock is frozen on its own now
        assert _created_at(app, "still the app clock") == "2040-01-01T00:00:00.000Z"
        app.clock.advance(minutes=5)
        assert _created_at(app, "advanced") == "2040-01-01T00:05:00.000Z"
