"""The cron admin endpoints: who may use them, manual triggers, and no job running twice."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from harness import TestApp, UserClient, unique_id
from harness.fakes import FakeHTTP


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/_cron"), ("POST", "/api/_cron/tick/trigger"), ("GET", "/api/_cron/tick/history")],
    ids=["list", "trigger", "history"],
)
def test_anonymous_callers_get_401(runtime_app: TestApp, method: str, path: str) -> None:
    response = runtime_app.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/_cron"), ("POST", "/api/_cron/tick/trigger"), ("GET", "/api/_cron/tick/history")],
    ids=["list", "trigger", "history"],
)
def test_users_without_the_admin_role_get_403(runtime_app: TestApp, method: str, path: str) -> None:
    user = runtime_app.as_user(unique_id("cron-reader") + "@example.com")
    response = user.request(method, path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.local_only("grants the admin role")
def test_a_trigger_runs_the_job_now_and_answers_its_run(runtime_app: TestApp, admin: UserClient) -> None:
    response = admin.post("/api/_cron/tick/trigger")
    assert response.status_code == 200
    assert response.json() == {
        "id": 1,
        "trigger": "manual",
        "started_at": "2026-01-01T00:00:00.000Z",
        "finished_at": "2026-01-01T00:00:00.000Z",
        "status": "ok",
        "error": None,
    }
    assert runtime_app.db["ticks"].count == 1
    # a manual run leaves the schedule alone: 00:05 still comes due
    runtime_app.clock.advance(minutes=5)
    assert runtime_app.db["ticks"].count == 2


@pytest.mark.local_only("grants the admin role")
def test_triggering_a_failing_job_answers_200_with_its_error(runtime_app: TestApp, admin: UserClient) -> None:
    response = admin.post("/api/_cron/broken/trigger")
    assert response.status_code == 200
    run = response.json()
    assert (run["status"], run["error"]) == ("error", "RuntimeError: the digest service is down")
    assert admin.get("/api/_cron").json()["items"][1]["last_status"] == "error"


@pytest.mark.local_only("grants the admin role")
@pytest.mark.parametrize(
    "path", ["/api/_cron/digest/trigger", "/api/_cron/digest/history"], ids=["trigger", "history"]
)
def test_an_unknown_job_is_404(runtime_app: TestApp, admin: UserClient, path: str) -> None:
    response = admin.request("POST" if path.endswith("trigger") else "GET", path)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == 'no cron job named "digest" (jobs: tick, broken, hold)'


@pytest.mark.local_only("gives the app a secret and grants the admin role")
def test_a_second_trigger_while_the_job_runs_is_409_and_the_job_ran_once(
    test_app: Any, fake_http: FakeHTTP
) -> None:
    fake_http.script("POST", "/started")
    fake_http.script("GET", "/release")
    release = fake_http.hold("GET", "/release")
    app = test_app("runtime-app", secrets={"HOOK": fake_http.url})
    admin = app.as_user("admin@example.com", roles=["admin"])
    first: list[httpx.Response] = []
    caller = threading.Thread(target=lambda: first.append(admin.post("/api/_cron/hold/trigger", timeout=30)))
    caller.start()
    try:
        fake_http.wait_for(1, "POST", "/started")  # the job is running, held at /release
        second = admin.post("/api/_cron/hold/trigger")
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "job_running"
        assert second.json()["error"]["message"] == (
            'cron job "hold" is running already; try again when it has finished'
        )
    finally:
        release.set()
        caller.join(10)
    assert first[0].status_code == 200
    assert first[0].json()["status"] == "ok"
    assert len(fake_http.requests) == 2  # one /started and one /release: the job ran once
    assert [run["trigger"] for run in admin.get("/api/_cron/hold/history").json()["items"]] == ["manual"]
