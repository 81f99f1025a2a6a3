"""Fixtures for the auth category: signing up the way a person does, through the verification mail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from harness import TestApp

PASSWORD = "correct horse battery"


@pytest.fixture
def signup() -> Callable[..., dict[str, Any]]:
    """``signup(app, email, password, **fields)``: register, follow the mailed token, log in.

    Returns ``{"user", "token"}`` as login answers it.
    """

    def sign_up(
        app: TestApp, email: str = "ann@example.com", password: str = PASSWORD, **fields: Any
    ) -> dict[str, Any]:
        registered = app.post("/auth/register", json={"email": email, "password": password, **fields})
        assert registered.status_code == 201, registered.text
        mail = app.mail.sent_to(email)[-1]  # remotely from the dev outbox of kiln serve
        token = re.search(r"token: (\S+)", mail.body).group(1)  # type: ignore[union-attr]
        assert app.post("/auth/verify", json={"token": token}).status_code == 200
        login = app.post("/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        return login.json()  # type: ignore[no-any-return]

    return sign_up
