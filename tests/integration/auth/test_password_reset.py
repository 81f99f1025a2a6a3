"""Password reset: /auth/forgot mails a one-hour token to a known address and answers every
address alike; /auth/reset sets the new password once and retires every older token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

pytestmark = pytest.mark.app("auth-app")
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
ANSWER = {"message": "if that address is registered, a mail with a reset token is on its way"}


@pytest.fixture
def ann() -> str:
    """An address of this test's own, so the test also runs against a shared server."""
    return f"{unique_id('ann')}@example.com".lower()


def _reset_token(app: TestApp, email: str) -> str:
    response = app.post("/auth/forgot", json={"email": email})
    assert response.status_code == 202
    assert response.json() == ANSWER
    mail = app.mail.sent_to(email)[-1]  # remotely from the dev outbox of kiln serve
    assert (mail.to, mail.subject) == (email.lower(), "Reset your password")
    return re.search(r"token: (\S+)", mail.body).group(1)  # type: ignore[union-attr]


def _login(app: TestApp, email: str, password: str) -> int:
    return app.post("/auth/login", json={"email": email, "password": password}).status_code


def test_forgot_answers_an_unknown_address_as_a_known_one(app: TestApp) -> None:
    response = app.post("/auth/forgot", json={"email": "nobody@example.com"})
    assert response.status_code == 202
    assert response.json() == ANSWER


def test_forgot_without_an_email_is_422(app: TestApp) -> None:
    error = assert_error(app.post("/auth/forgot", json={}), 422, "validation_failed")
    assert error["fields"] == {"email": "is required"}


def test_reset_with_a_token_that_is_not_one_is_400_and_changes_nothing(app: TestApp) -> None:
    error = assert_error(
        app.post("/auth/reset", json={"token": "not.a.token", "password": NEW_PASSWORD}), 400, "bad_request"
    )
    assert error["message"] == "the reset token is invalid or expired"


def test_reset_names_each_missing_or_short_field(app: TestApp) -> None:
    error = assert_error(app.post("/auth/reset", json={"password": "short"}), 422, "validation_failed")
    assert error["fields"] == {"token": "is required", "password": "must be at least 8 characters"}


def test_only_a_known_address_gets_a_mail(
    app: TestApp, signup: Callable[..., dict[str, Any]], ann: str
) -> None:
    signup(app, ann)
    nobody = f"{unique_id('nobody')}@example.com".lower()
    app.post("/auth/forgot", json={"email": nobody})
    assert app.mail.sent_to(nobody) == []
    assert app.post("/auth/forgot", json={"email": ann.upper()}).status_code == 202
    assert [m.subject for m in app.mail.sent_to(ann)] == ["Verify your email address", "Reset your password"]


@pytest.mark.local_only(
    "fails logins, which a shared server counts against one client address for every test"
)
def test_the_mailed_token_sets_a_new_password(
    app: TestApp, signup: Callable[..., dict[str, Any]], ann: str
) -> None:
    signup(app, ann)
    token = _reset_token(app, ann)

    response = app.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == ann
    assert app.get("/auth/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200
    assert _login(app, ann, NEW_PASSWORD) == 200
    assert _login(app, ann, PASSWORD) == 401


def test_a_reset_revokes_every_older_token(
    app: TestApp, signup: Callable[..., dict[str, Any]], ann: str
) -> None:
    old = signup(app, ann)["token"]
    assert app.get("/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200

    app.post("/auth/reset", json={"token": _reset_token(app, ann), "password": NEW_PASSWORD})

    assert_error(app.get("/auth/me", headers={"Authorization": f"Bearer {old}"}), 401, "unauthorized")


def test_a_reset_token_works_once(app: TestApp, signup: Callable[..., dict[str, Any]], ann: str) -> None:
    signup(app, ann)
    token = _reset_token(app, ann)
    assert app.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD}).status_code == 200

    again = app.post("/auth/reset", json={"token": token, "password": "yet another passphrase"})

    assert_error(again, 400, "bad_request")
    assert _login(app, ann, NEW_PASSWORD) == 200


@pytest.mark.local_only("reads the reset mail and moves the clock")
def test_a_reset_token_expires_after_an_hour(
    app: TestApp, signup: Callable[..., dict[str, Any]], ann: str
) -> None:
    signup(app, ann)
    token = _reset_token(app, ann)
    app.clock.advance(minutes=60)

    assert_error(app.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD}), 400, "bad_request")
    assert _login(app, ann, PASSWORD) == 200


@pytest.mark.local_only(
    "fails logins, which a shared server counts against one client address for every test"
)
def test_a_verification_token_cannot_reset_a_password(app: TestApp, ann: str) -> None:
    app.post("/auth/register", json={"email": ann, "password": PASSWORD})
    verification = re.search(r"token: (\S+)", app.mail.sent_to(ann)[-1].body).group(1)  # type: ignore[union-attr]

    refused = app.post("/auth/reset", json={"token": verification, "password": NEW_PASSWORD})

    assert_error(refused, 400, "bad_request")
    assert _login(app, ann, NEW_PASSWORD) == 401  # the password is as it was
    assert _login(app, ann, PASSWORD) == 403  # and the address still unverified


def test_a_reset_verifies_the_address_it_was_mailed_to(app: TestApp, ann: str) -> None:
    app.post("/auth/register", json={"email": ann, "password": PASSWORD})
    assert _login(app, ann, PASSWORD) == 403  # not verified yet

    reset = app.post("/auth/reset", json={"token": _reset_token(app, ann), "password": NEW_PASSWORD})

    assert reset.json()["user"]["verified"] is True
    assert _login(app, ann, NEW_PASSWORD) == 200
