"""The scenario helpers catch what they claim to: wrong types, missing keys, broken envelopes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
import sample_apps

from harness import Row, Scenario, Stored, TestApp, assert_error, assert_subset, run


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


def test_run_checks_the_error_message_headers_and_raw_body() -> None:
    with TestApp(TODO) as app:
        run(
            app,
            Scenario("not found", "GET", "/nope", status=404, error="not_found", message="nothing at /nope"),
        )
        with pytest.raises(AssertionError, match="expected message 'gone', got 'nothing at /nope'"):
            run(app, Scenario("message", "GET", "/nope", status=404, error="not_found", message="gone"))
        with pytest.raises(AssertionError, match="a message is checked only with an error code"):
            run(app, Scenario("no code", "GET", "/nope", status=404, message="nothing at /nope"))
        options = Scenario(
            "options",
            "OPTIONS",
            "/health",
            status=204,
            expect=b"",
            expect_headers={"allow": "GET, HEAD, OPTIONS"},
        )
        run(app, options)
        with pytest.raises(AssertionError, match="expected header allow: 'GET', got 'GET, HEAD, OPTIONS'"):
            run(app, dataclasses.replace(options, expect_headers={"allow": "GET"}))
        with pytest.raises(AssertionError, match="expected body b'x', got b''"):
            run(app, dataclasses.replace(options, expect=b"x"))


def test_run_checks_the_row_the_response_names() -> None:
    with TestApp(TODO) as app:
        create = Scenario(
            "create",
            "POST",
            "/api/todos",
            json={"title": "kept", "done": True},
            status=201,
            stored=[Row("todos", {"title": "kept", "done": 1})],
        )
        assert run(app, create).json()["id"] == 1
        with pytest.raises(AssertionError, match=r"todos 2\.done is 1, expected 0"):
            run(app, dataclasses.replace(create, stored=[Row("todos", {"done": 0})]))
        with pytest.raises(AssertionError, match="todos has no column 'colour'"):
            run(app, dataclasses.replace(create, stored=[Row("todos", {"colour": "red"})]))
        app.db.execute("CREATE TRIGGER vanish AFTER INSERT ON todos BEGIN DELETE FROM todos; END")
        with pytest.raises(AssertionError, match="no row of todos has id 4"):
            run(app, create)


def test_format_fills_named_placeholders_and_keeps_other_braces() -> None:
    scenario = Scenario(
        "template",
        "POST",
        "/api/posts?{scope}&q={q}",
        json={"author_id": "{author}", "title": "by {author}", "raw": "{other}", "n": 3},
        expect={"items": [{"author_id": "{author}"}]},
        expect_headers={"location": "/api/posts/{author}"},
        error="x",
        fields={"author_id": "Author {author} does not exist"},
        message="{scope} is wrong",
        user="{email}",
        headers={"x-author": "{author}"},
        stored=[Stored("posts", {"author_id": "{author}"}, 1), Row("posts", {"title": "by {author}"})],
    )
    filled = scenario.format(scope="id__in=1,2", q="a b", author=7, email="ann@example.com")
    assert filled.path == "/api/posts?id__in=1,2&q=a b"
    assert filled.json == {"author_id": 7, "title": "by 7", "raw": "{other}", "n": 3}
    assert filled.expect == {"items": [{"author_id": 7}]}
    assert filled.expect_headers == {"location": "/api/posts/7"}
    assert filled.fields == {"author_id": "Author 7 does not exist"}
    assert filled.message == "id__in=1,2 is wrong"
    assert (filled.user, filled.headers) == ("ann@example.com", {"x-author": "7"})
    assert filled.stored == [Stored("posts", {"author_id": 7}, 1), Row("posts", {"title": "by 7"})]
    assert scenario.json["author_id"] == "{author}"  # the table's own row is left as it was
