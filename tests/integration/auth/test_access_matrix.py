"""The access matrix: every entity operation and route of auth-app by anonymous, user, other user, admin.

Rows are generated from the manifest, so adding a route or an operation to the fixture adds its
rows. Each row expects exactly the status the guards imply, and checks that the data changed
only when the request was allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln import compile_app
from kiln.auth.guards import needs_user
from kiln.manifest.guards import OPERATIONS
from kiln.manifest.model import Entity

pytestmark = pytest.mark.local_only
FIXTURE = Path(__file__).parents[2] / "fixtures" / "auth-app"
MANIFEST = compile_app(FIXTURE).manifest
PERSONAS = ("anonymous", "user", "other", "admin")
SUCCESS = {"list": 200, "read": 200, "create": 201, "update": 200, "delete": 200}
BODIES = {"Note": {"text": "t"}, "Announcement": {"title": "t"}, "Secret": {"text": "t"}}


def expected_status(guards: tuple[str, ...], persona: str, owner_checked: bool, success: int) -> int:
    """What the guards imply: 401 before any 403, then roles and ownership. No role bypasses a guard."""
    if persona == "anonymous" and needs_user(guards):
        return 401
    for guard in guards:
        if guard.startswith("role:") and not (persona == "admin" and guard == "role:admin"):
            return 403
        if guard == "owner" and owner_checked and persona != "user":
            return 403
    return success


def _entity_rows() -> list[Any]:
    rows = []
    for entity in MANIFEST.entities.values():
        if entity.name == "User":
            continue
        for operation in OPERATIONS:
            for persona in PERSONAS:
                rows.append(
                    pytest.param(entity.name, operation, persona, id=f"{entity.name}-{operation}-{persona}")
                )
    return rows


def _route_rows() -> list[Any]:
    return [
        pytest.param(route.path, method, persona, id=f"{route.path}-{method}-{persona}")
        for route in MANIFEST.routes
        for method in route.methods
        for persona in PERSONAS
    ]


def _clients(app: TestApp) -> dict[str, Any]:
    app.clock.set("2030-01-07T10:00:00Z")  # a Monday, inside office hours
    return {
        "anonymous": app.client,
        "user": app.as_user("user@example.com"),
        "other": app.as_user("other@example.com"),
        "admin": app.as_user("admin@example.com", roles=["admin"]),
    }


def _seed(app: TestApp, entity: Entity, owner_id: int) -> int:
    row = {
        "created_at": "2030-01-01T00:00:00.000Z",
        "updated_at": "2030-01-01T00:00:00.000Z",
        **BODIES[entity.name],
    }
    if entity.owner:
        row[entity.owner] = owner_id
    return int(app.db[entity.table].insert(row).last_pk)


@pytest.mark.parametrize(("name", "operation", "persona"), _entity_rows())
def test_collection_access(test_app: Any, name: str, operation: str, persona: str) -> None:
    app = test_app("auth-app")
    clients = _clients(app)
    entity = MANIFEST.entities[name]
    record_id = _seed(app, entity, clients["user"].user["id"])
    guards = entity.guards(operation)
    want = expected_status(
        guards, persona, owner_checked=operation in ("read", "update", "delete"), success=SUCCESS[operation]
    )
    client = clients[persona]
    path = f"{entity.path}/{record_id}"
    response = {
        "list": lambda: client.get(entity.path),
        "read": lambda: client.get(path),
        "create": lambda: client.post(entity.path, json=BODIES[name]),
        "update": lambda: client.patch(path, json=BODIES[name] | {next(iter(BODIES[name])): "changed"}),
        "delete": lambda: client.delete(path),
    }[operation]()
    assert response.status_code == want, response.text
    field = next(iter(BODIES[name]))
    stored = list(app.db[entity.table].rows)
    allowed = want < 400
    if operation == "create":
        assert len(stored) == (2 if allowed else 1)
    elif operation == "update":
        assert stored[0][field] == ("changed" if allowed else "t")
    elif operation == "delete":
        assert len(stored) == (0 if allowed else 1)
    elif operation == "list" and allowed:
        owned_only = "owner" in guards and persona != "user"
        assert response.json()["total"] == (0 if owned_only else 1)


@pytest.mark.parametrize(("path", "method", "persona"), _route_rows())
def test_route_access(test_app: Any, path: str, method: str, persona: str) -> None:
    app = test_app("auth-app")
    clients = _clients(app)
    route = next(r for r in MANIFEST.routes if r.path == path and method in r.methods)
    want = expected_status(route.guards, persona, owner_checked=False, success=200)
    response = clients[persona].request(method, path)
    assert response.status_code == want, response.text
    if want == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
