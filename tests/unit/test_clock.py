"""TestApp.clock moves the time the served app sees, in the server thread, without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sample_apps

from harness import TestApp
from harness.clock import to_datetime
from kiln.clock import Clock

FIXTURES = Path(__file__).parents[1] / "fixtures"
Y2030 = datetime(2030, 1, 1, tzinfo=UTC)


def test_process_clock_set_is_seen_by_server_thread() -> None:
    with TestApp(sample_apps.app) as app:
        app.clock.set("2030-01-01T00:00:00Z")
        body = app.get("/time").json()  # the endpoint also awaits an asyncio timer
        assert body["time"] == Y2030.timestamp()
        assert body["now"] == "2030-01-01T00:00:00+00:00"
        assert app.clock.now() == Y2030


def test_process_clock_advance_moves_server_time() -> None:
    with TestApp(sample_apps.app) as app:
        app.clock.set(Y2030)
        app.clock.advance(hours=2, minutes=30)
        assert app.get("/time").json()["time"] == (Y2030 + timedelta(hours=2, minutes=30)).timestamp()


def test_process_clock_returns_to_real_time_after_close() -> None:
    with TestApp(sample_apps.app) as app:
        app.clock.set("2001-01-01T00:00:00Z")
        assert time.time() < datetime(2002, 1, 1, tzinfo=UTC).timestamp()
    assert time.time() > datetime(2025, 1, 1, tzinfo=UTC).timestamp()


def test_process_clock_advance_without_set_starts_from_now() -> None:
    with TestApp(sample_apps.app) as app:
        before = datetime.now(UTC)
        app.clock.advance(days=1)
        assert app.clock.now() - before >= timedelta(days=1)
        assert app.clock.now() - before < timedelta(days=1, minutes=5)


def test_kiln_clock_drives_the_apps_own_clock_only() -> None:
    with TestApp(FIXTURES / "todo-app") as app:
        app.clock.set(Y2030)
        app.clock.advance(seconds=90)
        expected = Y2030 + timedelta(seconds=90)
        assert app.clock.now() == expected
        # the app's injected clock moved; the process clock did not
        assert app.clock.clock.now() == expected  # type: ignore[attr-defined]
        assert datetime.now(UTC).year < 2030


def test_kiln_clock_is_frozen_until_resumed() -> None:
    clock = Clock()
    assert not clock.frozen
    clock.set(datetime(2030, 1, 1))  # naive means UTC
    assert clock.now() == Y2030
    assert clock.timestamp() == Y2030.timestamp()
    clock.advance(timedelta(minutes=-1))
    assert clock.now() == Y2030 - timedelta(minutes=1)
    clock.resume()
    assert not clock.frozen
    assert clock.now().year < 2030


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2030-01-01T00:00:00Z", Y2030),
        ("2030-01-01T01:00:00+01:00", Y2030),
        ("2030-01-01", Y2030),
        (Y2030.timestamp(), Y2030),
        (int(Y2030.timestamp()), Y2030),
        (datetime(2030, 1, 1), Y2030),
    ],
)
def test_to_datetime_accepts_common_forms(when: object, expected: datetime) -> None:
    assert to_datetime(when) == expected  # type: ignore[arg-type]


def test_to_datetime_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not an ISO-8601 instant: 'next tuesday'"):
        to_datetime("next tuesday")
    with pytest.raises(TypeError, match="not list"):
        to_datetime([])  # type: ignore[arg-type]


@pytest.mark.parametrize("first_to_close", ["earlier", "later"])
def test_process_clocks_close_in_any_order_without_moving_the_other(first_to_close: str) -> None:
    earlier, later = TestApp(sample_apps.app), TestApp(sample_apps.app)
    try:
        earlier.clock.set("2030-01-01T00:00:00Z")
        later.clock.set("2040-06-01T12:00:00Z")
        first, second = (earlier, later) if first_to_close == "earlier" else (later, earlier)
        first.close()
        assert second.get("/time").json()["now"] == "2040-06-01T12:00:00+00:00"  # unmoved
        second.clock.advance(hours=1)
        assert second.get("/time").json()["now"] == "2040-06-01T13:00:00+00:00"
        second.close()
        assert time.time() > datetime(2025, 1, 1, tzinfo=UTC).timestamp()
        assert datetime.now(UTC).year < 2030
    finally:
        earlier.close()
        later.close()
