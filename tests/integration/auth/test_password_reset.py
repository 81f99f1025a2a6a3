"""Password reset: /auth/forgot mails a one-hour token to a known address and answers every
address alike; /auth/reset sets the new password once and retires every older token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.app("auth-app")
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
ANSWER = {"message": "if that address is registered, a mail with a reset token is on its way"}


def _reset_token(app: TestApp, email: str = "ann@example.com") -> str:
    response = app.post("/auth/forgot", json={"email": email})
    assert response.status_code == 202
    assert response.json() == ANSWER
    mail = app.mail.outbox[-1]
    assert (mail.to, mail.subject) == (email.lower(), "Reset your password")
    return re.search(r"token: (\S+)", mail.body).group(1)  # type: ignore[union-attr]


def _login(app: TestApp, password: str) -> int:
    return app.post("/auth/login", json={"email": "ann@example.com", "password": password}).status_code


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


@pytest.mark.local_only("reads the reset mail")
def test_only_a_known_address_gets_a_mail(app: TestApp, signup: Callable[..., dict[str, Any]]) -> None:
    signup(app)
    before = len(app.mail.outbox)
    app.post("/auth/forgot", json={"email": "nobody@example.com"})
    assert len(app.mail.outbox) == before
    _reset_token(app, "ANN@example.com")
    assert len(app.mail.outbox) == before + 1


@pytest.mark.local_only("reads the reset mail")
def test_the_mailed_token_sets_a_new_password(app: TestApp, signup: Callable[..., dict[str, Any]]) -> None:
    signup(app)
    token = _reset_token(app)

    response = app.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == "ann@example.com"
    assert app.get("/auth/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200
    assert _login(app, NEW_PASSWORD) == 200
    assert _login(app, PASSWORD) == 401


@pytest.mark.local_only("reads the reset mail")
def test_a_reset_revokes_every_older_token(app: TestApp, signup: Callable[..., dict[str, Any]]) -> None:
    old = signup(app)["token"]
    assert app.get("/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200

    app.post("/auth/reset", json={"token": _reset_token(app), "password": NEW_PASSWORD})

    assert_error(app.get("/auth/me", headers={"Authorization": f"Bearer {old}"}), 401, "unauthorized")


@pytest.mark.local_only("reads the reset mail")
def test_a_reset_token_works_once(app: TestApp, signup: Callable[..., dict[str, Any]]) -> None:
    signup(app)
    token = _reset_token(app)
    assert app.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD}).status_code == 200

    again = app.post("/auth/reset", json={"token": token, "password": "yet another passphrase"})

    assert_error(again, 400, "bad_request")
    assert _login(app, NEW_PASSWORD) == 200


@pytest.mark.local_only("reads the reset mail and moves the clock")
def test_a_reset_token_expires_after_an_hour(app: TestApp, signup: Callable[..., dict[str, Any]]) -> None:
    signup(app)
    token = _reset_token(app)
    app.clock.advance(minutes=60)

    assert_error(app.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD}), 400, "bad_request")
    assert _login(app, PASSWORD) == 200


@pytest.mark.local_only("reads the mail")
def test_a_verification_token_cannot_reset_a_password(app: TestApp) -> None:
    app.post("/auth/register", json={"email": "ann@example.com", "password": PASSWORD})
    verification = re.search(r"token: (\S+)", app.mail.outbox[-1].body).group(1)  # type: ignore[union-attr]

    refused = app.post("/auth/reset", json={"token": verification, "password": NEW_PASSWORD})

    assert_error(refused, 400, "bad_request")
    assert app.db["users"].get(1)["verified"] == 0


@pytest.mark.local_only("reads the reset mail")
def test_a_reset_verifies_the_address_it_was_mailed_to(app: TestApp) -> None:
    app.post("/auth/register", json={"email": "ann@example.com", "password": PASSWORD})
    assert _login(app, PASSWORD) == 403  # not verified yet

    app.post("/auth/reset", json={"token": _reset_token(app), "password": NEW_PASSWORD})

    assert app.db["users"].get(1)["verified"] == 1
    assert _login(app, NEW_PASSWORD) == 200
