"""Deploying, redeploying, renaming and taking down projects through the host's control API, and
each project served by its Host header with its own database."""

from __future__ import annotations

import sqlite3
import tarfile
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error

LOCAL = pytest.mark.local_only("looks at the host's own folders, counts or administrator")


@LOCAL
def test_health_says_the_mode_and_counts_the_projects(
    host: TestApp, ann: Any, bundle: Callable[[str], bytes]
) -> None:
    assert host.get("/_host/health").json() == {"status": "ok", "mode": "dev", "projects": 0}
    assert ann.deploy("todo", bundle("todo-app")).status_code == 201
    assert host.get("/_host/health", headers={"Host": "localhost"}).json() == {
        "status": "ok",
        "mode": "dev",
        "projects": 1,
    }


def test_a_deployed_project_is_served_at_its_own_name_with_its_own_database(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    deployed = ann.deploy(name, bundle("todo-app"))
    assert deployed.status_code == 201
    assert deployed.json() == {"slug": name, "url": f"http://{name}.localhost:{host.port}/"}

    created = host.post("/api/todos", json={"title": "water the plants"}, headers=on)
    assert created.status_code == 201
    listed = host.get("/api/todos", headers=on).json()
    assert [item["title"] for item in listed["items"]] == ["water the plants"]
    if not host.remote:
        assert (host.data_dir / "projects" / name / ".kiln" / "data" / "kiln.db").is_file()
    assert host.get("/_host/projects", headers=ann.headers).json() == {
        "items": [{"slug": name, "url": f"http://{name}.localhost:{host.port}/"}]
    }


def test_an_unknown_name_answers_404_in_the_error_shape(host: TestApp) -> None:
    error = assert_error(host.get("/api/todos", headers={"Host": "nobody.localhost"}), 404, "not_found")
    assert error["message"] == "no project is served at nobody.localhost"


def test_a_redeploy_replaces_the_code_and_keeps_the_data(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    tmp_path: Any,
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "kept"}, headers=on)

    again = ann.deploy(name, bundle("todo-app"))

    assert again.status_code == 200
    assert again.json()["slug"] == name
    assert [item["title"] for item in host.get("/api/todos", headers=on).json()["items"]] == ["kept"]


def test_a_bundle_that_fails_kiln_check_is_422_and_the_old_version_goes_on_serving(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    tar_of: Callable[..., bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "still here"}, headers=on)
    broken = tar_of((tarfile.TarInfo("app.toml"), b"[app]\nnmae = 'x'\n"))

    error = assert_error(ann.deploy(name, broken), 422, "validation_failed")

    assert error["message"].startswith("the bundle cannot be deployed: it fails kiln check: app.toml: app")
    assert "nmae" in error["fields"]["bundle"]
    assert [item["title"] for item in host.get("/api/todos", headers=on).json()["items"]] == ["still here"]
    if not host.remote:
        assert sorted(path.name for path in (host.data_dir / "projects").iterdir()) == [name]


def test_a_new_version_that_would_lose_data_is_refused_and_the_old_one_serves(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    tar_of: Callable[..., bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "safe"}, headers=on)
    narrower = b"[app]\nname = 'todo'\n[entities.Todo.fields]\ntitle = { type = 'int' }\n"

    error = assert_error(
        ann.deploy(name, tar_of((tarfile.TarInfo("app.toml"), narrower))), 422, "validation_failed"
    )

    assert error["message"].startswith("the bundle cannot be deployed: it does not start:")
    assert [item["title"] for item in host.get("/api/todos", headers=on).json()["items"]] == ["safe"]


def test_an_unverified_user_cannot_deploy(
    host: TestApp,
    sign_up: Callable[..., Any],
    bundle: Callable[[str], bytes],
    address: Callable[[str], str],
    slug: Callable[[str], str],
) -> None:
    bob = sign_up(address("bob"), verify=False)  # logs in before verifying: the host allows it
    name = slug("bobs")

    error = assert_error(bob.deploy(name, bundle("todo-app")), 403, "email_not_verified")

    assert error["message"] == f"verify your email address before deploying: a link was sent to {bob.email}"
    assert_error(host.get("/", headers={"Host": f"{name}.localhost"}), 404, "not_found")
    if not host.remote:
        assert not (host.data_dir / "projects" / name).exists()


