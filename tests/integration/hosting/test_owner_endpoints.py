"""What a project's owner does through the host: a project token in which they are `admin`,
read-only SQL, secrets, and the dev clock that runs cron and wakes workflows; runtime-app deployed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error
from kiln.hosting import Host, owner


@pytest.fixture
def deployed(host: TestApp, ann: Any, bundle: Callable[[str], bytes], slug: Callable[[str], str]) -> Any:
    """Ann, who deployed runtime-app as ``ann.slug`` (``rt-...``)."""
    ann.slug = slug("rt")
    response = ann.deploy(ann.slug, bundle("runtime-app"))
    assert response.status_code == 201, response.text
    return ann


def _sql(host: TestApp, user: Any, sql: str) -> Any:
    return host.post(f"/_host/projects/{user.slug}/sql", json={"sql": sql}, headers=user.headers)


def _project_token(host: TestApp, user: Any) -> dict[str, str]:
    response = host.post(f"/_host/projects/{user.slug}/token", headers=user.headers)
    assert response.status_code == 200, response.text
    return {**user.on, "Authorization": f"Bearer {response.json()['token']}"}


def test_the_project_token_makes_the_owner_the_projects_admin(host: TestApp, deployed: Any) -> None:
    assert_error(host.get("/api/_cron", headers=deployed.on), 401, "unauthorized")
    admin = _project_token(host, deployed)

    jobs = host.get("/api/_cron", headers=admin)

    assert jobs.status_code == 200
    assert [job["name"] for job in jobs.json()["items"]] == ["tick", "broken", "hold"]
    users = _sql(host, deployed, "SELECT email, roles, verified FROM users").json()
    assert users["rows"] == [[deployed.email, '["admin"]', 1]]
    _project_token(host, deployed)  # again: the same user, still one
    assert _sql(host, deployed, "SELECT count(*) FROM users").json()["rows"] == [[1]]


def test_sql_answers_columns_and_rows_of_one_read_only_statement(host: TestApp, deployed: Any) -> None:
    admin = _project_token(host, deployed)
    assert host.post("/api/todos", json={"title": "read me"}, headers=admin).status_code == 201

    answer = _sql(host, deployed, "SELECT id, title, done FROM todos")

    assert answer.status_code == 200
    assert answer.json() == {
        "columns": ["id", "title", "done"],
        "rows": [[1, "read me", 0]],
        "truncated": False,
    }


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DELETE FROM todos", "attempt to write a readonly database"),
        ("SELECT 1; SELECT 2", "You can only execute one statement at a time."),
        ("SELECT * FROM nowhere", "no such table: nowhere"),
    ],
)
def test_sql_that_writes_or_is_more_than_one_statement_is_refused(
    host: TestApp, deployed: Any, sql: str, reason: str
) -> None:
    admin = _project_token(host, deployed)
    host.post("/api/todos", json={"title": "kept"}, headers=admin)

    error = assert_error(_sql(host, deployed, sql), 422, "validation_failed")

    assert error["fields"] == {"sql": reason}
    assert _sql(host, deployed, "SELECT title FROM todos").json()["rows"] == [["kept"]]


def test_sql_answers_at_most_a_thousand_rows(host: TestApp, deployed: Any) -> None:
    many = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 1500) SELECT x FROM n"
    answer = _sql(host, deployed, many).json()
    assert (len(answer["rows"]), answer["rows"][-1], answer["truncated"]) == (1000, [1000], True)


@pytest.mark.local_only("changes the server's own time limit")
def test_a_statement_that_runs_too_long_is_stopped(
    host: TestApp, deployed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(owner, "SQL_SECONDS", 0.05)
    forever = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
    error = assert_error(_sql(host, deployed, forever), 422, "validation_failed")
    assert error["fields"] == {"sql": "it ran too long"}


def test_a_secret_set_through_the_host_reaches_the_project(host: TestApp, deployed: Any) -> None:
    assert host.get("/api/status", headers=deployed.on).json() == {"secrets": {"API_KEY": False}}

    stored = host.post(
        f"/_host/projects/{deployed.slug}/secrets",
        json={"name": "API_KEY", "value": "k-123"},
        headers=deployed.headers,
    )

    assert stored.status_code == 200
    assert stored.json() == {"secrets": ["API_KEY"]}
    assert host.get("/api/status", headers=deployed.on).json() == {"secrets": {"API_KEY": True}}
    assert "k-123" not in stored.text


def test_a_bad_secret_is_422(host: TestApp, deployed: Any) -> None:
    error = assert_error(
        host.post(
            f"/_host/projects/{deployed.slug}/secrets", json={"name": "lower case"}, headers=deployed.headers
        ),
        422,
        "validation_failed",
    )
    assert set(error["fields"]) == {"name", "value"}


def test_the_dev_clock_runs_cron_before_it_answers(host: TestApp, deployed: Any) -> None:
    moved = host.post(
        f"/_host/projects/{deployed.slug}/clock",
        json={"set": "2026-01-01T00:00:00Z"},
        headers=deployed.headers,
    )
    assert moved.json() == {"now": "2026-01-01T00:00:00.000Z"}

    moved = host.post(
        f"/_host/projects/{deployed.slug}/clock", json={"advance": 300}, headers=deployed.headers
    )

    assert moved.json() == {"now": "2026-01-01T00:05:00.000Z"}
    ticks = _sql(host, deployed, "SELECT job, at FROM ticks").json()["rows"]
    assert ticks == [["tick", "2026-01-01T00:05:00.000Z"]]


def test_the_dev_clock_wakes_a_sleeping_run(host: TestApp, deployed: Any) -> None:
    admin = _project_token(host, deployed)
    host.post(
        f"/_host/projects/{deployed.slug}/clock",
        json={"set": "2026-01-01T00:00:00Z"},
        headers=deployed.headers,
    )
    started = host.post(
        "/api/_workflows/double-and-persist", json={"input": {"n": 21}, "id": "smoke"}, headers=admin
    )
    assert started.status_code == 202, started.text
    host.post(
        f"/_host/projects/{deployed.slug}/clock", json={"advance": 0}, headers=deployed.headers
    )  # runs it to its first nap
    assert host.get("/api/_workflows/runs/smoke", headers=admin).json()["status"] == "sleeping"
    for _ in range(6):
        host.post(f"/_host/projects/{deployed.slug}/clock", json={"advance": 10}, headers=deployed.headers)

    run = host.get("/api/_workflows/runs/smoke", headers=admin).json()

    assert (run["status"], run["output"]) == ("completed", 42)
    assert _sql(host, deployed, "SELECT run_id, n FROM results").json()["rows"] == [["smoke", 42]]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance": -1},
        {"advance": "10"},
        {"set": "yesterday"},
        {"advance": 1, "set": "2026-01-01T00:00:00Z"},
    ],
)
def test_a_bad_clock_move_is_422_and_moves_nothing(
    host: TestApp, deployed: Any, body: dict[str, Any]
) -> None:
    host.post(
        f"/_host/projects/{deployed.slug}/clock",
        json={"set": "2026-01-01T00:00:00Z"},
        headers=deployed.headers,
    )
    assert_error(
        host.post(f"/_host/projects/{deployed.slug}/clock", json=body, headers=deployed.headers),
        422,
        "validation_failed",
    )
    now = host.post(
        f"/_host/projects/{deployed.slug}/clock", json={"advance": 0}, headers=deployed.headers
    ).json()
    assert now == {"now": "2026-01-01T00:00:00.000Z"}


def test_owner_endpoints_are_the_owners_only(
    host: TestApp, deployed: Any, sign_up: Callable[..., Any], address: Callable[[str], str]
) -> None:
    eve = sign_up(address("eve"))
    for path, body in (
        ("token", None),
        ("sql", {"sql": "SELECT 1"}),
        ("secrets", {"name": "A", "value": "b"}),
        ("clock", {"advance": 1}),
    ):
        assert_error(
            host.post(f"/_host/projects/{deployed.slug}/{path}", json=body, headers=eve.headers),
            403,
            "forbidden",
        )
        assert_error(host.post(f"/_host/projects/{deployed.slug}/{path}", json=body), 401, "unauthorized")
    assert_error(
        host.post("/_host/projects/nope/sql", json={"sql": "SELECT 1"}, headers=eve.headers), 404, "not_found"
    )


@pytest.mark.local_only("serves a prod kiln host of its own")
def test_a_prod_host_has_no_dev_clock_and_no_dev_outbox(test_app: Any) -> None:
    prod: TestApp = test_app(lambda root: Host(root, mode="prod", testing=True))
    assert prod.get("/_host/health").json() == {"status": "ok", "mode": "prod", "projects": 0}
    assert_error(prod.get("/_host/dev/outbox", params={"to": "ann@example.com"}), 404, "not_found")
    assert_error(prod.post("/_host/projects/rt/clock", json={"advance": 1}), 404, "not_found")


@pytest.mark.local_only("reads the project's log file")
def test_the_projects_log_has_its_requests_and_jobs_and_nobody_elses(
    host: TestApp, deployed: Any, bundle: Callable[[str], bytes]
) -> None:
    assert deployed.deploy("other", bundle("todo-app")).status_code == 201
    host.get("/api/status", headers={**deployed.on, "X-Request-Id": "rt-status-1"})
    host.get("/api/todos", headers={"Host": "other.localhost", "X-Request-Id": "other-list-1"})
    admin = _project_token(host, deployed)
    assert host.post("/api/_cron/broken/trigger", headers=admin).status_code == 200

    lines = host.get(
        f"/_host/projects/{deployed.slug}/logs", params={"since": "5m"}, headers=deployed.headers
    ).json()["items"]

    ids = {line["request_id"] for line in lines}
    assert "rt-status-1" in ids
    assert "other-list-1" not in ids
    assert any("GET /api/status" in line["message"] for line in lines)
    broken = [line for line in lines if line["level"] == "error"]
    assert broken, lines  # the job raised: its traceback is the project's
    assert all(line["logger"] for line in lines)
    other = host.get("/_host/projects/other/logs", headers=deployed.headers).json()["items"]
    assert "other-list-1" in {line["request_id"] for line in other}
    assert "rt-status-1" not in {line["request_id"] for line in other}
    one = host.get(
        f"/_host/projects/{deployed.slug}/logs",
        params={"request_id": "rt-status-1"},
        headers=deployed.headers,
    )
    assert {line["request_id"] for line in one.json()["items"]} == {"rt-status-1"}
    on_disk = (
        host.data_dir / "projects" / deployed.slug / ".kiln" / "data" / "logs" / "kiln.jsonl"
    ).read_text()
    assert "rt-status-1" in on_disk  # where kiln logs ROOT/projects/rt reads it


def test_a_bad_log_query_is_422(host: TestApp, deployed: Any) -> None:
    response = host.get(
        f"/_host/projects/{deployed.slug}/logs",
        params={"since": "soon", "level": "loud"},
        headers=deployed.headers,
    )
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"since", "level"}
    assert error["fields"]["level"] == "must be one of debug, info, warning, error"


def test_cron_lists_the_jobs_with_their_last_runs(host: TestApp, deployed: Any) -> None:
    host.post(
        f"/_host/projects/{deployed.slug}/clock",
        json={"set": "2026-01-01T00:00:00Z"},
        headers=deployed.headers,
    )
    host.post(f"/_host/projects/{deployed.slug}/clock", json={"advance": 300}, headers=deployed.headers)

    jobs = host.get(f"/_host/projects/{deployed.slug}/cron", headers=deployed.headers).json()["items"]

    by_name = {job["name"]: job for job in jobs}
    assert list(by_name) == ["tick", "broken", "hold"]
    assert by_name["tick"]["schedule"] == "*/5 * * * *"
    assert (by_name["tick"]["last_status"], by_name["tick"]["next_run"]) == ("ok", "2026-01-01T00:10:00.000Z")
    assert by_name["hold"]["last_run"] is None


@pytest.mark.regression
def test_a_moved_dev_clock_stays_put_when_a_secret_restarts_the_project(host: TestApp, deployed: Any) -> None:
    host.post(
        f"/_host/projects/{deployed.slug}/clock",
        json={"set": "2026-01-01T00:00:00Z"},
        headers=deployed.headers,
    )
    host.post(
        f"/_host/projects/{deployed.slug}/secrets",
        json={"name": "API_KEY", "value": "k"},
        headers=deployed.headers,
    )
    now = host.post(
        f"/_host/projects/{deployed.slug}/clock", json={"advance": 0}, headers=deployed.headers
    ).json()
    assert now == {"now": "2026-01-01T00:00:00.000Z"}  # found by kiln-smoke: a restart took real time back
