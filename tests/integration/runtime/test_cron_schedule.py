"""Cron on kiln's clock: moving ``app.clock`` past a due time runs the job once, before the move
returns. Every test starts at 2026-01-01T00:00:00Z (the ``runtime_app`` fixture sets it).

runtime-app's jobs: ``tick`` every five minutes (writes a row), ``broken`` hourly (raises), and
``hold`` once a year.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, UserClient

pytestmark = pytest.mark.local_only("moves the app's clock")


def _history(admin: UserClient, job: str) -> list[dict[str, Any]]:
    response = admin.get(f"/api/_cron/{job}/history")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_nothing_runs_before_a_due_time(runtime_app: TestApp, admin: UserClient) -> None:
    runtime_app.clock.advance(minutes=4, seconds=59)
    assert runtime_app.db["ticks"].count == 0
    assert _history(admin, "tick") == []


def test_passing_a_due_time_runs_the_job_once_before_the_move_returns(
    runtime_app: TestApp, admin: UserClient
) -> None:
    runtime_app.clock.advance(minutes=5)
    assert [row["at"] for row in runtime_app.db["ticks"].rows] == ["2026-01-01T00:05:00.000Z"]
    assert _history(admin, "tick") == [
        {
            "id": 1,
            "trigger": "schedule",
            "started_at": "2026-01-01T00:05:00.000Z",
            "finished_at": "2026-01-01T00:05:00.000Z",
            "status": "ok",
            "error": None,
        }
    ]


def test_each_due_time_runs_once_as_the_clock_steps_through_them(
    runtime_app: TestApp, admin: UserClient
) -> None:
    for _ in range(3):
        runtime_app.clock.advance(minutes=5)
        runtime_app.clock.advance(minutes=1)  # a move that passes no due time runs nothing
    assert [row["at"] for row in runtime_app.db["ticks"].rows] == [
        "2026-01-01T00:05:00.000Z",
        "2026-01-01T00:11:00.000Z",
        "2026-01-01T00:17:00.000Z",
    ]
    assert [run["trigger"] for run in _history(admin, "tick")] == ["schedule"] * 3


def test_a_move_across_several_due_times_runs_once_marked_missed(
    runtime_app: TestApp, admin: UserClient
) -> None:
    runtime_app.clock.set("2026-01-01T00:30:00Z")  # 00:05, 00:10 ... 00:30: six due times
    assert runtime_app.db["ticks"].count == 1
    [run] = _history(admin, "tick")
    assert (run["trigger"], run["status"], run["started_at"]) == ("missed", "ok", "2026-01-01T00:30:00.000Z")


def test_due_jobs_run_in_the_order_of_their_due_times(runtime_app: TestApp, admin: UserClient) -> None:
    runtime_app.clock.set("2026-01-01T00:58:00Z")  # run 1: tick, missed
    runtime_app.clock.advance(minutes=4)  # 01:00 is due for both: tick (run 2) is declared first
    runtime_app.clock.advance(minutes=3)  # run 4: tick at 01:05
    runs = admin.get("/api/_cron").json()["items"]
    assert [(job["name"], job["last_status"]) for job in runs] == [
        ("tick", "ok"),
        ("broken", "error"),
        ("hold", None),
    ]
    ids = {job: [run["id"] for run in _history(admin, job)] for job in ("tick", "broken")}
    assert ids["broken"] == [3]
    assert ids["tick"] == [4, 2, 1]


def test_a_failing_job_records_its_error_and_the_scheduler_goes_on(
    runtime_app: TestApp, admin: UserClient
) -> None:
    runtime_app.clock.set("2026-01-01T00:59:00Z")
    runtime_app.clock.advance(minutes=6)  # broken at 01:00 fails; tick at 01:00 and 01:05 collapse
    [failed] = _history(admin, "broken")
    assert failed["status"] == "error"
    assert failed["error"] == "RuntimeError: the digest service is down"
    assert failed["trigger"] == "schedule"
    assert runtime_app.db["ticks"].count == 2  # the missed run at 00:59, then 01:00+01:05 as one
    failures = [r for r in runtime_app.logs if r.name == "kiln.cron" and r.levelname == "ERROR"]
    assert [r.getMessage() for r in failures] == ["cron job broken failed"]
    assert "RuntimeError: the digest service is down" in (failures[0].exc_text or "")
    runtime_app.clock.advance(hours=1)  # and the next hour it runs (and fails) again
    assert [run["status"] for run in _history(admin, "broken")] == ["error", "error"]


def test_setting_the_clock_back_rebases_the_schedule(runtime_app: TestApp, admin: UserClient) -> None:
    runtime_app.clock.advance(minutes=5)
    runtime_app.clock.set("2025-06-01T00:00:00Z")  # back: nothing runs
    assert runtime_app.db["ticks"].count == 1
    runtime_app.clock.advance(minutes=5)  # and due times after it count again
    assert [row["at"] for row in runtime_app.db["ticks"].rows] == [
        "2026-01-01T00:05:00.000Z",
        "2025-06-01T00:05:00.000Z",
    ]


def test_the_listing_shows_next_and_last_runs(runtime_app: TestApp, admin: UserClient) -> None:
    assert admin.get("/api/_cron").json() == {
        "items": [
            {
                "name": "tick",
                "schedule": "*/5 * * * *",
                "next_run": "2026-01-01T00:05:00.000Z",
                "last_run": None,
                "last_status": None,
            },
            {
                "name": "broken",
                "schedule": "0 * * * *",
                "next_run": "2026-01-01T01:00:00.000Z",
                "last_run": None,
                "last_status": None,
            },
            {
                "name": "hold",
                "schedule": "0 0 1 1 *",
                "next_run": "2027-01-01T00:00:00.000Z",
                "last_run": None,
                "last_status": None,
            },
        ]
    }
    runtime_app.clock.advance(minutes=7)
    tick = admin.get("/api/_cron").json()["items"][0]
    assert (tick["next_run"], tick["last_run"], tick["last_status"]) == (
        "2026-01-01T00:10:00.000Z",
        "2026-01-01T00:07:00.000Z",
        "ok",
    )


def test_the_history_is_newest_first(runtime_app: TestApp, admin: UserClient) -> None:
    runtime_app.clock.advance(minutes=5)
    admin.post("/api/_cron/tick/trigger")
    runtime_app.clock.advance(minutes=5)
    assert [run["trigger"] for run in _history(admin, "tick")] == ["schedule", "manual", "schedule"]
    assert [run["id"] for run in _history(admin, "tick")] == [3, 2, 1]
