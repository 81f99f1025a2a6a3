"""Table-driven API tests: a :class:`Scenario` is one row, :func:`run` checks it against an app.

::

    SCENARIOS = [
        Scenario("create", "POST", "/api/todos", json={"title": "a"}, status=201, expect={"title": "a"},
                 stored=[Stored("todos", {"title": "a"}, 1)]),
        Scenario("missing title", "POST", "/api/todos", json={"notes": "x"}, status=422,
                 error="validation_failed", fields={"title": "is required"},
                 stored=[Stored("todos", {"notes": "x"}, 0)]),
        Scenario("admins only", "POST", "/api/announcements", json={"title": "t"},
                 user="ann@example.com", status=403, error="forbidden"),
        Scenario("options", "OPTIONS", "/api/todos", status=204, expect=b"",
                 expect_headers={"allow": "GET, HEAD, OPTIONS, POST"}),
        Scenario("pattern", "POST", "/api/todos", json={"title": "a", "slug": "{slug}"}, status=201,
                 stored=[Row("todos", {"slug": "{slug}"})]),  # run(app, scenario.format(slug=...))
    ]

    @pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
    def test_todos(app, scenario):
        run(app, scenario)

:func:`assert_error` locks the shape of kiln's error envelope in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from harness.app import TestApp

__all__ = ["Row", "Scenario", "Stored", "assert_error", "assert_subset", "run"]

_UNSET: Any = object()
_ENVELOPE_KEYS = {"status", "code", "message", "fields", "request_id"}


@dataclass(frozen=True)
class Stored:
    """After the request, ``table`` holds exactly ``count`` rows with all the ``where`` values.

    Locally the app's database is counted; remotely, a kiln collection's list filtered by the
    same values (``GET /api/<table>?...``), as the scenario's caller sees it.
    """

    table: str
    where: Mapping[str, Any]
    count: int


@dataclass(frozen=True)
class Row:
    """After the request, the row of ``table`` whose id is the response body's ``id`` holds ``values``.

    Locally the row is read from the app's database, so the values are the columns as SQLite
    holds them (a bool is 0 or 1); remotely it is ``GET /api/<table>/<id>``, compared with
    ``==`` (so ``0`` there matches ``false``).
    """

    table: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Scenario:
    """One request and what must come back, and what must be stored afterwards.

    ``expect`` is a JSON subset the body must contain (see :func:`assert_subset`), or ``bytes``
    the body must equal; ``absent`` names top-level keys the body must not have, and
    ``expect_headers`` response headers with their exact values. For errors, ``error`` is the
    envelope's code, ``fields`` its per-field messages and ``message`` its message (both compared
    exactly). ``user`` sends the request signed in as that email, with ``roles`` and
    ``verified`` (:meth:`TestApp.as_user`); ``stored`` lists the rows (:class:`Stored`,
    :class:`Row`) that must be there after it, so a refused request is seen to change nothing.
    """

    name: str
    method: str
    path: str
    json: Any = _UNSET
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    expect: Any = _UNSET
    absent: tuple[str, ...] = ()
    expect_headers: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    fields: Mapping[str, str] | None = None
    message: str | None = None
    user: str | None = None
    roles: tuple[str, ...] = ()
    verified: bool = True
    stored: tuple[Stored | Row, ...] | list[Stored | Row] = ()

    def __str__(self) -> str:
        return self.name

    def format(self, **values: Any) -> Scenario:
        """A copy with each ``{name}`` in its strings replaced by ``values[name]``.

        For rows that need what only the test knows, such as the ids its fixtures created: the
        path, the body, the headers, the user, the expectations and the stored rows are filled;
        other braces are kept. In the body, ``expect`` and ``stored``, a string that is one whole
        placeholder becomes the value itself, so ``{"author_id": "{author}"}`` formatted with
        ``author=7`` sends the number 7.
        """

        def text(value: str) -> str:
            for name, replacement in values.items():
                value = value.replace("{" + name + "}", str(replacement))
            return value

        def fill(value: Any) -> Any:
            if isinstance(value, str):
                whole = value.startswith("{") and value.endswith("}") and value[1:-1] in values
                return values[value[1:-1]] if whole else text(value)
            if isinstance(value, Mapping):
                return {text(key) if isinstance(key, str) else key: fill(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return type(value)(fill(item) for item in value)
            if isinstance(value, Stored | Row):
                return replace(
                    value, **{f.name: fill(getattr(value, f.name)) for f in dataclass_fields(value)}
                )
            return value

        def texts(mapping: Mapping[str, str]) -> dict[str, str]:
            return {text(key): text(item) for key, item in mapping.items()}

        return replace(
            self,
            path=text(self.path),
            json=fill(self.json),
            headers=texts(self.headers),
            expect=fill(self.expect),
            expect_headers=texts(self.expect_headers),
            fields=None if self.fields is None else texts(self.fields),
            message=None if self.message is None else text(self.message),
            user=None if self.user is None else text(self.user),
            stored=fill(self.stored),
        )


def run(app: TestApp, scenario: Scenario) -> httpx.Response:
    """Send the scenario's request, check the answer and the stored rows; returns the response."""
    kwargs: dict[str, Any] = {"headers": dict(scenario.headers)}
    if scenario.json is not _UNSET:
        kwargs["json"] = scenario.json
    if scenario.content is not None:
        kwargs["content"] = scenario.content
    client: TestApp | httpx.Client = (
        app
        if scenario.user is None
        else app.as_user(scenario.user, roles=scenario.roles, verified=scenario.verified)
    )
    response = client.request(scenario.method, scenario.path, **kwargs)
    if scenario.error is not None:
        error = assert_error(response, scenario.status, scenario.error, scenario.fields)
        if scenario.message is not None:
            assert error["message"] == scenario.message, (
                f"{scenario.name}: expected message {scenario.message!r}, got {error['message']!r}"
            )
    else:
        assert scenario.message is None, f"{scenario.name}: a message is checked only with an error code"
        assert response.status_code == scenario.status, (
            f"{scenario.name}: expected {scenario.status}, got {response.status_code}: {response.text[:500]}"
        )
    for name, value in scenario.expect_headers.items():
        assert response.headers.get(name) == value, (
            f"{scenario.name}: expected header {name}: {value!r}, got {response.headers.get(name)!r}"
        )
    if isinstance(scenario.expect, bytes):
        assert response.content == scenario.expect, (
            f"{scenario.name}: expected body {scenario.expect[:200]!r}, got {response.content[:200]!r}"
        )
    elif scenario.expect is not _UNSET or scenario.absent:
        body = response.json()
        if scenario.expect is not _UNSET:
            assert_subset(body, scenario.expect, path=scenario.name)
        for key in scenario.absent:
            assert key not in body, f"{scenario.name}: {key!r} should not be in {body}"
    for expected in scenario.stored:
        if isinstance(expected, Row):
            _check_row(app, client, response, expected, scenario.name)
            continue
        found = _count(app, client, expected)
        assert found == expected.count, (
            f"{scenario.name}: expected {expected.count} rows of {expected.table} with "
            f"{dict(expected.where)}, found {found}"
        )
    return response


