"""GET /api/<plural>: pagination, multi-field sort and the filter operators; unknown names are 400.

Every list read is narrowed to the test's own todos with ``scope`` (``id__in=<their ids>``), so the
tests hold on a shared remote database too.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import Scenario, TestApp, assert_error, run


def _titles(todo_app: TestApp, query: str) -> list[str]:
    response = todo_app.get(f"/api/todos?{query}")
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


@pytest.mark.local_only("needs an empty collection")
def test_list_empty_collection(todo_app: TestApp) -> None:
    assert todo_app.get("/api/todos").json() == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_list_returns_records_in_creation_order_with_envelope(
    todo_app: TestApp, todos: list[dict[str, Any]], scope: str
) -> None:
    body = todo_app.get(f"/api/todos?{scope}").json()
    assert body["items"] == todos
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 5)


@pytest.mark.parametrize(
    ("query", "titles", "page", "per_page"),
    [
        ("per_page=2", ["Buy milk", "Write report"], 1, 2),
        ("per_page=2&page=2", ["Call mum", "Book flights"], 2, 2),
        ("per_page=2&page=3", ["buy stamps"], 3, 2),
        ("per_page=2&page=4", [], 4, 2),
        ("per_page=500", ["Buy milk", "Write report", "Call mum", "Book flights", "buy stamps"], 1, 100),
    ],
    ids=["first-page", "second-page", "last-partial-page", "past-the-end", "per-page-clamped"],
)
def test_list_paginates(
    todo_app: TestApp, scope: str, query: str, titles: list[str], page: int, per_page: int
) -> None:
    body = todo_app.get(f"/api/todos?{scope}&{query}").json()
    assert [item["title"] for item in body["items"]] == titles
    assert (body["page"], body["per_page"], body["total"]) == (page, per_page, 5)


@pytest.mark.parametrize(
    "query", ["page=0", "per_page=0", "page=-1", "page=abc", "per_page=1.5", "page=", "page=99999999999"]
)
def test_list_bad_pagination_is_400(todo_app: TestApp, query: str) -> None:
    error = assert_error(todo_app.get(f"/api/todos?{query}"), 400, "bad_request")
    assert query.split("=")[0] in error["message"]


@pytest.mark.parametrize(
    ("sort", "titles"),
    [
        ("title", ["Book flights", "Buy milk", "Call mum", "Write report", "buy stamps"]),
        ("-title", ["buy stamps", "Write report", "Call mum", "Buy milk", "Book flights"]),
        ("-priority,title", ["Book flights", "Write report", "Call mum", "Buy milk", "buy stamps"]),
        ("-priority,-id", ["Book flights", "Write report", "Call mum", "Buy milk", "buy stamps"]),
        ("priority", ["buy stamps", "Buy milk", "Call mum", "Write report", "Book flights"]),
        ("due,title", ["Book flights", "Call mum", "buy stamps", "Write report", "Buy milk"]),
        ("-id", ["buy stamps", "Book flights", "Call mum", "Write report", "Buy milk"]),
        ("status,-estimate", ["Call mum", "Write report", "Buy milk", "Book flights", "buy stamps"]),
    ],
)
def test_list_sorts_by_several_fields(todo_app: TestApp, scope: str, sort: str, titles: list[str]) -> None:
    assert _titles(todo_app, f"{scope}&sort={sort}") == titles


@pytest.mark.parametrize(
    ("sort", "message"),
    [
        ("titel", 'cannot sort by "titel": Todo has no field "titel" (did you mean "title"?)'),
        ("tags", "cannot sort by tags: it is a json field"),
        ("title,-title", "sort lists title twice"),
    ],
)
def test_list_bad_sort_is_400(todo_app: TestApp, sort: str, message: str) -> None:
    assert assert_error(todo_app.get(f"/api/todos?sort={sort}"), 400, "bad_request")["message"] == message


def _filter(name: str, query: str, titles: list[str]) -> Scenario:
    """The list narrowed to this test's todos (``{scope}``) and filtered by ``query`` shows ``titles``."""
    path = f"/api/todos?{query}" if query.startswith("id__in") else f"/api/todos?{{scope}}&{query}"
    return Scenario(name, "GET", path, expect={"items": [{"title": t} for t in titles], "total": len(titles)})


