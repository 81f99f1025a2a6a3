"""Register, log in, see yourself, log out and change the password, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

pytestmark = pytest.mark.app("auth-app")
PASSWORD = "correct horse battery"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def ann() -> str:
    """An address of this test's own, so the test also runs against a shared server."""
    return f"{unique_id('ann')}@example.com".lower()


def test_register_answers_the_user_mails_a_link_and_stores_a_hash(app: TestApp) -> None:
    app.clock.set("2030-01-01T00:00:00Z")
    response = app.post(
        "/auth/register", json={"email": "ann@example.com", "password": PASSWORD, "display_name": "Ann"}
    )
    assert response.status_code == 201
    assert response.json() == {
        "user": {
            "id": 1,
            "email": "ann@example.com",
            "roles": [],
            "verified": False,
            "display_name": "Ann",
            "created_at": "2030-01-01T00:00:00.000Z",
            "updated_at": "2030-01-01T00:00:00.000Z",
        }
    }  # no token until the email is verified
    [mail] = app.mail.outbox
    assert (mail.to, mail.subject) == ("ann@example.com", "Verify your email address")
    assert f"{app.url}/auth/verify" in mail.body
    row = app.db["users"].get(1)
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


@pytest.mark.local_only("counts every user")
def test_register_stores_email_lowercased_and_refuses_it_twice(app: TestApp, signup: Any) -> None:
    assert signup(app, "Ann@Example.COM")["user"]["email"] == "ann@example.com"
    response = app.post("/auth/register", json={"email": "ANN@example.com", "password": PASSWORD})
    assert_error(response, 409, "unique_violation", {"email": "is already registered"})
    assert app.db["users"].count == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"email": "ann@example.com"}, {"password": "is required"}),
        ({"email": "ann@example.com", "password": "short"}, {"password": "must be at least 8 characters"}),
        (
            {"email": "ann@example.com", "password": "x" * 1025},
            {"password": "must be at most 1024 characters"},
        ),
        pytest.param(
            {"email": "not-an-email", "password": PASSWORD},
            {"email": "must be an email address"},
            marks=pytest.mark.local_only("names no address to look for, so it counts every user"),
        ),
        pytest.param(
            {"password": PASSWORD},
            {"email": "is required"},
            marks=pytest.mark.local_only("names no address to look for, so it counts every user"),
        ),
        (
            {"email": "ann@example.com", "password": PASSWORD, "roles": ["admin"]},
            {"roles": "cannot be set when registering"},
        ),
        (
            {"email": "ann@example.com", "password": PASSWORD, "verified": True},
            {"verified": "cannot be set when registering"},
        ),
        (
            {"email": "ann@example.com", "password": PASSWORD, "display_name": "x" * 41},
            {"display_name": "must be at most 40 characters"},
        ),
        pytest.param(
            {"email": "a@b", "password": 12345678},
            {"email": "must be an email address", "password": "is required"},
            marks=pytest.mark.local_only("names no address to look for, so it counts every user"),
        ),
    ],
    ids=[
        "no-password",
        "short",
        "long",
        "bad-email",
        "no-email",
        "roles",
        "verified",
        "user-field",
        "several",
    ],
)
def test_register_invalid_is_422_and_creates_nobody(app: TestApp, body: dict, fields: dict[str, str]) -> None:
    email = unique_id("ann").lower() + "@example.com"
    sent = {**body, "email": email} if body.get("email") == "ann@example.com" else body
    assert_error(app.post("/auth/register", json=sent), 422, "validation_failed", fields)
    if "email" not in sent or sent["email"] != email:
        assert app.db["users"].count == 0  # local only (marked): nothing names what to look for
        return
    # nobody was created: the address is still free, and registering it properly works
    again = app.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert again.status_code == 201, again.text
    assert again.json()["user"]["email"] == email


def test_login_answers_token_and_user(app: TestApp, signup: Any, ann: str) -> None:
    signup(app, ann)
    body = app.post("/auth/login", json={"email": ann.upper(), "password": PASSWORD}).json()
    assert set(body) == {"token", "user"}
    assert body["user"]["email"] == ann
    assert app.get("/auth/me", headers=_bearer(body["token"])).json() == body["user"]


@pytest.mark.local_only(
    "fails logins, which a shared server counts against one client address for every test"
)
@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ANN", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("ANN", PASSWORD.upper()),
    ],
    ids=["wrong-password", "unknown-email", "case-of-password"],
)
def test_login_with_bad_credentials_is_401_without_telling_which(
    app: TestApp, signup: Any, ann: str, email: str, password: str
) -> None:
    signup(app, ann)
    response = app.post("/auth/login", json={"email": ann if email == "ANN" else email, "password": password})
    error = assert_error(response, 401, "invalid_credentials")
    assert error["message"] == "the email or the password is wrong"
    assert response.headers["www-authenticate"] == "Bearer"


def test_login_without_fields_is_422(app: TestApp) -> None:
    assert_error(
        app.post("/auth/login", json={}),
        422,
        "validation_failed",
        {"email": "is required", "password": "is required"},
    )


def test_me_without_token_is_401_with_challenge(app: TestApp) -> None:
    response = app.get("/auth/me")
    error = assert_error(response, 401, "unauthorized")
    assert error["message"] == "sign in first: send Authorization: Bearer <token>"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("body", [b"[]", b'"ann@example.com"', b"null"], ids=["list", "string", "null"])