def test_deploying_needs_a_host_token(
    host: TestApp, bundle: Callable[[str], bytes], slug: Callable[[str], str]
) -> None:
    name = slug("todo")
    files = {"bundle": ("b.tar.gz", bundle("todo-app"), "application/gzip")}
    assert_error(host.post("/_host/projects", data={"slug": name}, files=files), 401, "unauthorized")
    bad = {"Authorization": "Bearer not-a-token"}
    assert_error(
        host.post("/_host/projects", data={"slug": name}, files=files, headers=bad), 401, "unauthorized"
    )
    assert_error(host.get("/", headers={"Host": f"{name}.localhost"}), 404, "not_found")


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Upper", "must be 1 to 63 lowercase letters, digits and inner hyphens"),
        ("-dash", "must be 1 to 63 lowercase letters, digits and inner hyphens"),
        ("a" * 64, "must be 1 to 63 lowercase letters, digits and inner hyphens"),
        ("with.dot", "must be 1 to 63 lowercase letters, digits and inner hyphens"),
        ("www", "is reserved by the host"),
    ],
)
def test_a_bad_name_is_422_on_slug(ann: Any, bundle: Callable[[str], bytes], slug: str, message: str) -> None:
    error = assert_error(ann.deploy(slug, bundle("todo-app")), 422, "validation_failed")
    assert error["fields"] == {"slug": message}


def test_another_users_name_is_taken_and_their_project_is_not_theirs(
    host: TestApp,
    ann: Any,
    sign_up: Callable[..., Any],
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
    address: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "ann's"}, headers=on)
    eve = sign_up(address("eve"))

    taken = assert_error(eve.deploy(name, bundle("todo-app")), 409, "unique_violation")
    assert taken["fields"] == {"slug": "is taken"}
    renamed = host.patch(f"/_host/projects/{name}", json={"slug": "mine"}, headers=eve.headers)
    assert assert_error(renamed, 403, "forbidden")["message"] == f"the project '{name}' is another user's"
    assert_error(host.delete(f"/_host/projects/{name}", headers=eve.headers), 403, "forbidden")

    assert [item["title"] for item in host.get("/api/todos", headers=on).json()["items"]] == ["ann's"]
    assert host.get("/_host/projects", headers=eve.headers).json() == {"items": []}


def test_a_rename_serves_the_project_at_its_new_name_and_the_old_answers_308(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "moved with it"}, headers=on)

    new = slug("tasks")
    renamed = host.patch(f"/_host/projects/{name}", json={"slug": new}, headers=ann.headers)

    assert renamed.status_code == 200
    assert renamed.json() == {"slug": new, "url": f"http://{new}.localhost:{host.port}/"}
    tasks = host.get("/api/todos", headers={"Host": f"{new}.localhost"})
    assert [item["title"] for item in tasks.json()["items"]] == ["moved with it"]
    old = host.get("/api/todos?done=false", headers=on, follow_redirects=False)
    assert old.status_code == 308
    assert old.headers["location"] == f"http://{new}.localhost:{host.port}/api/todos?done=false"
    if not host.remote:
        assert sorted(path.name for path in (host.data_dir / "projects").iterdir()) == [new]


def test_a_rename_to_a_taken_name_is_409_and_changes_nothing(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    other = slug("other")
    assert ann.deploy(other, bundle("todo-app")).status_code == 201

    error = assert_error(
        host.patch(f"/_host/projects/{name}", json={"slug": other}, headers=ann.headers),
        409,
        "unique_violation",
    )

    assert error["fields"] == {"slug": "is taken"}
    assert host.get("/api/todos", headers=on).status_code == 200
    assert host.get("/api/todos", headers={"Host": f"{other}.localhost"}).status_code == 200
    if not host.remote:
        assert sorted(path.name for path in (host.data_dir / "projects").iterdir()) == sorted([other, name])


def test_a_takedown_removes_the_data_and_the_name_answers_404(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "gone soon"}, headers=on)

    assert host.delete(f"/_host/projects/{name}", headers=ann.headers).status_code == 204

    assert_error(host.get("/api/todos", headers=on), 404, "not_found")
    if not host.remote:
        assert not (host.data_dir / "projects" / name).exists()
        assert host.get("/_host/health").json()["projects"] == 0
    assert host.get("/_host/projects", headers=ann.headers).json() == {"items": []}
    assert_error(host.delete(f"/_host/projects/{name}", headers=ann.headers), 404, "not_found")