FILTERS = [
    _filter("eq-text", "title=Buy milk", ["Buy milk"]),
    _filter("eq-enum", "status=open", ["Buy milk", "Book flights", "buy stamps"]),
    _filter("eq-bool-true", "done=true", ["Call mum"]),
    _filter("eq-bool-false", "done=false", ["Buy milk", "Write report", "Book flights", "buy stamps"]),
    _filter("eq-int-explicit", "priority__eq=5", ["Write report", "Book flights"]),
    _filter("ne-int", "priority__ne=5", ["Buy milk", "Call mum", "buy stamps"]),
    _filter(
        "ne-includes-nulls", "slug__ne={slug}", ["Write report", "Call mum", "Book flights", "buy stamps"]
    ),
    _filter("lt-int", "priority__lt=4", ["Buy milk", "buy stamps"]),
    _filter("lte-int", "priority__lte=4", ["Buy milk", "Call mum", "buy stamps"]),
    _filter("gt-float", "estimate__gt=1", ["Write report"]),
    _filter("gte-float", "estimate__gte=0.5", ["Buy milk", "Write report"]),
    _filter("lt-date", "due__lt=2030-01-03", ["Write report"]),
    _filter("gte-date", "due__gte=2030-01-02", ["Buy milk", "Write report"]),
    _filter(
        "gt-datetime-created",
        "created_at__gt=2000-01-01T00:00:00Z",
        ["Buy milk", "Write report", "Call mum", "Book flights", "buy stamps"],
    ),
    _filter("lt-datetime-created", "created_at__lt=2000-01-01T00:00:00Z", []),
    _filter("in-enum", "status__in=doing,closed", ["Write report", "Call mum"]),
    _filter("in-int", "priority__in=1,2", ["Buy milk", "buy stamps"]),
    _filter("in-id", "id__in={id2},{id4},987654321", ["Write report", "Book flights"]),
    _filter("contains-case-insensitive", "title__contains=BUY", ["Buy milk", "buy stamps"]),
    _filter("contains-percent-literal", "notes__contains=50%", ["buy stamps"]),
    _filter("contains-underscore-literal", "notes__contains=f_s", ["buy stamps"]),
    _filter("contains-email", "contact__contains=example", ["Call mum"]),
    _filter("isnull-true", "due__isnull=true", ["Call mum", "Book flights", "buy stamps"]),
    _filter("isnull-false", "due__isnull=false", ["Buy milk", "Write report"]),
    _filter("isnull-json", "tags__isnull=false", ["Book flights"]),
    _filter("combined-and", "status=open&priority__gte=2", ["Buy milk", "Book flights"]),
    _filter("filter-and-sort", "status=open&sort=-priority", ["Book flights", "Buy milk", "buy stamps"]),
    _filter("gt-id", "id__gt={id3}", ["Book flights", "buy stamps"]),
]


@pytest.mark.parametrize("scenario", FILTERS, ids=str)
def test_list_filters(todo_app: TestApp, todos: list[dict[str, Any]], scope: str, scenario: Scenario) -> None:
    ids = {f"id{n}": todo["id"] for n, todo in enumerate(todos, start=1)}
    run(todo_app, scenario.format(scope=scope, slug=todos[0]["slug"], **ids))


def test_list_filtered_total_counts_all_pages(todo_app: TestApp, scope: str) -> None:
    body = todo_app.get(f"/api/todos?{scope}&status=open&per_page=1&page=2").json()
    assert [item["title"] for item in body["items"]] == ["Book flights"]
    assert body["total"] == 3


def _bad_filter(name: str, query: str, message: str) -> Scenario:
    return Scenario(name, "GET", f"/api/todos?{query}", status=400, error="bad_request", message=message)


BAD_FILTERS = [
    _bad_filter(
        "unknown-field",
        "titel=x",
        'unknown filter "titel": Todo has no field "titel" (did you mean "title"?)',
    ),
    _bad_filter(
        "unknown-operator",
        "priority__like=1",
        'unknown operator "like" on priority: use eq, gt, gte, in, isnull, lt, lte, ne',
    ),
    _bad_filter(
        "contains-on-int",
        "priority__contains=1",
        'priority is a int field and cannot use "contains": use eq, gt, gte, in, isnull, lt, lte, ne',
    ),
    _bad_filter(
        "lt-on-bool", "done__lt=true", 'done is a bool field and cannot use "lt": use eq, isnull, ne'
    ),
    _bad_filter("eq-on-json", "tags=x", 'tags is a json field and cannot use "eq": use isnull'),
    _bad_filter("int-value-not-int", "priority=high", "filter value for priority must be an integer: 'high'"),
    _bad_filter("bool-value-not-bool", "done=yes", "filter value for done must be true or false: 'yes'"),
    _bad_filter(
        "date-value-bad", "due__lt=soon", "filter value for due must be a date as YYYY-MM-DD: 'soon'"
    ),
    _bad_filter("isnull-value-bad", "due__isnull=maybe", "due__isnull must be true or false"),
    _bad_filter("repeated-param", "status=open&status=doing", '"status" is given more than once'),
    _bad_filter(
        "with-unknown-relation", "with=author", 'unknown relation "author" on Todo (it has no relations)'
    ),
]


@pytest.mark.parametrize("scenario", BAD_FILTERS, ids=str)
def test_list_bad_filter_is_400_with_clear_message(todo_app: TestApp, scenario: Scenario) -> None:
    run(todo_app, scenario)
