"""The field-type table: each type's column, operators, options and conversions, written out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kiln.errors import Invalid
from kiln.fieldtypes import OPERATORS, TYPES, format_datetime
from kiln.manifest.model import Field

ORDERED = {"eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"}
TEXTLIKE = {"min_length", "max_length", "pattern", "search"}

# (type, SQLite column, operators, sortable, options beyond the common ones)
TABLE = [
    ("text", "TEXT", ORDERED | {"contains"}, True, TEXTLIKE),
    ("int", "INTEGER", ORDERED, True, {"min", "max"}),
    ("float", "REAL", ORDERED, True, {"min", "max"}),
    ("bool", "INTEGER", {"eq", "ne", "isnull"}, True, set()),
    ("date", "TEXT", ORDERED, True, set()),
    ("datetime", "TEXT", ORDERED, True, set()),
    ("json", "TEXT", {"isnull"}, False, set()),
    ("email", "TEXT", ORDERED | {"contains"}, True, TEXTLIKE),
    ("url", "TEXT", ORDERED | {"contains"}, True, TEXTLIKE),
    ("enum", "TEXT", {"eq", "ne", "in", "isnull"}, True, {"choices"}),
    ("ref", "INTEGER", {"eq", "ne", "in", "isnull"}, True, {"to", "on_delete", "related_name"}),
    ("file", "INTEGER", {"isnull"}, False, {"max_size", "accept", "thumbs"}),
]


@pytest.mark.parametrize(
    ("name", "sql", "operators", "sortable", "options"), TABLE, ids=[r[0] for r in TABLE]
)
def test_each_type_declares_its_column_operators_and_options(
    name: str, sql: str, operators: set[str], sortable: bool, options: set[str]
) -> None:
    kind = TYPES[name]
    assert (kind.name, kind.sql, set(kind.operators), kind.sortable, set(kind.options)) == (
        name,
        sql,
        operators,
        sortable,
        options,
    )
    assert set(kind.operators) <= set(OPERATORS)


def test_the_table_names_every_type_in_the_documented_order() -> None:
    assert list(TYPES) == [row[0] for row in TABLE]


# (type, JSON value, what is stored, what JSON comes back)
ROUND_TRIPS: list[tuple[str, Any, Any, Any]] = [
    ("text", "héllo", "héllo", "héllo"),
    ("int", 3.0, 3, 3),
    ("float", 2, 2.0, 2.0),
    ("bool", True, 1, True),
    ("bool", False, 0, False),
    ("date", "2030-02-28", "2030-02-28", "2030-02-28"),
    ("datetime", "2030-01-01T10:00:00+02:00", "2030-01-01T08:00:00.000Z", "2030-01-01T08:00:00.000Z"),
    ("datetime", "2030-01-01T10:00:00.123456z", "2030-01-01T10:00:00.123Z", "2030-01-01T10:00:00.123Z"),
    ("json", {"a": [1, "é"]}, '{"a":[1,"é"]}', {"a": [1, "é"]}),
    ("email", "Ann@Example.com", "Ann@Example.com", "Ann@Example.com"),
    ("url", "https://example.com/x?y=1", "https://example.com/x?y=1", "https://example.com/x?y=1"),
    ("url", "http://localhost:8000/", "http://localhost:8000/", "http://localhost:8000/"),
    ("enum", "open", "open", "open"),
    ("ref", 7, 7, 7),
    ("ref", 2**63 - 1, 2**63 - 1, 2**63 - 1),
]


@pytest.mark.parametrize(("name", "value", "stored", "back"), ROUND_TRIPS)
def test_a_value_is_stored_and_read_back(name: str, value: Any, stored: Any, back: Any) -> None:
    spec = Field("f", name, choices=("open", "closed"), to="Post")
    kind = TYPES[name]
    assert kind.coerce(value, spec) == stored
    assert type(kind.coerce(value, spec)) is type(stored)
    assert kind.to_json(stored) == back
    assert type(kind.to_json(stored)) is type(back)


# (type, JSON value, the message after the field's name)
REFUSED = [
    ("email", "a..b@example.com", "must be an email address"),
    ("email", "ann@localhost", "must be an email address"),
    ("email", "ann@[127.0.0.1]", "must be an email address"),
    ("email", "a" * 64 + "@" + "b" * 186 + ".com", "must be an email address"),  # 255 characters
    ("datetime", "0001-01-01T00:00:00+01:00", "is out of range: it must be from year 1 to 9999 in UTC"),
    ("datetime", "2030-01-01T10:00:00", "must include a timezone, such as Z"),
    ("date", "2030-2-1", "must be a date as YYYY-MM-DD"),
    ("int", 2**63, "is out of range for a 64-bit integer"),
    ("int", True, "must be an integer"),
    ("float", float("inf"), "must be a finite number"),
    ("ref", 0, "must be the id of a record (a positive integer)"),
    ("ref", 2**63, "must be the id of a record (a positive integer)"),
    ("ref", True, "must be the id of a record (a positive integer)"),
    ("enum", "done", "must be one of open, closed"),
]


@pytest.mark.parametrize(("name", "value", "message"), REFUSED)
def test_a_value_that_does_not_fit_is_refused_with_its_message(name: str, value: Any, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        TYPES[name].coerce(value, Field("f", name, choices=("open", "closed")))
    assert refused.value.message == message


# (type, query-string text, the filter value)
QUERIES: list[tuple[str, str, Any]] = [
    ("text", "any %text", "any %text"),
    ("email", "not-an-address", "not-an-address"),  # filters compare text as given
    ("int", "-5", -5),
    ("float", "1.5", 1.5),
    ("bool", "true", 1),
    ("bool", "false", 0),
    ("date", "2030-01-05", "2030-01-05"),
    ("datetime", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00.000Z"),
    ("enum", "anything", "anything"),  # no choices in filters: an unknown one matches nothing
    ("ref", "12", 12),
]


@pytest.mark.parametrize(("name", "raw", "value"), QUERIES)
def test_a_filter_value_is_read_from_the_query_string(name: str, raw: str, value: Any) -> None:
    assert TYPES[name].parse_query(raw) == value


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("int", "1.5", "must be an integer"),
        ("int", str(2**63), "is out of range for a 64-bit integer"),
        ("float", "nan", "must be a finite number"),
        ("float", "x", "must be a number"),
        ("bool", "1", "must be true or false"),
        ("json", "{}", "cannot be filtered: it is a json field"),
        ("ref", "x", "must be a record id"),
    ],
)
def test_a_bad_filter_value_is_refused(name: str, raw: str, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        TYPES[name].parse_query(raw)
    assert refused.value.message == message


def test_schemas_carry_the_bounds_the_validator_enforces() -> None:
    assert TYPES["text"].schema(Field("f", "text", min_length=1, max_length=9, pattern="^a")) == {
        "type": "string",
        "minLength": 1,
        "maxLength": 9,
        "pattern": "^a",
    }
    assert TYPES["email"].schema(Field("f", "email", max_length=400)) == {
        "type": "string",
        "format": "email",
        "maxLength": 254,
    }
    assert TYPES["url"].schema(Field("f", "url")) == {"type": "string", "pattern": r"^https?://[^/\s?#@]+"}
    assert TYPES["int"].schema(Field("f", "int", min=1)) == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
    assert TYPES["float"].schema(Field("f", "float", max=5)) == {"type": "number", "maximum": 5}
    assert TYPES["enum"].schema(Field("f", "enum", choices=("a", "b"))) == {
        "type": "string",
        "enum": ["a", "b"],
    }
    assert TYPES["json"].schema(Field("f", "json")) == {}


def test_filter_schemas_by_operator() -> None:
    priority, flag, status = (
        Field("p", "int", min=1),
        Field("d", "bool"),
        Field("s", "enum", choices=("a", "b")),
    )
    assert TYPES["int"].filter_schema(priority, "gte") == {
        "type": "integer",
        "minimum": -(2**63),
        "maximum": 2**63 - 1,
    }
    assert TYPES["int"].filter_schema(priority, "in") == {
        "type": "string",
        "pattern": "^-?[0-9]{1,18}(,-?[0-9]{1,18})*$",
    }
    assert TYPES["int"].filter_schema(priority, "isnull") == {"type": "string", "enum": ["true", "false"]}
    assert TYPES["bool"].filter_schema(flag, "eq") == {"type": "string", "enum": ["true", "false"]}
    assert TYPES["enum"].filter_schema(status, "in") == {"type": "string", "pattern": "^(a|b)(,(a|b))*$"}
    assert TYPES["text"].filter_schema(Field("t", "text", max_length=3), "contains") == {"type": "string"}
    assert TYPES["text"].filter_schema(Field("t", "text", max_length=3), "eq") == {"type": "string"}


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (datetime(746, 3, 1, 4, 5, 6, 789999, tzinfo=UTC), "0746-03-01T04:05:06.789Z"),
        (datetime(2030, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), "2029-12-31T23:00:00.000Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999Z"),
    ],
)
def test_datetimes_are_written_at_a_fixed_width_in_utc(when: datetime, text: str) -> None:
    assert format_datetime(when) == text


# (type, the text of a multipart form part, the JSON value it stands for)
FORM_VALUES: list[tuple[str, str, Any]] = [
    ("text", "", ""),
    ("text", " 42 ", " 42 "),
    ("int", "42", 42),
    ("int", "", None),
    ("float", "2.5", 2.5),
    ("float", "", None),
    ("bool", "true", True),
    ("bool", "false", False),
    ("bool", "", None),
    ("ref", "7", 7),
    ("ref", "", None),
    ("file", "9", 9),
    ("file", "", None),
    ("json", '{"a": [1, null]}', {"a": [1, None]}),
    ("json", "null", None),
    ("date", "2030-01-31", "2030-01-31"),
    ("enum", "open", "open"),
]


@pytest.mark.parametrize(
    ("name", "raw", "expected"), FORM_VALUES, ids=[f"{r[0]}-{r[1] or 'empty'}" for r in FORM_VALUES]
)
def test_a_form_part_is_read_by_its_type(name: str, raw: str, expected: Any) -> None:
    value = TYPES[name].parse_form(raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("int", "4.5", "must be an integer"),
        ("float", "many", "must be a number"),
        ("float", "inf", "must be a finite number"),
        ("bool", "yes", "must be true or false"),
        ("ref", "x", "must be a record id"),
        ("file", "x", "must be the id of an uploaded file"),
        ("json", "{", "must be JSON"),
    ],
    ids=["int", "float", "float-infinite", "bool", "ref", "file", "json"],
)
def test_a_form_part_that_is_not_of_its_type_is_invalid(name: str, raw: str, message: str) -> None:
    with pytest.raises(Invalid, match=f"^{message}$"):
        TYPES[name].parse_form(raw)


def test_a_file_field_is_selected_as_its_file_object() -> None:
    kind = TYPES["file"]
    assert kind.select('"posts"', '"cover"') == (
        "(SELECT json_object('id', f.id, 'name', f.name, 'size', f.size, 'content_type', f.content_type, "
        "'sha256', f.sha256, 'created_at', f.created_at) FROM _kiln_files AS f WHERE f.id = \"posts\".\"cover\")"
    )
    assert TYPES["text"].select('"posts"', '"title"') == '"title"'
    stored = '{"id": 3, "name": "a b.png", "size": 5, "content_type": "image/png", "sha256": "ab", "created_at": "t"}'
    assert kind.to_json(stored) == {
        "id": 3,
        "name": "a b.png",
        "size": 5,
        "content_type": "image/png",
        "sha256": "ab",
        "url": "/files/3/a%20b.png",
        "created_at": "t",
    }
    assert kind.returned_schema() == {"$ref": "#/components/schemas/File"}
    assert TYPES["int"].returned_schema() is None
