"""Email verification: registering mails a token; logging in waits for it; following it verifies."""

from __future__ import annotations

import re

import pytest

from harness import TestApp, assert_error, unique_id

pytestmark = pytest.mark.app("auth-app")
PASSWORD = "correct horse battery"


def _register(app: TestApp, email: str = "ann@example.com") -> str:
    assert app.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    mail = app.mail.sent_to(email)[-1]  # remotely from the dev outbox of kiln serve
    return re.search(r"token: (\S+)", mail.body).group(1)  # type: ignore[union-attr]


def _address(name: str) -> str:
    """An address of this test's own, so the test also runs against a shared server."""
    return f"{unique_id(name)}@example.com".lower()


def test_login_before_verification_is_403_email_not_verified(app: TestApp) -> None:
    ann = _address("ann")
    _register(app, ann)
    error = assert_error(
        app.post("/auth/login", json={"email": ann, "password": PASSWORD}),
        403,
        "email_not_verified",
    )
    assert error["message"] == f"verify your email address first: a link was sent to {ann}"


def test_following_the_mailed_token_verifies_and_lets_the_user_in(app: TestApp) -> None:
    ann = _address("ann")
    token = _register(app, ann)
    response = app.post("/auth/verify", json={"token": token})
    assert response.status_code == 200
    assert response.json()["user"]["verified"] is True
    login = app.post("/auth/login", json={"email": ann, "password": PASSWORD})
    assert login.status_code == 200
    assert login.json()["user"]["verified"] is True
    assert login.json()["user"]["email"] == ann


@pytest.mark.local_only("reads the users table")
def test_verifying_stores_it(app: TestApp) -> None:
    app.post("/auth/verify", json={"token": _register(app)})
    assert app.db["users"].get(1)["verified"] == 1


def test_each_registration_mails_its_own_address(app: TestApp) -> None:
    ann, bob = _address("ann"), _address("bob")
    _register(app, ann)
    _register(app, bob)
    [to_ann], [to_bob] = app.mail.sent_to(ann), app.mail.sent_to(bob)
    assert (to_ann.to, to_bob.to) == (ann, bob)
    assert to_ann.body != to_bob.body


def test_verification_token_expires_after_two_days(app: TestApp) -> None:
    app.clock.set("2030-01-01T00:00:00Z")
    token = _register(app)
    app.clock.advance(days=2)
    error = assert_error(app.post("/auth/verify", json={"token": token}), 400, "bad_request")
    assert error["message"] == "the verification token is invalid or expired"
    assert app.db["users"].get(1)["verified"] == 0


@pytest.mark.local_only("reads the verification mail")
def test_an_access_token_does_not_verify_and_a_verification_token_does_not_sign_in(app: TestApp) -> None:
    verification = _register(app)
    access = app.as_user("bob@example.com", verified=False).token
    assert_error(app.post("/auth/verify", json={"token": access}), 400, "bad_request")
    assert app.db["users"].get(2)["verified"] == 0
    assert_error(
        app.get("/auth/me", headers={"Authorization": f"Bearer {verification}"}), 401, "unauthorized"
    )


@pytest.mark.local_only("signs a user in with as_user, and auth-app verifies emails")
@pytest.mark.parametrize(
    ("body", "status", "code"), [({}, 422, "validation_failed"), ({"token": "nonsense"}, 400, "bad_request")]
)
def test_verify_with_bad_input(app: TestApp, body: dict, status: int, code: str) -> None:
    _register(app)
    assert_error(app.post("/auth/verify", json=body), status, code)
    assert app.db["users"].get(1)["verified"] == 0


@pytest.mark.local_only("reads the verification mail")
def test_verified_guard_opens_after_verification(app: TestApp) -> None:
    token = _register(app)
    unverified = app.as_user("ann@example.com", verified=False)  # keeps the password Ann chose
    assert_error(unverified.post("/api/secrets", json={"text": "before"}), 403, "email_not_verified")
    assert app.db["secrets"].count == 0
    assert app.post("/auth/verify", json={"token": token}).status_code == 200
    access = app.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).json()["token"]
    response = app.post("/api/secrets", json={"text": "after"}, headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 201
    assert [row["text"] for row in app.db["secrets"].rows] == ["after"]
