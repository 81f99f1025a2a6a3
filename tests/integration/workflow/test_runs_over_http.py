"""Starting, reading and listing runs over HTTP, and the smoke workflow on the clock: double the
input, sleep six times, persist; a start with a known id starts nothing."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, UserClient, assert_error, unique_id

CREATED = "2026-01-01T00:00:00.000Z"


def _start(admin: UserClient, name: str, **body: Any) -> Any:
    return admin.post(f"/api/_workflows/{name}", json=body)


def _settle(app: TestApp) -> None:
    """Let the runtime run what is due now (a clock move returns after it has)."""
    app.clock.advance(seconds=0)


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_a_start_answers_202_with_the_pending_run(flows: TestApp, admin: UserClient) -> None:
    response = _start(admin, "double-and-persist", input={"n": 21}, id="smoke-1")

    assert response.status_code == 202
    assert response.json() == {
        "id": "smoke-1",
        "workflow": "double-and-persist",
        "status": "pending",
        "input": {"n": 21},
        "output": None,
        "error": None,
        "attempts": 0,
        "scratchpad": {},
        "created_at": CREATED,
        "updated_at": CREATED,
    }


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_the_smoke_workflow_sleeps_six_times_on_the_clock_and_persists(
    flows: TestApp, admin: UserClient
) -> None:
    _start(admin, "double-and-persist", input={"n": 21}, id="smoke-2")
    _settle(flows)
    statuses = [admin.get("/api/_workflows/runs/smoke-2").json()["status"]]
    for _ in range(6):
        flows.clock.advance(seconds=10)
        statuses.append(admin.get("/api/_workflows/runs/smoke-2").json()["status"])

    assert statuses == ["sleeping"] * 6 + ["completed"]
    run = admin.get("/api/_workflows/runs/smoke-2", params={"events": "true"}).json()
    assert (run["output"], run["scratchpad"], run["error"]) == (42, {"n": 42}, None)
    assert run["updated_at"] == "2026-01-01T00:01:00.000Z"
    assert [(e["seq"], e["type"], e["step"]) for e in run["events"]][:4] == [
        (1, "started", None),
        (2, "step_completed", "start"),
        (3, "sleeping", "nap-0"),
        (4, "woke", "nap-0"),
    ]
    assert [e["type"] for e in run["events"]][-3:] == ["scratchpad", "step_completed", "completed"]
    assert len(run["events"]) == 17  # started, 2 steps, 6 sleeps and wakes, a scratchpad write, completed
    [result] = flows.db["results"].rows
    assert (result["run_id"], result["n"]) == ("smoke-2", 42)


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_a_start_with_a_known_id_part_way_starts_nothing_and_the_run_goes_on(
    flows: TestApp, admin: UserClient
) -> None:
    _start(admin, "double-and-persist", input={"n": 5}, id="again")
    _settle(flows)
    for _ in range(3):  # each nap starts when the one before ends
        flows.clock.advance(seconds=10)

    again = _start(admin, "double-and-persist", input={"n": 999}, id="again")
    assert again.status_code == 200
    assert (again.json()["input"], again.json()["status"]) == ({"n": 5}, "sleeping")
    for _ in range(3):
        flows.clock.advance(seconds=10)

    done = admin.get("/api/_workflows/runs/again").json()
    assert (done["status"], done["output"]) == ("completed", 10)
    assert [row["n"] for row in flows.db["results"].rows] == [10]
    assert admin.get("/api/_workflows/runs").json()["total"] == 1


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_a_non_retryable_error_fails_the_run_at_once(flows: TestApp, admin: UserClient) -> None:
    run_id = _start(admin, "charge", input={"amount": -5}).json()["id"]
    _settle(flows)

    run = admin.get(f"/api/_workflows/runs/{run_id}").json()
    assert (run["status"], run["attempts"], run["error"]) == ("failed", 1, "a charge cannot be negative")


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_a_failing_step_retries_after_a_second_and_then_fails(flows: TestApp, admin: UserClient) -> None:
    run_id = _start(admin, "charge", input={"amount": 500}).json()["id"]
    _settle(flows)
    retrying = admin.get(f"/api/_workflows/runs/{run_id}").json()
    assert (retrying["status"], retrying["attempts"], retrying["error"]) == (
        "retrying",
        1,
        "the bank did not answer",
    )

    flows.clock.advance(seconds=1)

    failed = admin.get(f"/api/_workflows/runs/{run_id}", params={"events": "true"}).json()
    assert (failed["status"], failed["attempts"]) == ("failed", 2)
    assert [e["type"] for e in failed["events"]] == ["started", "step_failed", "step_failed", "failed"]
    assert [e["at"] for e in failed["events"]][2] == "2026-01-01T00:00:01.000Z"


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_a_run_without_an_id_gets_a_uuid_and_completes(flows: TestApp, admin: UserClient) -> None:
    started = _start(admin, "charge", input={"amount": 12})
    assert started.status_code == 202
    run_id = started.json()["id"]
    assert len(run_id) == 36
    assert run_id.count("-") == 4
    _settle(flows)
    assert admin.get(f"/api/_workflows/runs/{run_id}").json()["output"] == "charged 12"


@pytest.mark.local_only("grants the admin role and moves the clock")
def test_runs_are_listed_newest_first_and_filtered(flows: TestApp, admin: UserClient) -> None:
    _start(admin, "charge", input={"amount": 1}, id="c-1")
    flows.clock.advance(seconds=1)
    _start(admin, "charge", input={"amount": -1}, id="c-2")
    flows.clock.advance(seconds=1)
    _start(admin, "double-and-persist", input={"n": 1}, id="d-1")
    _settle(flows)

    listed = admin.get("/api/_workflows/runs").json()
    assert ([r["id"] for r in listed["items"]], listed["total"], listed["page"]) == (
        ["d-1", "c-2", "c-1"],
        3,
        1,
    )
    charges = admin.get("/api/_workflows/runs", params={"workflow": "charge"}).json()
    assert [r["id"] for r in charges["items"]] == ["c-2", "c-1"]
    failed = admin.get("/api/_workflows/runs", params={"status": "failed"}).json()
    assert [r["id"] for r in failed["items"]] == ["c-2"]
    paged = admin.get("/api/_workflows/runs", params={"per_page": 1, "page": 2}).json()
    assert ([r["id"] for r in paged["items"]], paged["per_page"], paged["total"]) == (["c-2"], 1, 3)


@pytest.mark.local_only("grants the admin role")
@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"workflow": "nightly"}, 404, "not_found"),
        ({"status": "asleep"}, 400, "bad_request"),
        ({"order": "old"}, 400, "bad_request"),
        ({"page": "0"}, 400, "bad_request"),
    ],
    ids=["unknown-name", "unknown-status", "unknown-parameter", "page-zero"],
)
def test_a_listing_with_bad_parameters_is_refused(
    admin: UserClient, params: dict[str, str], status: int, code: str
) -> None:
    assert_error(admin.get("/api/_workflows/runs", params=params), status, code)


@pytest.mark.local_only("grants the admin role")
def test_unknown_names_and_runs_are_404_and_bad_starts_422(flows: TestApp, admin: UserClient) -> None:
    error = assert_error(_start(admin, "nightly", input={}), 404, "not_found")
    assert error["message"] == 'no workflow named "nightly" (workflows: double-and-persist, charge)'
    assert_error(admin.get("/api/_workflows/runs/nobody"), 404, "not_found")
    assert_error(admin.get("/api/_workflows/runs/nobody", params={"events": "maybe"}), 404, "not_found")
    bad = assert_error(_start(admin, "charge", input={"amount": 1}, id=""), 422, "validation_failed")
    assert bad["fields"] == {"id": "must be a string of 1 to 200 characters"}
    extra = assert_error(_start(admin, "charge", amount=1), 422, "validation_failed")
    assert extra["fields"] == {"amount": "is not a field of a start: send input and id"}
    listed = admin.post("/api/_workflows/charge", json=[1, 2])
    assert_error(listed, 422, "validation_failed")
    assert admin.get("/api/_workflows/runs").json()["total"] == 0


@pytest.mark.local_only("grants the admin role")
def test_events_takes_true_or_false(flows: TestApp, admin: UserClient) -> None:
    _start(admin, "charge", input={"amount": 1}, id="ev")
    assert "events" not in admin.get("/api/_workflows/runs/ev", params={"events": "false"}).json()
    assert_error(admin.get("/api/_workflows/runs/ev", params={"events": "maybe"}), 400, "bad_request")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/_workflows/charge"), ("GET", "/api/_workflows/runs"), ("GET", "/api/_workflows/runs/x")],
    ids=["start", "list", "show"],
)
def test_the_endpoints_need_a_signed_in_admin(flows: TestApp, method: str, path: str) -> None:
    assert_error(flows.request(method, path, json={"input": {"amount": 1}}), 401, "unauthorized")
    user = flows.as_user(f"{unique_id('clerk')}@example.com")
    forbidden = assert_error(user.request(method, path, json={"input": {"amount": 1}}), 403, "forbidden")
    assert forbidden["message"] == "this needs the admin role"