def test_auth_endpoints_answer_422_to_a_body_that_is_not_an_object(
    app: TestApp, signup: Any, ann: str, body: bytes
) -> None:
    json = {"content-type": "application/json"}
    register = app.post("/auth/register", content=body, headers=json)
    error = assert_error(register, 422, "validation_failed", {})
    assert error["message"] == "send a JSON object with email and password"
    login = app.post("/auth/login", content=body, headers=json)
    error = assert_error(login, 422, "validation_failed", {"email": "is required", "password": "is required"})
    assert error["message"] == "send email and password"
    verify = app.post("/auth/verify", content=body, headers=json)
    error = assert_error(verify, 422, "validation_failed", {"token": "is required"})
    assert error["message"] == "send the token from the mail"
    token = signup(app, ann)["token"]
    password = app.post("/auth/password", content=body, headers={**json, **_bearer(token)})
    fields = {"password": "is not your current password", "new_password": "is required"}
    error = assert_error(password, 422, "validation_failed", fields)
    assert error["message"] == "the password was not changed"


def test_logout_revokes_that_token_only(app: TestApp, signup: Any, ann: str) -> None:
    first = signup(app, ann)["token"]
    second = app.post("/auth/login", json={"email": ann, "password": PASSWORD}).json()["token"]
    assert app.post("/auth/logout", headers=_bearer(first)).status_code == 204
    error = assert_error(app.get("/auth/me", headers=_bearer(first)), 401, "unauthorized")
    assert error["message"] == "the token was revoked (logged out)"
    assert app.get("/auth/me", headers=_bearer(second)).status_code == 200


@pytest.mark.local_only("reads the revocation table")
def test_logout_stores_one_revocation(app: TestApp, signup: Any) -> None:
    token = signup(app)["token"]
    app.post("/auth/logout", headers=_bearer(token))
    assert app.db["_kiln_revoked_tokens"].count == 1


@pytest.mark.local_only("reads the users table")
def test_password_change_revokes_older_tokens_and_returns_a_new_one(app: TestApp, signup: Any) -> None:
    old = signup(app)["token"]
    also_old = app.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).json()[
        "token"
    ]
    response = app.post(
        "/auth/password",
        json={"password": PASSWORD, "new_password": "another long secret"},
        headers=_bearer(old),
    )
    assert response.status_code == 200
    new = response.json()["token"]
    changed = app.get("/auth/me", headers=_bearer(new)).json()
    assert response.json()["user"] == changed  # updated_at included: the time of the change
    assert changed["updated_at"] == app.db["users"].get(1)["updated_at"]
    for token in (old, also_old):
        error = assert_error(app.get("/auth/me", headers=_bearer(token)), 401, "unauthorized")
        assert error["message"] == "the token was revoked (the password changed)"
    assert app.get("/auth/me", headers=_bearer(new)).json()["email"] == "ann@example.com"
    assert app.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).status_code == 401
    assert (
        app.post(
            "/auth/login", json={"email": "ann@example.com", "password": "another long secret"}
        ).status_code
        == 200
    )


@pytest.mark.local_only("reads the stored hash")
def test_password_change_with_wrong_current_password_is_422_and_changes_nothing(
    app: TestApp, signup: Any
) -> None:
    token = signup(app)["token"]
    before = app.db["users"].get(1)["password_hash"]
    response = app.post(
        "/auth/password", json={"password": "nope nope", "new_password": "tiny"}, headers=_bearer(token)
    )
    fields = {"password": "is not your current password", "new_password": "must be at least 8 characters"}
    assert_error(response, 422, "validation_failed", fields)
    assert app.db["users"].get(1)["password_hash"] == before
    assert app.get("/auth/me", headers=_bearer(token)).status_code == 200


def test_handlers_and_pages_see_the_caller(app: TestApp, signup: Any, ann: str) -> None:
    signed_in = signup(app, ann)
    token = signed_in["token"]
    assert app.get("/whoami").json() == {"user": None}
    assert app.get("/whoami", headers=_bearer(token)).json() == {
        "user": {"id": signed_in["user"]["id"], "email": ann, "roles": []}
    }
    assert f"Signed in as {ann}" in app.get("/profile", headers=_bearer(token)).text
    assert "Not signed in" in app.get("/profile").text


@pytest.mark.local_only("reads the stored hash and the server's log")
def test_no_password_hash_or_token_in_responses_or_logs(app: TestApp, signup: Any) -> None:
    body = signup(app)
    token = body["token"]
    app.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
    app.post("/auth/login", json={"email": "ann@example.com", "password": "a wrong one!"})
    me = app.get("/auth/me", headers=_bearer(token))
    stored_hash = app.db["users"].get(1)["password_hash"]
    for text in (me.text, app.get("/api/notes").text):
        assert "password" not in text
    captured = app.logs.text + "\n".join(str(e) for e in app.requests)
    for secret in (PASSWORD, "a wrong one!", stored_hash, token):
        assert secret not in captured


def test_users_nested_through_relations_show_no_hidden_columns(app: TestApp, signup: Any, ann: str) -> None:
    token = signup(app, ann)["token"]
    note = app.post("/api/notes", json={"text": "mine"}, headers=_bearer(token)).json()
    author = app.get(f"/api/notes/{note['id']}?with=author", headers=_bearer(token)).json()["author"]
    assert set(author) == {"id", "email", "roles", "verified", "display_name", "created_at", "updated_at"}
    assert app.get("/api/users").status_code == 404  # no user collection until guards protect it
