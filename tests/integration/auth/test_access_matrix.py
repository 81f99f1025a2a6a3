"""The access matrix: every entity operation and route of auth-app by anonymous, user, other user, admin.

Each row spells out the status the manifest's guards must give, written by hand from
tests/fixtures/auth-app/app.toml, never computed with kiln's own guard code. A test checks that
the matrix covers every operation and route the manifest declares, so adding one to the fixture
fails until its row is written. Entity rows also check that the data changed only when the
request was allowed.

Personas: ``user`` owns the seeded note; ``other`` is a second verified user; ``admin`` has the
admin role. Nobody has the moderator role.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from harness import Scenario, Stored, TestApp, run, unique_id
from kiln import compile_app

FIXTURE = Path(__file__).parents[2] / "fixtures" / "auth-app"
PERSONAS = ("anonymous", "user", "other", "admin")
BODIES = {"Note": {"text": "t"}, "Announcement": {"title": "t"}, "Secret": {"text": "t"}}
PATHS = {"Note": "/api/notes", "Announcement": "/api/announcements", "Secret": "/api/secrets"}

# (entity, operation): statuses for anonymous, user, other, admin
ENTITY_STATUSES: dict[tuple[str, str], tuple[int, int, int, int]] = {
    # owner = author_id; list, read, update, delete = "owner"; create = "auth"
    ("Note", "list"): (401, 200, 200, 200),  # other and admin see an empty list
    ("Note", "read"): (401, 200, 403, 403),
    ("Note", "create"): (401, 201, 201, 201),
    ("Note", "update"): (401, 200, 403, 403),
    ("Note", "delete"): (401, 200, 403, 403),
    ("Note", "find"): (401, 200, 200, 200),  # GET /api/notes/search, as list: only the owner finds
    # list and read public; create ["role:admin", "auth"]; update ["auth", "role:admin"]; delete "role:admin"
    ("Announcement", "list"): (200, 200, 200, 200),
    ("Announcement", "read"): (200, 200, 200, 200),
    ("Announcement", "create"): (401, 403, 403, 201),  # 401 although role:admin is written first
    ("Announcement", "update"): (401, 403, 403, 200),
    ("Announcement", "delete"): (401, 403, 403, 200),
    # list, read, update "verified"; create ["auth", "verified"]; delete ["verified", "role:admin"]
    ("Secret", "list"): (401, 200, 200, 200),
    ("Secret", "read"): (401, 200, 200, 200),
    ("Secret", "create"): (401, 201, 201, 201),
    ("Secret", "update"): (401, 200, 200, 200),
    ("Secret", "delete"): (401, 403, 403, 200),
}

# (path, method): statuses for anonymous, user, other, admin; the clock is inside office hours
ROUTE_STATUSES: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("/whoami", "GET"): (200, 200, 200, 200),
    ("/profile", "GET"): (200, 200, 200, 200),
    ("/members", "GET"): (401, 200, 200, 200),
    ("/api/admin/stats", "GET"): (401, 403, 403, 200),
    ("/api/moderation", "POST"): (401, 403, 403, 403),  # nobody is a moderator
    ("/api/office-hours", "GET"): (200, 200, 200, 200),  # a handler guard needs no user
    ("/api/backstage", "GET"): (403, 403, 403, 403),  # nobody sends the X-Pass header here
}

# What a list shows each persona of the one seeded record.
LIST_TOTALS = {"Note": (None, 1, 0, 0), "Announcement": (1, 1, 1, 1), "Secret": (None, 1, 1, 1)}


def test_matrix_covers_every_operation_and_route_of_the_manifest() -> None:
    manifest = compile_app(FIXTURE).manifest
    entities = {name for name in manifest.entities if name != "User"}
    operations = {"list", "read", "create", "update", "delete"}
    searched = {name for name in entities if any(f.search for f in manifest.entities[name].fields.values())}
    assert set(ENTITY_STATUSES) == {
        *((name, op) for name in entities for op in operations),
        *((name, "find") for name in searched),  # "find": -k search must select only its category
    }
    assert set(ROUTE_STATUSES) == {
        (route.path, method) for route in manifest.routes for method in route.methods
    }


@pytest.fixture
def emails() -> dict[str, str]:
    """Addresses of this test's own: a shared remote server keeps every user it was given."""
    return {persona: f"{unique_id(persona)}@example.com" for persona in PERSONAS[1:]}


def _seed(app: TestApp, entity: str, emails: dict[str, str]) -> int:
    """One record of ``entity``, written straight into the database (the note owned by ``user``).

    ``user`` is always signed up, so that it owns the seeded note; signing users in is local
    only, since auth-app verifies emails.
    """
    table = app.db[PATHS[entity].removeprefix("/api/")]  # local only: the record is written directly
    row: dict[str, Any] = {
        "created_at": "2030-01-01T00:00:00.000Z",
        "updated_at": "2030-01-01T00:00:00.000Z",
        **BODIES[entity],
    }
    owner = app.as_user(emails["user"]).user["id"]
    if entity == "Note":
        row["author_id"] = owner
    return int(table.insert(row).last_pk)


