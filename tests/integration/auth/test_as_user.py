"""app.as_user: a signed-in client without an HTTP round trip."""

from __future__ import annotations

import pytest

from harness import HarnessError, TestApp, assert_error

pytestmark = pytest.mark.app("auth-app")


def test_as_user_creates_the_user_and_signs_a_working_token(app: TestApp) -> None:
    admin = app.as_user("Boss@Example.com", roles=["admin", "ops"])
    assert admin.user["email"] == "boss@example.com"
    assert admin.user["roles"] == ["admin", "ops"]
    assert admin.user["verified"] is True
    assert admin.headers["authorization"] == f"Bearer {admin.token}"
    assert admin.get("/auth/me").json() == admin.user
    assert app.db["users"].count == 1


@pytest.mark.local_only("as_user on auth-app, which verifies emails, signs in only locally")
def test_as_user_again_updates_the_same_user(app: TestApp) -> None:
    first = app.as_user("ann@example.com")
    second = app.as_user("ann@example.com", roles=["admin"], verified=False)
    assert second.user["id"] == first.user["id"]
    assert (second.user["roles"], second.user["verified"]) == (["admin"], False)
    assert app.db["users"].count == 1


@pytest.mark.regression
@pytest.mark.local_only("as_user on auth-app, which verifies emails, signs in only locally")
def test_as_user_on_a_registered_user_keeps_their_password(app: TestApp) -> None:
    # as_user without a password used to replace a registered user's password with a random one
    registered = {"email": "ann@example.com", "password": "ann's own password"}
    assert app.post("/auth/register", json=registered).status_code == 201
    admin = app.as_user("ann@example.com", roles=["admin"])
    login = app.post("/auth/login", json=registered)
    assert login.status_code == 200
    assert login.json()["user"] == admin.user
    assert admin.user["roles"] == ["admin"]


@pytest.mark.local_only("as_user on auth-app, which verifies emails, signs in only locally")
def test_as_user_with_password_can_log_in_over_http(app: TestApp) -> None:
    ann = app.as_user("ann@example.com", password="correct horse battery")
    response = app.post("/auth/login", json={"email": "ann@example.com", "password": "correct horse battery"})
    assert response.status_code == 200
    assert response.json()["user"] == ann.user
    signed_in = app.get("/auth/me", headers={"Authorization": f"Bearer {response.json()['token']}"})
    assert signed_in.json() == ann.user
    wrong = app.post("/auth/login", json={"email": "ann@example.com", "password": "wrong horse battery"})
    assert_error(wrong, 401, "invalid_credentials")


def test_as_user_tokens_follow_the_app_clock(app: TestApp) -> None:
    app.clock.set("2030-01-01T00:00:00Z")
    ann = app.as_user("ann@example.com")
    app.clock.advance(minutes=59)  # token_ttl is one hour
    assert ann.get("/auth/me").json()["email"] == "ann@example.com"
    app.clock.advance(minutes=2)
    assert_error(ann.get("/auth/me"), 401, "unauthorized")


@pytest.mark.local_only("as_user on auth-app, which verifies emails, signs in only locally")
def test_as_user_clients_are_closed_with_the_app(test_app: object) -> None:
    app = test_app("auth-app")  # type: ignore[operator]
    client = app.as_user("ann@example.com")
    app.close()
    assert client.is_closed


@pytest.mark.local_only("pins the local as_user's refusal of an app without [auth]")
def test_as_user_needs_a_kiln_app_with_auth(test_app: object) -> None:
    app = test_app("todo-app")  # type: ignore[operator]
    with pytest.raises(
        HarnessError, match="as_user needs a kiln app with \\[auth\\]; todo has no \\[auth\\] table"
    ):
        app.as_user("ann@example.com")


def test_as_user_on_a_plain_asgi_app_is_a_harness_error(test_app: object) -> None:
    from starlette.applications import Starlette

    app = test_app(Starlette())  # type: ignore[operator]
    with pytest.raises(HarnessError, match="as_user needs a kiln app with \\[auth\\]"):
        app.as_user("ann@example.com")
