"""POST /api/<plural>: 201, the record with exact JSON types, Location, ETag, and the stored row."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_subset

NOW = "2030-01-01T00:00:00.000Z"  # where the entity fixture (conftest.py) freezes the clock

DEFAULTS = {"done": False, "priority": 3, "status": "open"}
NULLS = ["estimate", "due", "remind_at", "tags", "contact", "link", "slug", "notes"]

# (id, request body, expected record subset, expected stored column values)
VALID: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "text-only",
        {"title": "a"},
        {"title": "a", **DEFAULTS, **dict.fromkeys(NULLS)},
        {"title": "a", "done": 0},
    ),
    ("bool-true", {"title": "a", "done": True}, {"done": True}, {"done": 1}),
    ("bool-false", {"title": "a", "done": False}, {"done": False}, {"done": 0}),
    ("int-min", {"title": "a", "priority": 1}, {"priority": 1}, {"priority": 1}),
    ("int-max", {"title": "a", "priority": 5}, {"priority": 5}, {"priority": 5}),
    ("float-from-int", {"title": "a", "estimate": 2}, {"estimate": 2.0}, {"estimate": 2.0}),
    ("float-fraction", {"title": "a", "estimate": 0.25}, {"estimate": 0.25}, {"estimate": 0.25}),
    ("float-zero", {"title": "a", "estimate": 0}, {"estimate": 0.0}, {"estimate": 0.0}),
    ("date", {"title": "a", "due": "2030-02-28"}, {"due": "2030-02-28"}, {"due": "2030-02-28"}),
    ("date-leap-day", {"title": "a", "due": "2028-02-29"}, {"due": "2028-02-29"}, {"due": "2028-02-29"}),
    (
        "datetime-z",
        {"title": "a", "remind_at": "2030-01-01T10:00:00Z"},
        {"remind_at": "2030-01-01T10:00:00.000Z"},
        {"remind_at": "2030-01-01T10:00:00.000Z"},
    ),
    (
        "datetime-offset-to-utc",
        {"title": "a", "remind_at": "2030-01-01T10:00:00+02:00"},
        {"remind_at": "2030-01-01T08:00:00.000Z"},
        {"remind_at": "2030-01-01T08:00:00.000Z"},
    ),
    (
        "datetime-millis",
        {"title": "a", "remind_at": "2030-01-01T10:00:00.123456Z"},
        {"remind_at": "2030-01-01T10:00:00.123Z"},
        {},
    ),
    ("enum", {"title": "a", "status": "doing"}, {"status": "doing"}, {"status": "doing"}),
    ("json-list", {"title": "a", "tags": ["x", 1, None]}, {"tags": ["x", 1, None]}, {"tags": '["x",1,null]'}),
    ("json-object", {"title": "a", "tags": {"k": {"n": [1]}}}, {"tags": {"k": {"n": [1]}}}, {}),
    ("json-scalar", {"title": "a", "tags": "solo"}, {"tags": "solo"}, {"tags": '"solo"'}),
    ("json-false-not-null", {"title": "a", "tags": False}, {"tags": False}, {"tags": "false"}),
    ("email", {"title": "a", "contact": "ann@example.org"}, {"contact": "ann@example.org"}, {}),
    ("url", {"title": "a", "link": "https://example.com/a?b=c"}, {"link": "https://example.com/a?b=c"}, {}),
    ("pattern", {"title": "a", "slug": "a-b-1"}, {"slug": "a-b-1"}, {"slug": "a-b-1"}),
    ("unicode-text", {"title": "café ☕ 日本"}, {"title": "café ☕ 日本"}, {"title": "café ☕ 日本"}),
    ("explicit-null-optional", {"title": "a", "notes": None}, {"notes": None}, {"notes": None}),
    ("null-replaces-default", {"title": "a", "priority": None}, {"priority": None}, {"priority": None}),
    ("max-length-exact", {"title": "x" * 200}, {"title": "x" * 200}, {}),
    (
        "read-only-fields-ignored",
        {"title": "a", "id": 99, "created_at": "1999-01-01T00:00:00Z"},
        {"id": 1, "created_at": NOW},
        {"id": 1},
    ),
]


@pytest.mark.parametrize(
    ("body", "expected", "stored"), [row[1:] for row in VALID], ids=[row[0] for row in VALID]
)
def test_create_valid_record_returns_and_stores_it(
    app: TestApp, body: dict[str, Any], expected: dict[str, Any], stored: dict[str, Any]
) -> None:
    response = app.post("/api/todos", json=body)
    assert response.status_code == 201, response.text
    record = response.json()
    assert_subset(record, expected)
    assert record["id"] == 1
    row = app.db["todos"].get(1)
    for column, value in stored.items():
        assert row[column] == value, (column, row)


def test_create_returns_every_field_in_declared_order(app: TestApp) -> None:
    record = app.post("/api/todos", json={"title": "a"}).json()
    assert list(record) == [
        "id", "title", "done", "priority", "estimate", "due", "remind_at", "status",
        "tags", "contact", "link", "slug", "notes", "created_at", "updated_at",
    ]  # fmt: skip


def test_create_sets_location_and_etag_matching_get(app: TestApp) -> None:
    created = app.post("/api/todos", json={"title": "a"})
    assert created.headers["location"] == "/api/todos/1"
    fetched = app.get(created.headers["location"])
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]
    assert created.headers["etag"].startswith('"')


def test_create_timestamps_come_from_the_app_clock(app: TestApp) -> None:
    app.clock.set("2031-06-15T12:30:00Z")
    record = app.post("/api/todos", json={"title": "a"}).json()
    assert record["created_at"] == record["updated_at"] == "2031-06-15T12:30:00.000Z"
    assert app.db["todos"].get(1)["created_at"] == "2031-06-15T12:30:00.000Z"


def test_create_ids_increase_and_are_numbers(app: TestApp) -> None:
    ids = [app.post("/api/todos", json={"title": str(n)}).json()["id"] for n in range(3)]
    assert ids == [1, 2, 3]
    assert all(type(i) is int for i in ids)


def test_create_in_custom_plural_collection(app: TestApp) -> None:
    response = app.post("/api/categories", json={"label": "home"})
    assert response.status_code == 201
    assert response.headers["location"] == "/api/categories/1"
    assert [row["label"] for row in app.db["categories"].rows] == ["home"]


def test_create_applies_non_null_default_of_other_entity(app: TestApp) -> None:
    record = app.post("/api/projects", json={"name": "Garden"}).json()
    assert record["color"] == "#336699"
    assert app.db["projects"].get(1)["color"] == "#336699"


def test_create_accepts_json_content_type_with_charset(app: TestApp) -> None:
    response = app.post(
        "/api/todos", content=b'{"title": "a"}', headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201
    assert app.db["todos"].count == 1
