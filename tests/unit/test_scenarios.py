"""The scenario helpers catch what they claim to: wrong types, missing keys, broken envelopes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sample_apps

from harness import Scenario, Stored, TestApp, assert_error, assert_subset, run


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ({"a": 1, "b": 2}, {"a": 1}),
        ([{"id": 1, "x": 2}], [{"id": 1}]),
        ({"n": {"deep": [1, 2]}}, {"n": {"deep": [1, 2]}}),
        (None, None),
    ],
)
def test_assert_subset_accepts_contained_values(actual: object, expected: object) -> None:
    assert_subset(actual, expected)


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        ({"done": 1}, {"done": True}, "expected True (bool), got 1 (int)"),
        ({"id": "1"}, {"id": 1}, "expected 1 (int), got '1' (str)"),
        ({"a": 1}, {"b": 1}, "missing key 'b'"),
        ([1, 2], [1], "expected 1 items, got 2"),
        ({"x": [1]}, {"x": {"y": 1}}, "expected an object"),
        ({"x": 1.0}, {"x": 1}, "expected 1 (int), got 1.0 (float)"),
    ],
)
def test_assert_subset_rejects_mismatches(actual: object, expected: object, message: str) -> None:
    with pytest.raises(
        AssertionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        assert_subset(actual, expected)


def _response(status: int, body: object, request_id: str = "rid") -> httpx.Response:
    return httpx.Response(status, json=body, headers={"x-request-id": request_id})


GOOD = {"error": {"status": 404, "code": "not_found", "message": "gone", "fields": {}, "request_id": "rid"}}


def test_assert_error_accepts_the_envelope() -> None:
    assert assert_error(_response(404, GOOD), 404, "not_found", {})["message"] == "gone"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (_response(400, GOOD), "expected 404 not_found, got 400"),
        (_response(404, {"detail": "x"}), "not an error envelope"),
        (_response(404, {"error": {**GOOD["error"], "extra": 1}}), "envelope keys"),
        (_response(404, GOOD, request_id="other"), "request_id must equal X-Request-Id"),
        (_response(404, {"error": {**GOOD["error"], "code": "missing"}}), "expected code 'not_found'"),
        (_response(404, {"error": {**GOOD["error"], "fields": {"a": "b"}}}), "fields"),
    ],
)
def test_assert_error_rejects_broken_envelopes(response: httpx.Response, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_error(response, 404, "not_found", {})


def test_run_checks_status_expect_and_absent() -> None:
    with TestApp(sample_apps.app) as app:
        response = run(
            app,
            Scenario("echo", "POST", "/echo", json={"a": 1}, expect={"method": "POST"}, absent=("secret",)),
        )
        assert response.json()["body"] == '{"a":1}'
        with pytest.raises(AssertionError, match="expected 201, got 200"):
            run(app, Scenario("wrong status", "GET", "/echo", status=201))
        with pytest.raises(AssertionError, match="'method' should not be in"):
            run(app, Scenario("absent", "GET", "/echo", absent=("method",)))
    assert str(Scenario("named", "GET", "/")) == "named"


TODO = Path(__file__).parents[1] / "fixtures" / "todo-app"
AUTH = Path(__file__).parents[1] / "fixtures" / "auth-app"


def test_run_checks_the_stored_rows_after_the_request() -> None:
    with TestApp(TODO) as app:
        created = Scenario(
            "create",
            "POST",
            "/api/todos",
            json={"title": "kept", "done": True},
            status=201,
            stored=[
                Stored("todos", {"title": "kept", "done": True}, 1),
                Stored("todos", {"title": "other"}, 0),
            ],
        )
        run(app, created)
        refused = Scenario(
            "refused",
            "POST",
            "/api/todos",
            json={"notes": "never stored"},
            status=422,
            error="validation_failed",
            stored=[Stored("todos", {"notes": "never stored"}, 0), Stored("todos", {"notes": None}, 1)],
        )
        run(app, refused)
        wrong = Scenario("wrong count", "GET", "/api/todos", stored=[Stored("todos", {"title": "kept"}, 2)])
        with pytest.raises(
            AssertionError, match=r"expected 2 rows of todos with \{'title': 'kept'\}, found 1"
        ):
            run(app, wrong)


def test_run_sends_the_request_as_the_scenario_user_with_its_roles() -> None:
    with TestApp(AUTH) as app:
        as_admin = Scenario(
            "admin announces",
            "POST",
            "/api/announcements",
            json={"title": "by admin"},
            user="root@example.com",
            roles=("admin",),
            status=201,
            expect={"title": "by admin"},
            stored=[Stored("announcements", {"title": "by admin"}, 1)],
        )
        run(app, as_admin)
        as_user = Scenario(
            "user announces",
            "POST",
            "/api/announcements",
            json={"title": "by user"},
            user="ann@example.com",
            status=403,
            error="forbidden",
            stored=[Stored("announcements", {"title": "by user"}, 0)],
        )
        run(app, as_user)
        anonymous = Scenario(
            "anonymous", "POST", "/api/announcements", json={"title": "x"}, status=401, error="unauthorized"
        )
        run(app, anonymous)
        assert [row["email"] for row in app.db["users"].rows] == ["root@example.com", "ann@example.com"]
