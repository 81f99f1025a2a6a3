"""``GET /api/_search/analytics``: counts, normalised queries, ordering, windows and latency.

auth-app searches notes and has admins. Each test starts its own app (signing users in is local
there), and moves the app's clock to make windows.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import Scenario, TestApp, UserClient, run

pytestmark = pytest.mark.app("auth-app")

START = "2030-03-01T12:00:00Z"


@pytest.fixture
def ann(app: TestApp) -> TestApp:
    """auth-app at START, where ann has one note about fresh bread."""
    app.clock.set(START)
    assert _user(app).post("/api/notes", json={"text": "fresh bread"}).status_code == 201
    return app


def _user(app: TestApp) -> UserClient:
    return app.as_user("ann@example.com")  # signed in again each time: tokens expire as the clock moves


def _search(app: TestApp, q: str, **params: Any) -> None:
    response = _user(app).get("/api/notes/search", params={"q": q, **params})
    assert response.status_code == 200, response.text


def _analytics(app: TestApp, **params: Any) -> dict[str, Any]:
    response = app.as_user("root@example.com", roles=["admin"]).get("/api/_search/analytics", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_queries_are_counted_after_normalising(ann: TestApp) -> None:
    for q in ["Bread", "  bread ", "BREAD", "fresh   BREAD", "baguette"]:
        _search(ann, q)
    body = _analytics(ann)
    assert body["searches"] == 5
    assert body["top_queries"] == [
        {"q": "bread", "entity": "Note", "count": 3},
        {"q": "baguette", "entity": "Note", "count": 1},
        {"q": "fresh bread", "entity": "Note", "count": 1},
    ]
    assert body["zero_result_queries"] == [{"q": "baguette", "entity": "Note", "count": 1}]


def test_every_mode_and_page_is_a_search(ann: TestApp) -> None:
    _search(ann, "bread")
    _search(ann, "bread", page=2)
    _search(ann, "bread", mode="semantic")
    _search(ann, "bread", mode="hybrid", per_page=1)
    body = _analytics(ann)
    assert body["searches"] == 4
    assert body["top_queries"] == [{"q": "bread", "entity": "Note", "count": 4}]
    assert body["zero_result_queries"] == []  # page 2 is empty, but the search had a result


def test_refused_searches_are_not_counted(ann: TestApp) -> None:
    assert _user(ann).get("/api/notes/search", params={"q": "bread AND"}).status_code == 400
    assert ann.get("/api/notes/search", params={"q": "bread"}).status_code == 401  # anonymous
    assert _analytics(ann)["searches"] == 0


def test_since_defaults_to_seven_days_before_now(ann: TestApp) -> None:
    _search(ann, "old")
    ann.clock.advance(days=7, seconds=1)
    _search(ann, "new")
    body = _analytics(ann)
    assert body["since"] == "2030-03-01T12:00:01.000Z"
    assert body["top_queries"] == [{"q": "new", "entity": "Note", "count": 1}]
    ann.clock.set("2030-03-08T12:00:00Z")  # exactly 7 days after the first: it counts again
    assert [entry["q"] for entry in _analytics(ann)["top_queries"]] == ["new", "old"]


def test_since_given_is_normalised_and_inclusive(ann: TestApp) -> None:
    _search(ann, "first")
    ann.clock.advance(hours=1)
    _search(ann, "second")
    body = _analytics(ann, since="2030-03-01T14:00:00+02:00")  # 12:00 UTC, the first search
    assert body["since"] == "2030-03-01T12:00:00.000Z"
    assert body["searches"] == 2
    assert _analytics(ann, since="2030-03-01T12:00:00.001Z")["searches"] == 1
    assert _analytics(ann, since="2031-01-01T00:00:00Z")["top_queries"] == []


def test_lists_order_by_count_then_query_and_hold_twenty(ann: TestApp) -> None:
    for n in range(25):
        _search(ann, f"word{n:02d}")
    _search(ann, "word24")
    _search(ann, "word13")
    _search(ann, "word13")
    top = _analytics(ann)["top_queries"]
    assert len(top) == 20
    assert top[:3] == [
        {"q": "word13", "entity": "Note", "count": 3},
        {"q": "word24", "entity": "Note", "count": 2},
        {"q": "word00", "entity": "Note", "count": 1},
    ]
    assert [entry["q"] for entry in top[3:]] == [f"word{n:02d}" for n in range(1, 19) if n != 13]


def test_latency_percentiles_are_nearest_rank_in_milliseconds(ann: TestApp) -> None:
    rows = [
        {"at": "2030-03-01T11:00:00.000Z", "entity": "Note", "q": "x", "mode": "keyword", "results": 1,
         "latency_ms": float(ms)}
        for ms in range(100, 0, -1)
    ]  # fmt: skip
    ann.db["_kiln_search_log"].insert_all(rows)
    assert _analytics(ann)["latency_ms"] == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    ann.db["_kiln_search_log"].insert_all([{**rows[0], "latency_ms": 1000.0}])  # 101 searches now
    assert _analytics(ann)["latency_ms"] == {"p50": 51.0, "p95": 96.0, "p99": 100.0}


def test_latency_is_measured_in_the_server_for_each_search(ann: TestApp) -> None:
    _search(ann, "bread")
    latency = _analytics(ann)["latency_ms"]
    assert latency["p50"] == latency["p95"] == latency["p99"]  # one search
    assert latency["p50"] > 0


def test_no_searches_have_no_percentiles(ann: TestApp) -> None:
    assert _analytics(ann) == {
        "since": "2030-02-22T12:00:00.000Z",
        "searches": 0,
        "top_queries": [],
        "zero_result_queries": [],
        "latency_ms": {"p50": None, "p95": None, "p99": None},
    }


REFUSED = [
    Scenario("anonymous", "GET", "/api/_search/analytics", status=401, error="unauthorized"),
    Scenario(
        "not-an-admin",
        "GET",
        "/api/_search/analytics",
        user="bob@example.com",
        status=403,
        error="forbidden",
        message="this needs the admin role",
    ),
    Scenario(
        "bad-since",
        "GET",
        "/api/_search/analytics?since=yesterday",
        user="root@example.com",
        roles=("admin",),
        status=400,
        error="bad_request",
        message="since must be an ISO-8601 datetime such as 2030-01-31T12:00:00Z: 'yesterday'",
    ),
    Scenario(
        "naive-since",
        "GET",
        "/api/_search/analytics?since=2030-01-01T00:00:00",
        user="root@example.com",
        roles=("admin",),
        status=400,
        error="bad_request",
        message="since must include a timezone, such as Z: '2030-01-01T00:00:00'",
    ),
]


@pytest.mark.parametrize("scenario", REFUSED, ids=str)
def test_analytics_is_for_admins_only(app: TestApp, scenario: Scenario) -> None:
    run(app, scenario)


@pytest.mark.parametrize("fixture", ["blog-app", "search-app", "todo-app"])
def test_an_app_without_users_has_no_analytics(test_app: Any, fixture: str) -> None:
    response = test_app(fixture).get("/api/_search/analytics")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "nothing at /api/_search/analytics"
