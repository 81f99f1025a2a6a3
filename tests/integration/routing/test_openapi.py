"""GET /openapi.json describes what the app serves, and matches `kiln openapi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln.cli import main

pytestmark = pytest.mark.app("todo-app")
FIXTURE = Path(__file__).parents[2] / "fixtures" / "todo-app"


def test_openapi_document_lists_collections_routes_and_error_responses(app: TestApp) -> None:
    response = app.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "todo"
    paths = doc["paths"]
    assert set(paths["/api/todos"]) == {"get", "post"}
    assert {"get", "patch", "put", "delete"} <= set(paths["/api/todos/{id}"])
    assert set(paths["/projects/{project}/todos/{todo}"]) == {"get", "put", "delete"}
    assert paths["/greet/{name}"]["get"]["responses"]["301"]["headers"]["Location"]
    schemas = doc["components"]["schemas"]
    assert schemas["Error"]["properties"]["error"]["required"] == [
        "status",
        "code",
        "message",
        "fields",
        "request_id",
    ]
    assert schemas["TodoInput"]["required"] == ["title"]
    assert schemas["TodoInput"]["properties"]["priority"] == {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": 5,
    }
    assert schemas["Todo"]["properties"]["id"] == {"type": "integer"}


def test_openapi_operation_ids_are_unique(app: TestApp) -> None:
    ids = [
        op["operationId"]
        for ops in app.get("/openapi.json").json()["paths"].values()
        for op in ops.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids))


def test_openapi_record_schema_matches_a_real_record(app: TestApp) -> None:
    schema = app.get("/openapi.json").json()["components"]["schemas"]["Todo"]
    record = app.post("/api/todos", json={"title": "a", "tags": [1]}).json()
    assert list(record) == schema["required"]
    assert set(record) == set(schema["properties"])


def test_kiln_openapi_prints_the_served_document(app: TestApp, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi", str(FIXTURE)]) == 0
    assert json.loads(capsys.readouterr().out) == app.get("/openapi.json").json()


def test_kiln_routes_prints_dispatch_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", str(FIXTURE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["METHODS", "PATH", "TARGET"]
    assert any("/greet/{name}" in line and "redirect 301 /hello/{name}" in line for line in lines)
    order = [
        next(i for i, line in enumerate(lines) if f" {p} " in line)
        for p in ("/posts/new", "/posts/{id:int}", "/posts/{slug}")
    ]
    assert order == sorted(order)


def test_kiln_routes_and_openapi_refuse_broken_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.toml").write_text("[app]\n")
    assert main(["routes", str(tmp_path)]) == 1
    assert main(["openapi", str(tmp_path)]) == 1
    assert capsys.readouterr().err.count("app.name: is required") == 2


GOLDEN = Path(__file__).parents[2] / "golden"


# ids without the sign-in category's word, which -k would select
@pytest.mark.parametrize(
    "fixture",
    ["todo-app", "blog-app", "auth-app", "file-app", "runtime-app"],
    ids=["todo", "blog", "users", "files", "jobs-and-mail"],
)
def test_openapi_document_is_the_reviewed_one(test_app: Any, fixture: str) -> None:
    """Each fixture app serves exactly its reviewed document, tests/golden/openapi-<app>.json.

    The documents are fuzzed against the running apps by schemathesis in CI; this pins every
    word of them, so a change to OpenAPI shows as a diff of the golden file, made on purpose
    with `kiln openapi tests/fixtures/<app> > tests/golden/openapi-<app>.json`.
    """
    served = test_app(fixture).get("/openapi.json").json()
    assert served == json.loads((GOLDEN / f"openapi-{fixture}.json").read_text())
