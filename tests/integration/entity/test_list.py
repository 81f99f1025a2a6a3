"""GET /api/<plural>: pagination, multi-field sort and the filter operators; unknown names are 400.

Every list read is narrowed to the test's own todos with ``scope`` (``id__in=<their ids>``), so the
tests hold on a shared remote database too.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error


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


FILTERS = [
    ("eq-text", "title=Buy milk", ["Buy milk"]),
    ("eq-enum", "status=open", ["Buy milk", "Book flights", "buy stamps"]),
    ("eq-bool-true", "done=true", ["Call mum"]),
    ("eq-bool-false", "done=false", ["Buy milk", "Write report", "Book flights", "buy stamps"]),
    ("eq-int-explicit", "priority__eq=5", ["Write report", "Book flights"]),
    ("ne-int", "priority__ne=5", ["Buy milk", "Call mum", "buy stamps"]),
    ("ne-includes-nulls", "slug__ne={slug}", ["Write report", "Call mum", "Book flights", "buy stamps"]),
    ("lt-int", "priority__lt=4", ["Buy milk", "buy stamps"]),
    ("lte-int", "priority__lte=4", ["Buy milk", "Call mum", "buy stamps"]),
    ("gt-float", "estimate__gt=1", ["Write report"]),
    ("gte-float", "estimate__gte=0.5", ["Buy milk", "Write report"]),
    ("lt-date", "due__lt=2030-01-03", ["Write report"]),
    ("gte-date", "due__gte=2030-01-02", ["Buy milk", "Write report"]),
    (
        "gt-datetime-created",
        "created_at__gt=2000-01-01T00:00:00Z",
        ["Buy milk", "Write report", "Call mum", "Book flights", "buy stamps"],
    ),
    ("lt-datetime-created", "created_at__lt=2000-01-01T00:00:00Z", []),
    ("in-enum", "status__in=doing,closed", ["Write report", "Call mum"]),
    ("in-int", "priority__in=1,2", ["Buy milk", "buy stamps"]),
    ("in-id", "id__in={id2},{id4},987654321", ["Write report", "Book flights"]),
    ("contains-case-insensitive", "title__contains=BUY", ["Buy milk", "buy stamps"]),
    ("contains-percent-literal", "notes__contains=50%", ["buy stamps"]),
    ("contains-underscore-literal", "notes__contains=f_s", ["buy stamps"]),
    ("contains-email", "contact__contains=example", ["Call mum"]),
    ("isnull-true", "due__isnull=true", ["Call mum", "Book flights", "buy stamps"]),
    ("isnull-false", "due__isnull=false", ["Buy milk", "Write report"]),
    ("isnull-json", "tags__isnull=false", ["Book flights"]),
    ("combined-and", "status=open&priority__gte=2", ["Buy milk", "Book flights"]),
    ("filter-and-sort", "status=open&sort=-priority", ["Book flights", "Buy milk", "buy stamps"]),
    ("gt-id", "id__gt={id3}", ["Book flights", "buy stamps"]),
]


@pytest.mark.parametrize(("query", "titles"), [row[1:] for row in FILTERS], ids=[row[0] for row in FILTERS])
def test_list_filters(
    todo_app: TestApp, todos: list[dict[str, Any]], scope: str, query: str, titles: list[str]
) -> None:
    ids = {f"id{n}": todo["id"] for n, todo in enumerate(todos, start=1)}
    query = query.format(slug=todos[0]["slug"], **ids)
    # "in-id" is its own scope; every other query is narrowed to this test's todos
    body = todo_app.get(
        f"/api/todos?{query}" if query.startswith("id__in") else f"/api/todos?{scope}&{query}"
    ).json()
    assert [item["title"] for item in body["items"]] == titles
    assert body["total"] == len(titles)


def test_list_filtered_total_counts_all_pages(todo_app: TestApp, scope: str) -> None:
    body = todo_app.get(f"/api/todos?{scope}&status=open&per_page=1&page=2").json()
    assert [item["title"] for item in body["items"]] == ["Book flights"]
    assert body["total"] == 3


BAD_FILTERS = [
    ("unknown-field", "titel=x", 'unknown filter "titel": Todo has no field "titel" (did you mean "title"?)'),
    (
        "unknown-operator",
        "priority__like=1",
        'unknown operator "like" on priority: use eq, gt, gte, in, isnull, lt, lte, ne',
    ),
    (
        "contains-on-int",
        "priority__contains=1",
        'priority is a int field and cannot use "contains": use eq, gt, gte, in, isnull, lt, lte, ne',
    ),
    ("lt-on-bool", "done__lt=true", 'done is a bool field and cannot use "lt": use eq, isnull, ne'),
    ("eq-on-json", "tags=x", 'tags is a json field and cannot use "eq": use isnull'),
    ("int-value-not-int", "priority=high", "filter value for priority must be an integer: 'high'"),
    ("bool-value-not-bool", "done=yes", "filter value for done must be true or false: 'yes'"),
    ("date-value-bad", "due__lt=soon", "filter value for due must be a date as YYYY-MM-DD: 'soon'"),
    ("isnull-value-bad", "due__isnull=maybe", "due__isnull must be true or false"),
    ("repeated-param", "status=open&status=doing", '"status" is given more than once'),
    ("with-unknown-relation", "with=author", 'unknown relation "author" on Todo (it has no relations)'),
]


@pytest.mark.parametrize(
    ("query", "message"), [row[1:] for row in BAD_FILTERS], ids=[row[0] for row in BAD_FILTERS]
)
def test_list_bad_filter_is_400_with_clear_message(todo_app: TestApp, query: str, message: str) -> None:
    assert assert_error(todo_app.get(f"/api/todos?{query}"), 400, "bad_request")["message"] == message
