"""Invalid bodies answer 422 naming every invalid field, and store nothing.

Each invalid body also carries a unique ``notes`` value, so "nothing was stored" is checked by
looking for it, which holds on a shared remote database too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from harness import Scenario, Stored, TestApp, assert_error, run, unique_id


def _invalid(name: str, body: dict[str, Any], fields: dict[str, str]) -> Scenario:
    """``body`` is refused with 422, naming exactly ``fields``."""
    return Scenario(
        name,
        "POST",
        "/api/todos",
        json=body,
        status=422,
        error="validation_failed",
        fields=fields,
        message="Todo is invalid",
    )


SCENARIOS = [
    _invalid("missing-required", {}, {"title": "is required"}),
    _invalid("null-required", {"title": None}, {"title": "is required"}),
    _invalid("text-not-string", {"title": 5}, {"title": "must be a string"}),
    _invalid("text-too-short", {"title": ""}, {"title": "must be at least 1 character"}),
    _invalid(
        "text-too-long",
        {"title": "x" * 201},
        {"title": "must be at most 200 characters"},
    ),
    _invalid("bool-as-int", {"title": "a", "done": 1}, {"done": "must be true or false"}),
    _invalid("bool-as-string", {"title": "a", "done": "true"}, {"done": "must be true or false"}),
    _invalid("int-as-float", {"title": "a", "priority": 2.5}, {"priority": "must be an integer"}),
    _invalid("int-as-bool", {"title": "a", "priority": True}, {"priority": "must be an integer"}),
    _invalid("int-as-string", {"title": "a", "priority": "3"}, {"priority": "must be an integer"}),
    _invalid("int-below-min", {"title": "a", "priority": 0}, {"priority": "must be at least 1"}),
    _invalid("int-above-max", {"title": "a", "priority": 6}, {"priority": "must be at most 5"}),
    _invalid(
        "int-huge",
        {"title": "a", "priority": 2**70},
        {"priority": "is out of range for a 64-bit integer"},
    ),
    _invalid("float-below-min", {"title": "a", "estimate": -0.1}, {"estimate": "must be at least 0"}),
    _invalid("float-as-string", {"title": "a", "estimate": "1.5"}, {"estimate": "must be a number"}),
    _invalid(
        "date-wrong-format", {"title": "a", "due": "05/01/2030"}, {"due": "must be a date as YYYY-MM-DD"}
    ),
    _invalid(
        "date-impossible", {"title": "a", "due": "2030-02-30"}, {"due": "must be a valid calendar date"}
    ),
    _invalid(
        "datetime-naive",
        {"title": "a", "remind_at": "2030-01-01T10:00:00"},
        {"remind_at": "must include a timezone, such as Z"},
    ),
    _invalid(
        "datetime-garbage",
        {"title": "a", "remind_at": "tomorrow"},
        {"remind_at": "must be an ISO-8601 datetime such as 2030-01-31T12:00:00Z"},
    ),
    _invalid(
        "datetime-number",
        {"title": "a", "remind_at": 1893456000},
        {"remind_at": "must be an ISO-8601 datetime string"},
    ),
    _invalid(
        "enum-unknown", {"title": "a", "status": "done"}, {"status": "must be one of open, doing, closed"}
    ),
    _invalid(
        "email-no-at", {"title": "a", "contact": "ann.example.org"}, {"contact": "must be an email address"}
    ),
    _invalid(
        "url-no-scheme", {"title": "a", "link": "example.com"}, {"link": "must be an http or https URL"}
    ),
    _invalid(
        "url-ftp", {"title": "a", "link": "ftp://example.com/x"}, {"link": "must be an http or https URL"}
    ),
    _invalid(
        "pattern-mismatch",
        {"title": "a", "slug": "Not A Slug"},
        {"slug": "must match the pattern ^[a-z0-9-]+$"},
    ),
    _invalid("unknown-field", {"title": "a", "colour": "red"}, {"colour": "is not a field of Todo"}),
    _invalid(
        "several-at-once",
        {"priority": 9, "done": "no", "due": "x", "extra": 1},
        {
            "title": "is required",
            "priority": "must be at most 5",
            "done": "must be true or false",
            "due": "must be a date as YYYY-MM-DD",
            "extra": "is not a field of Todo",
        },
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_create_invalid_body_answers_422_and_stores_nothing(todo_app: TestApp, scenario: Scenario) -> None:
    marker = unique_id("invalid")  # only this request sends it, so a stored row would show
    sent = {**scenario.json, "notes": marker}
    run(todo_app, dataclasses.replace(scenario, json=sent, stored=[Stored("todos", {"notes": marker}, 0)]))


@pytest.mark.parametrize(
    "body",
    [b"[]", b'["title"]', b'"a todo"', b"42", b"null"],
    ids=["empty-list", "list", "string", "number", "null"],
)
@pytest.mark.local_only("a body that is not an object carries no marker, so it counts the whole table")
def test_create_non_object_body_answers_422(todo_app: TestApp, body: bytes) -> None:
    response = todo_app.post("/api/todos", content=body, headers={"content-type": "application/json"})
    error = assert_error(response, 422, "validation_failed", {})
    assert error["message"] == "Todo must be a JSON object"
    assert todo_app.db["todos"].count == 0


def test_create_required_on_other_entity(todo_app: TestApp, count: Any) -> None:
    assert_error(
        todo_app.post("/api/projects", json={"color": "#000000"}),
        422,
        "validation_failed",
        {"name": "is required"},
    )
    name = unique_id("project")
    assert_error(
        todo_app.post("/api/projects", json={"name": name, "color": "red"}),
        422,
        "validation_failed",
        {"color": "must match the pattern ^#[0-9a-f]{6}$"},
    )
    assert count(todo_app, "projects", name=name) == 0
