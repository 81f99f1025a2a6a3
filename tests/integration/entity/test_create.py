"""POST /api/<plural>: 201, the record with exact JSON types, Location, ETag, and the stored row."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Row, Scenario, TestApp, run, unique_id

DEFAULTS = {"done": False, "priority": 3, "status": "open"}
NULLS = ["estimate", "due", "remind_at", "tags", "contact", "link", "slug", "notes"]


def _created(name: str, body: dict[str, Any], record: dict[str, Any], columns: dict[str, Any]) -> Scenario:
    """``body`` creates a record containing ``record``, stored with the ``columns`` values."""
    return Scenario(
        name, "POST", "/api/todos", json=body, status=201, expect=record, stored=[Row("todos", columns)]
    )


# Stored values are compared with the row locally and with the record read back remotely, so a
# JSON column's text is pinned by test_create_stores_json_as_compact_text, which is local only.
VALID = [
    _created(
        "text-only",
        {"title": "a"},
        {"title": "a", **DEFAULTS, **dict.fromkeys(NULLS)},
        {"title": "a", "done": 0, "priority": 3, "status": "open", "notes": None},
    ),
    _created("bool-true", {"title": "a", "done": True}, {"done": True}, {"done": 1}),
    _created("bool-false", {"title": "a", "done": False}, {"done": False}, {"done": 0}),
    _created("int-min", {"title": "a", "priority": 1}, {"priority": 1}, {"priority": 1}),
    _created("int-max", {"title": "a", "priority": 5}, {"priority": 5}, {"priority": 5}),
    _created("float-from-int", {"title": "a", "estimate": 2}, {"estimate": 2.0}, {"estimate": 2.0}),
    _created("float-fraction", {"title": "a", "estimate": 0.25}, {"estimate": 0.25}, {"estimate": 0.25}),
    _created("float-zero", {"title": "a", "estimate": 0}, {"estimate": 0.0}, {"estimate": 0.0}),
    _created("date", {"title": "a", "due": "2030-02-28"}, {"due": "2030-02-28"}, {"due": "2030-02-28"}),
    _created(
        "date-leap-day", {"title": "a", "due": "2028-02-29"}, {"due": "2028-02-29"}, {"due": "2028-02-29"}
    ),
    _created(
        "datetime-z",
        {"title": "a", "remind_at": "2030-01-01T10:00:00Z"},
        {"remind_at": "2030-01-01T10:00:00.000Z"},
        {"remind_at": "2030-01-01T10:00:00.000Z"},
    ),
    _created(
        "datetime-offset-to-utc",
        {"title": "a", "remind_at": "2030-01-01T10:00:00+02:00"},
        {"remind_at": "2030-01-01T08:00:00.000Z"},
        {"remind_at": "2030-01-01T08:00:00.000Z"},
    ),
    _created(
        "datetime-millis",
        {"title": "a", "remind_at": "2030-01-01T10:00:00.123456Z"},
        {"remind_at": "2030-01-01T10:00:00.123Z"},
        {"remind_at": "2030-01-01T10:00:00.123Z"},
    ),
    _created("enum", {"title": "a", "status": "doing"}, {"status": "doing"}, {"status": "doing"}),
    _created("json-list", {"title": "a", "tags": ["x", 1, None]}, {"tags": ["x", 1, None]}, {"title": "a"}),
    _created(
        "json-object", {"title": "a", "tags": {"k": {"n": [1]}}}, {"tags": {"k": {"n": [1]}}}, {"title": "a"}
    ),
    _created("json-scalar", {"title": "a", "tags": "solo"}, {"tags": "solo"}, {"title": "a"}),
    _created("json-false-not-null", {"title": "a", "tags": False}, {"tags": False}, {"title": "a"}),
    _created(
        "email",
        {"title": "a", "contact": "ann@example.org"},
        {"contact": "ann@example.org"},
        {"contact": "ann@example.org"},
    ),
    _created(
        "url",
        {"title": "a", "link": "https://example.com/a?b=c"},
        {"link": "https://example.com/a?b=c"},
        {"link": "https://example.com/a?b=c"},
    ),
    _created("pattern", {"title": "a", "slug": "{slug}"}, {"slug": "{slug}"}, {"slug": "{slug}"}),
    _created("unicode-text", {"title": "café ☕ 日本"}, {"title": "café ☕ 日本"}, {"title": "café ☕ 日本"}),
    _created("explicit-null-optional", {"title": "a", "notes": None}, {"notes": None}, {"notes": None}),
    _created(
        "null-replaces-default", {"title": "a", "priority": None}, {"priority": None}, {"priority": None}
    ),
    _created(
        "max-length-exact",
        {"title": "x" * 200},
        {"title": "x" * 200},
        {"title": "x" * 200},
    ),
]


@pytest.mark.parametrize("scenario", VALID, ids=str)
def test_create_valid_record_returns_and_stores_it(todo_app: TestApp, scenario: Scenario) -> None:
    run(todo_app, scenario.format(slug=unique_id("s").lower()))


def test_create_ignores_read_only_fields(todo_app: TestApp, stored: Any) -> None:
    response = todo_app.post(
        "/api/todos", json={"title": "a", "id": 987654321, "created_at": "1999-01-01T00:00:00Z"}
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["id"] != 987654321
    assert record["created_at"] == record["updated_at"]  # the server's clock, not the body
    assert record["created_at"] > "2020"
    row = stored(todo_app, "todos", record["id"])
    assert row["created_at"] == record["created_at"]
    assert stored(todo_app, "todos", 987654321) is None


@pytest.mark.local_only("reads the JSON column's text in the database")
@pytest.mark.parametrize(
    ("tags", "text"),
    [
        (["x", 1, None], '["x",1,null]'),
        ("solo", '"solo"'),
        (False, "false"),
        ({"k": {"n": [1]}}, '{"k":{"n":[1]}}'),
    ],
    ids=["list", "scalar", "false", "object"],
)
def test_create_stores_json_as_compact_text(todo_app: TestApp, tags: Any, text: str) -> None:
    record = todo_app.post("/api/todos", json={"title": "a", "tags": tags}).json()
    assert todo_app.db["todos"].get(record["id"])["tags"] == text


def test_create_returns_every_field_in_declared_order(todo_app: TestApp) -> None:
    record = todo_app.post("/api/todos", json={"title": "a"}).json()
    assert list(record) == [
        "id", "title", "done", "priority", "estimate", "due", "remind_at", "status",
        "tags", "contact", "link", "slug", "notes", "created_at", "updated_at",
    ]  # fmt: skip


def test_create_sets_location_and_etag_matching_get(todo_app: TestApp) -> None:
    created = todo_app.post("/api/todos", json={"title": "a"})
    assert created.headers["location"] == f"/api/todos/{created.json()['id']}"
    fetched = todo_app.get(created.headers["location"])
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]
    assert created.headers["etag"].startswith('"')


def test_create_timestamps_come_from_the_app_clock(todo_app: TestApp) -> None:
    todo_app.clock.set("2031-06-15T12:30:00Z")
    record = todo_app.post("/api/todos", json={"title": "a"}).json()
    assert record["created_at"] == record["updated_at"] == "2031-06-15T12:30:00.000Z"
    assert todo_app.db["todos"].get(record["id"])["created_at"] == "2031-06-15T12:30:00.000Z"


@pytest.mark.local_only("numbers the ids of a fresh database")
def test_create_in_a_fresh_app_starts_ids_at_one(todo_app: TestApp) -> None:
    assert todo_app.db["todos"].count == 0
    assert todo_app.post("/api/todos", json={"title": "first"}).json()["id"] == 1


def test_create_ids_increase_and_are_numbers(todo_app: TestApp) -> None:
    ids = [todo_app.post("/api/todos", json={"title": str(n)}).json()["id"] for n in range(3)]
    assert all(type(i) is int for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == 3


def test_create_in_custom_plural_collection(todo_app: TestApp, stored: Any) -> None:
    label = unique_id("home")
    response = todo_app.post("/api/categories", json={"label": label})
    assert response.status_code == 201
    assert response.headers["location"] == f"/api/categories/{response.json()['id']}"
    assert stored(todo_app, "categories", response.json()["id"])["label"] == label


def test_create_applies_non_null_default_of_other_entity(todo_app: TestApp, stored: Any) -> None:
    record = todo_app.post("/api/projects", json={"name": unique_id("Garden")}).json()
    assert record["color"] == "#336699"
    assert stored(todo_app, "projects", record["id"])["color"] == "#336699"


def test_create_accepts_json_content_type_with_charset(todo_app: TestApp, count: Any) -> None:
    title = unique_id("charset")
    response = todo_app.post(
        "/api/todos",
        content=f'{{"title": "{title}"}}'.encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201
    assert count(todo_app, "todos", title=title) == 1