def test_a_name_taken_down_can_be_deployed_afresh_with_no_old_data(
    host: TestApp,
    ann: Any,
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    on = {"Host": f"{name}.localhost"}
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    host.post("/api/todos", json={"title": "old"}, headers=on)
    host.delete(f"/_host/projects/{name}", headers=ann.headers)

    assert ann.deploy(name, bundle("todo-app")).status_code == 201

    assert host.get("/api/todos", headers=on).json()["items"] == []


@LOCAL
def test_the_administrator_removes_test_users_by_prefix_with_their_projects(
    host: TestApp, sign_up: Callable[..., Any], bundle: Callable[[str], bytes]
) -> None:
    stale = sign_up("st-1@test.com")
    assert stale.deploy("stale", bundle("todo-app")).status_code == 201
    sign_up("st-2@test.com", verify=False)
    keeper = sign_up("keeper@example.com")
    assert keeper.deploy("kept", bundle("todo-app")).status_code == 201
    admin = {"Authorization": "Bearer admin-token-for-tests"}

    removed = host.delete("/_host/users", params={"prefix": "st-"}, headers=admin)

    assert removed.status_code == 200
    assert removed.json() == {"users": 2, "projects": 1}
    assert sorted(path.name for path in (host.data_dir / "projects").iterdir()) == ["kept"]
    assert_error(host.get("/", headers={"Host": "stale.localhost"}), 404, "not_found")
    with sqlite3.connect(host.data_dir / "host" / "kiln.db") as control:  # the host's own users
        emails = [row[0] for row in control.execute("SELECT email FROM users ORDER BY email")]
        projects = [row[0] for row in control.execute("SELECT slug FROM projects")]
    assert (emails, projects) == (["keeper@example.com"], ["kept"])
    assert_error(host.get("/_host/projects", headers=stale.headers), 401, "unauthorized")  # the user is gone
    assert host.get("/_host/projects", headers=keeper.headers).json()["items"][0]["slug"] == "kept"


@LOCAL
def test_removing_users_needs_the_administrator_token(host: TestApp, sign_up: Callable[..., Any]) -> None:
    user = sign_up("st-3@test.com")
    assert_error(host.delete("/_host/users", params={"prefix": "st-"}), 401, "unauthorized")
    assert_error(
        host.delete("/_host/users", params={"prefix": "st-"}, headers=user.headers), 401, "unauthorized"
    )
    wrong = {"Authorization": "Bearer admin-token-for-test"}
    assert_error(host.delete("/_host/users", params={"prefix": "st-"}, headers=wrong), 401, "unauthorized")
    assert host.get("/_host/projects", headers=user.headers).status_code == 200  # still there


@pytest.mark.regression
def test_the_verification_mail_names_the_hosts_own_verify_url(
    host: TestApp, address: Callable[[str], str]
) -> None:
    cy = address("cy")
    host.post("/_host/auth/register", json={"email": cy, "password": "correct horse battery"})
    [mail] = host.get("/_host/dev/outbox", params={"to": cy}).json()["items"]
    assert f"POST {host.url}/_host/auth/verify with" in mail["text"]  # not /auth/verify, the project's


def test_a_deploy_that_is_not_multipart_or_has_no_bundle_is_refused(
    host: TestApp, ann: Any, slug: Callable[[str], str]
) -> None:
    name = slug("todo")
    assert_error(host.post("/_host/projects", json={"slug": name}, headers=ann.headers), 400, "bad_request")
    files = {"other": ("x.txt", b"x", "text/plain")}
    error = assert_error(
        host.post("/_host/projects", data={"slug": name}, files=files, headers=ann.headers),
        422,
        "validation_failed",
    )
    assert error["fields"] == {"bundle": "is required: a .tar.gz file"}
    assert host.get("/_host/projects", headers=ann.headers).json() == {"items": []}


def test_a_refused_bundle_leaves_the_new_name_free(
    host: TestApp,
    ann: Any,
    sign_up: Callable[..., Any],
    address: Callable[[str], str],
    bundle: Callable[[str], bytes],
    slug: Callable[[str], str],
) -> None:
    name = slug("todo")
    assert_error(ann.deploy(name, b"not a tarball"), 422, "validation_failed")
    assert host.get("/_host/projects", headers=ann.headers).json() == {"items": []}

    eve = sign_up(address("eve"))
    assert eve.deploy(name, bundle("todo-app")).status_code == 201  # the name was never Ann's


@pytest.mark.parametrize("body", [{}, {"slug": "a", "extra": 1}, ["a"], {"slug": 3}])
def test_a_rename_with_a_bad_body_is_422_and_changes_nothing(
    host: TestApp, ann: Any, bundle: Callable[[str], bytes], slug: Callable[[str], str], body: Any
) -> None:
    name = slug("todo")
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    assert_error(
        host.patch(f"/_host/projects/{name}", json=body, headers=ann.headers), 422, "validation_failed"
    )
    assert host.get("/api/todos", headers={"Host": f"{name}.localhost"}).status_code == 200


def test_a_rename_to_its_own_name_changes_nothing(
    host: TestApp, ann: Any, bundle: Callable[[str], bytes], slug: Callable[[str], str]
) -> None:
    name = slug("todo")
    assert ann.deploy(name, bundle("todo-app")).status_code == 201
    same = host.patch(f"/_host/projects/{name}", json={"slug": name}, headers=ann.headers)
    assert same.status_code == 200
    assert same.json()["slug"] == name
    assert (
        host.get("/api/todos", headers={"Host": f"{name}.localhost"}, follow_redirects=False).status_code
        == 200
    )
