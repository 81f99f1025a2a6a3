"""Guards: authentication is decided before authorization; roles, verification, owners, custom guards."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Scenario, Stored, TestApp, assert_error, run

pytestmark = pytest.mark.app("auth-app")


@pytest.mark.regression
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/announcements", {"title": "x"}),  # guards ["role:admin", "auth"]
        ("GET", "/api/admin/stats", None),  # guards ["role:admin", "auth"]
        ("POST", "/api/moderation", None),  # guards ["auth", "role:moderator"]
        ("DELETE", "/api/secrets/1", None),  # guards ["verified", "role:admin"]
    ],
)
def test_anonymous_gets_401_never_403_whatever_the_guard_order(
    app: TestApp, method: str, path: str, body: Any
) -> None:
    kwargs = {"json": body} if body is not None else {}
    response = app.request(method, path, **kwargs)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


# Each guard kind on a create, let in and kept out, with what is stored afterwards. Each row
# writes a title or text only it sends, so "stored nothing" is seen. Owner and handler guards
# need a record or a clock first: their cases are the tests below.
GUARD_CASES = [
    # auth: Note.create
    Scenario(
        "auth-lets-a-user-in",
        "POST",
        "/api/notes",
        json={"text": "by ann"},
        user="ann@example.com",
        status=201,
        expect={"text": "by ann"},
        stored=[Stored("notes", {"text": "by ann"}, 1)],
    ),
    Scenario(
        "auth-keeps-anonymous-out",
        "POST",
        "/api/notes",
        json={"text": "by nobody"},
        status=401,
        error="unauthorized",
        stored=[Stored("notes", {"text": "by nobody"}, 0)],
    ),
    # role:admin: Announcement.create
    Scenario(
        "role-lets-an-admin-in",
        "POST",
        "/api/announcements",
        json={"title": "by root"},
        user="root@example.com",
        roles=("admin",),
        status=201,
        expect={"title": "by root"},
        stored=[Stored("announcements", {"title": "by root"}, 1)],
    ),
    Scenario(
        "role-keeps-a-user-out",
        "POST",
        "/api/announcements",
        json={"title": "by ann"},
        user="ann@example.com",
        roles=("moderator",),
        status=403,
        error="forbidden",
        stored=[Stored("announcements", {"title": "by ann"}, 0)],
    ),
    # verified: Secret.create
    Scenario(
        "verified-lets-a-verified-user-in",
        "POST",
        "/api/secrets",
        json={"text": "by old"},
        user="old@example.com",
        status=201,
        expect={"text": "by old"},
        stored=[Stored("secrets", {"text": "by old"}, 1)],
    ),
    Scenario(
        "verified-keeps-an-unverified-user-out",
        "POST",
        "/api/secrets",
        json={"text": "by new"},
        user="new@example.com",
        verified=False,
        status=403,
        error="email_not_verified",
        stored=[Stored("secrets", {"text": "by new"}, 0)],
    ),
]


@pytest.mark.local_only("signs users in with as_user, and auth-app verifies emails")
@pytest.mark.parametrize("scenario", GUARD_CASES, ids=str)
def test_each_guard_kind_lets_in_and_keeps_out(app: TestApp, scenario: Scenario) -> None:
    run(app, scenario)


@pytest.mark.local_only("signs users in with as_user, and auth-app verifies emails")
def test_a_refused_guard_says_what_it_needs_and_reading_stays_public(app: TestApp) -> None:
    user = app.as_user("ann@example.com")
    error = assert_error(user.post("/api/announcements", json={"title": "hi"}), 403, "forbidden")
    assert error["message"] == "this needs the admin role"
    unverified = app.as_user("new@example.com", verified=False)
    error = assert_error(unverified.post("/api/secrets", json={"text": "s"}), 403, "email_not_verified")
    assert error["message"] == "verify your email address first"
    app.as_user("boss@example.com", roles=["admin"]).post("/api/announcements", json={"title": "news"})
    assert [item["title"] for item in app.get("/api/announcements").json()["items"]] == ["news"]


@pytest.mark.local_only("signs users in with as_user, and auth-app verifies emails")
def test_owner_is_set_from_the_token_and_cannot_be_sent(app: TestApp) -> None:
    ann = app.as_user("ann@example.com")
    note = ann.post("/api/notes", json={"text": "mine"}).json()
    assert note["author_id"] == ann.user["id"]
    assert app.db["notes"].get(note["id"])["author_id"] == ann.user["id"]
    for response in (
        ann.post("/api/notes", json={"text": "x", "author_id": 99}),
        ann.patch(f"/api/notes/{note['id']}", json={"author_id": 99}),
    ):
        assert_error(
            response, 422, "validation_failed", {"author_id": "is set from your token and cannot be sent"}
        )
    assert app.db["notes"].count == 1


@pytest.mark.local_only("signs users in with as_user, and auth-app verifies emails")
def test_owner_guard_shows_and_changes_only_own_records(app: TestApp) -> None:
    ann, bob = app.as_user("ann@example.com"), app.as_user("bob@example.com")
    mine = ann.post("/api/notes", json={"text": "ann's"}).json()["id"]
    bob.post("/api/notes", json={"text": "bob's"})
    assert [n["text"] for n in ann.get("/api/notes").json()["items"]] == ["ann's"]
    assert ann.get("/api/notes").json()["total"] == 1
    assert_error(bob.get(f"/api/notes/{mine}"), 403, "forbidden")
    assert_error(bob.patch(f"/api/notes/{mine}", json={"text": "hacked"}), 403, "forbidden")
    assert_error(bob.delete(f"/api/notes/{mine}"), 403, "forbidden")
    assert app.db["notes"].get(mine)["text"] == "ann's"
    assert ann.patch(f"/api/notes/{mine}", json={"text": "edited"}).json()["text"] == "edited"


@pytest.mark.local_only("writes a record with no owner straight into the database")
def test_a_record_without_an_owner_is_nobodys(app: TestApp) -> None:
    """An owner guard opens a record only to the user it names; a null owner names nobody."""
    ann, admin = app.as_user("ann@example.com"), app.as_user("root@example.com", roles=["admin"])
    orphan = (
        app.db["notes"]
        .insert(
            {"text": "orphan", "author_id": None, "created_at": "2030-01-01T00:00:00.000Z", "updated_at": "x"}
        )
        .last_pk
    )
    own = ann.post("/api/notes", json={"text": "ann's"}).json()["id"]
    for caller in (ann, admin):
        assert_error(caller.get(f"/api/notes/{orphan}"), 403, "forbidden")
        assert_error(caller.patch(f"/api/notes/{orphan}", json={"text": "taken"}), 403, "forbidden")
        assert_error(caller.put(f"/api/notes/{orphan}", json={"text": "taken"}), 403, "forbidden")
        assert_error(caller.delete(f"/api/notes/{orphan}"), 403, "forbidden")
    assert [note["id"] for note in ann.get("/api/notes").json()["items"]] == [own]
    assert admin.get("/api/notes").json()["items"] == []
    assert app.db["notes"].get(orphan)["text"] == "orphan"
    assert app.db["notes"].count == 2


@pytest.mark.local_only("signs users in with as_user, and auth-app verifies emails")
def test_put_keeps_the_owner(app: TestApp) -> None:
    ann = app.as_user("ann@example.com")
    note = ann.post("/api/notes", json={"text": "a"}).json()
    assert ann.put(f"/api/notes/{note['id']}", json={"text": "b"}).json()["author_id"] == ann.user["id"]


@pytest.mark.local_only("signs users in with as_user, and auth-app verifies emails")
def test_route_guards_on_page_and_handler(app: TestApp) -> None:
    response = app.get("/members")  # a page answers with a page, whatever the client accepts
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["www-authenticate"] == "Bearer"
    member = app.as_user("ann@example.com")
    assert "Welcome, ann@example.com" in member.get("/members").text
    assert_error(member.get("/api/admin/stats"), 403, "forbidden")
    admin = app.as_user("boss@example.com", roles=["admin"])
    assert admin.get("/api/admin/stats").json() == {"users": 2, "notes": 0}
    moderator = app.as_user("mod@example.com", roles=["moderator"])
    assert moderator.post("/api/moderation").json() == {"moderated_by": "mod@example.com"}


def test_handler_guard_decides_on_the_app_clock(app: TestApp) -> None:
    app.clock.set("2030-01-07T10:00:00Z")
    assert app.get("/api/office-hours").json() == {"open": True}
    app.clock.set("2030-01-07T20:00:00Z")
    error = assert_error(app.get("/api/office-hours"), 403, "forbidden")
    assert error["message"] == "handlers:during_office_hours does not allow this request"


def test_an_async_handler_guard_lets_in_the_request_it_approves(app: TestApp) -> None:
    assert app.get("/api/backstage", headers={"X-Pass": "letmein"}).json() == {"open": True}


@pytest.mark.parametrize("headers", [{"X-Pass": "sesame"}, {}], ids=["wrong-pass", "no-pass"])
def test_an_async_handler_guard_keeps_out_the_requests_it_refuses(
    app: TestApp, headers: dict[str, str]
) -> None:
    error = assert_error(app.get("/api/backstage", headers=headers), 403, "forbidden")
    assert error["message"] == "handlers:has_the_pass does not allow this request"


def test_an_async_handler_guard_reads_the_app_settings(test_app: Any) -> None:
    configured = test_app("auth-app", settings={"pass": "sesame"})
    assert configured.get("/api/backstage", headers={"X-Pass": "sesame"}).json() == {"open": True}
    assert_error(configured.get("/api/backstage", headers={"X-Pass": "letmein"}), 403, "forbidden")


def test_roles_come_from_the_database_not_the_token(app: TestApp) -> None:
    admin = app.as_user("boss@example.com", roles=["admin"])
    assert admin.post("/api/announcements", json={"title": "a"}).status_code == 201
    app.db["users"].update(admin.user["id"], {"roles": "[]"})
    assert_error(admin.post("/api/announcements", json={"title": "b"}), 403, "forbidden")