ERRORS = {401: "unauthorized", 403: "forbidden"}


def _asking(name: str, method: str, path: str, persona: str, status: int, **rest: Any) -> Scenario:
    """The request sent as ``persona``, whose email the test fills in as ``{<persona>}``."""
    return Scenario(
        name,
        method,
        path,
        status=status,
        error=ERRORS.get(status),
        user=None if persona == "anonymous" else "{" + persona + "}",
        roles=("admin",) if persona == "admin" else (),
        **rest,
    )


def _entity_cell(entity: str, operation: str, persona: str, status: int) -> Scenario:
    """One cell of ENTITY_STATUSES: the request, and the rows of the table afterwards.

    The table holds only the seeded record ``{id}``, whose first field is ``"t"``: a refused
    request must leave exactly that, and an allowed one makes exactly its own change.
    """
    collection, item = PATHS[entity], f"{PATHS[entity]}/{{id}}"
    table = collection.removeprefix("/api/")
    field = next(iter(BODIES[entity]))
    allowed = status < 400
    unchanged = [Stored(table, {}, 1), Stored(table, {field: "t"}, 1)]
    method, path, rest = {
        "list": ("GET", collection, {"stored": unchanged}),
        "find": ("GET", f"{collection}/search?q=t", {"stored": unchanged}),
        "read": ("GET", item, {"stored": unchanged}),
        "create": ("POST", collection, {"json": BODIES[entity], "stored": [Stored(table, {}, 1 + allowed)]}),
        "update": (
            "PATCH",
            item,
            {"json": {field: "changed"}, "stored": [Stored(table, {field: "changed"}, int(allowed))]},
        ),
        "delete": ("DELETE", item, {"stored": [Stored(table, {}, int(not allowed))]}),
    }[operation]
    if allowed and operation in ("list", "find"):
        rest["expect"] = {"total": LIST_TOTALS[entity][PERSONAS.index(persona)]}
    elif allowed and operation == "read":
        rest["expect"] = {"id": "{id}", field: "t"}
    elif allowed and operation in ("create", "update"):
        rest["expect"] = {field: rest["json"][field]}
    return _asking(f"{entity}-{operation}-{persona}", method, path, persona, status, **rest)


PAGES = {"/profile", "/members"}  # template routes: a refusal is an HTML page, not JSON


def _route_cell(path: str, method: str, persona: str, status: int) -> Scenario:
    """One cell of ROUTE_STATUSES."""
    cell = _asking(f"{path}-{method}-{persona}", method, path, persona, status)
    if path in PAGES:
        return dataclasses.replace(
            cell, error=None, expect_headers={"content-type": "text/html; charset=utf-8"}
        )
    return cell


def _cells(table: dict[tuple[str, str], tuple[int, int, int, int]], cell: Any) -> list[Scenario]:
    """One scenario per key and persona."""
    return [
        cell(*key, persona, status)
        for key, statuses in table.items()
        for persona, status in zip(PERSONAS, statuses, strict=True)
    ]


@pytest.mark.parametrize("scenario", _cells(ENTITY_STATUSES, _entity_cell), ids=str)
def test_collection_access(test_app: Any, emails: dict[str, str], scenario: Scenario) -> None:
    app = test_app("auth-app")
    entity = scenario.name.split("-")[0]
    if app.remote and scenario.user is None and scenario.status == 401:
        # Nothing can be seeded remotely (auth-app's users verify their email first), but a 401
        # comes before any lookup (pinned below), so a record that does not exist is refused the
        # same way. What the refused request left in the database is checked locally.
        cell = dataclasses.replace(scenario.format(id=987654321), stored=())
    else:
        cell = scenario.format(id=_seed(app, entity, emails), **emails)
    response = run(app, cell)
    if scenario.status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("entity", sorted(PATHS))
def test_anonymous_is_refused_before_the_record_is_looked_up(test_app: Any, entity: str) -> None:
    app = test_app("auth-app")
    refused = [op for op in ("read", "update", "delete") if ENTITY_STATUSES[(entity, op)][0] == 401]
    assert refused  # every entity refuses anonymous callers something
    for operation in refused:
        method = {"read": "GET", "update": "PATCH", "delete": "DELETE"}[operation]
        response = app.client.request(method, f"{PATHS[entity]}/987654321", json=BODIES[entity])
        assert response.status_code == 401, (operation, response.text)  # not 404: who asks comes first


@pytest.mark.parametrize("scenario", _cells(ROUTE_STATUSES, _route_cell), ids=str)
def test_route_access(test_app: Any, emails: dict[str, str], scenario: Scenario) -> None:
    app = test_app("auth-app")
    if scenario.path == "/api/office-hours":
        app.clock.set("2030-01-07T10:00:00Z")  # a Monday, inside office hours (local: moves the clock)
    response = run(app, scenario.format(**emails))
    if scenario.status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