def _check_row(
    app: TestApp, client: TestApp | httpx.Client, response: httpx.Response, expected: Row, name: str
) -> None:
    record_id = response.json()["id"]
    if app.remote:
        read = client.get(f"/api/{expected.table}/{record_id}")
        assert read.status_code == 200, f"{name}: reading {expected.table} {record_id}: {read.text[:300]}"
        row: dict[str, Any] | None = read.json()
    else:
        rows = list(app.db[expected.table].rows_where("id = ?", [record_id]))
        row = rows[0] if rows else None
    assert row is not None, f"{name}: no row of {expected.table} has id {record_id}"
    for column, value in expected.values.items():
        assert column in row, f"{name}: {expected.table} has no column {column!r}"
        assert row[column] == value, (
            f"{name}: {expected.table} {record_id}.{column} is {row[column]!r}, expected {value!r}"
        )


def _count(app: TestApp, client: TestApp | httpx.Client, stored: Stored) -> int:
    if app.remote:
        params = {name: _query_value(value) for name, value in stored.where.items()}
        listed = client.get(f"/api/{stored.table}", params={**params, "per_page": 1})
        assert listed.status_code == 200, f"counting {stored.table} remotely: {listed.text[:300]}"
        return int(listed.json()["total"])
    where = " AND ".join(f'"{name}" IS ?' for name in stored.where) or "1"
    return int(app.db[stored.table].count_where(where, list(stored.where.values())))


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_subset(actual: Any, expected: Any, path: str = "body") -> None:
    """``expected`` is contained in ``actual``: dicts by the keys ``expected`` names, lists item by
    item with equal lengths, anything else by equality (with ``True`` never equal to ``1``)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}: missing key {key!r} in {actual!r}"
            assert_subset(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), (
            f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r}"
        )
        for index, (item, want) in enumerate(zip(actual, expected, strict=True)):
            assert_subset(item, want, f"{path}[{index}]")
    else:
        want, got = f"{expected!r} ({type(expected).__name__})", f"{actual!r} ({type(actual).__name__})"
        assert type(actual) is type(expected), f"{path}: expected {want}, got {got}"
        assert actual == expected, f"{path}: expected {want}, got {got}"


def assert_error(
    response: httpx.Response, status: int, code: str, fields: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The response is kiln's error envelope with this status and code; returns the ``error`` object.

    Checks the whole shape: exactly ``status``, ``code``, ``message``, ``fields`` and
    ``request_id``, the request id equal to the ``X-Request-Id`` header, and ``fields`` equal to
    the given ones when given.
    """
    assert response.status_code == status, (
        f"expected {status} {code}, got {response.status_code}: {response.text[:500]}"
    )
    body = response.json()
    assert set(body) == {"error"}, f"not an error envelope: {body!r}"
    error: dict[str, Any] = body["error"]
    assert set(error) == _ENVELOPE_KEYS, f"envelope keys {sorted(error)} != {sorted(_ENVELOPE_KEYS)}"
    assert error["status"] == status
    assert error["code"] == code, f"expected code {code!r}, got {error['code']!r}: {error['message']}"
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    assert error["request_id"] == response.headers.get("x-request-id"), "request_id must equal X-Request-Id"
    if fields is not None:
        assert error["fields"] == dict(fields), f"fields {error['fields']!r} != {dict(fields)!r}"
    return error
