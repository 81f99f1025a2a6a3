"""The scenario helpers catch what they claim to: wrong types, missing keys, broken envelopes."""

from __future__ import annotations

import httpx
import pytest
import sample_apps

from harness import Scenario, TestApp, assert_error, assert_subset, run


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
