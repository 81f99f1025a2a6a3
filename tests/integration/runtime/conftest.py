"""Fixtures of the runtime category: runtime-app with a secret, an admin, and a fake mail server."""

from __future__ import annotations

from typing import Any

import pytest

from harness import LocalOnly, TestApp, UserClient
from harness.fakes import FakeSMTP

#: The value of runtime-app's API_KEY in these tests: long and unusual, so finding it means a leak.
API_KEY = "sk-live-7f3a9c2e51d04b8e"


@pytest.fixture
def api_key() -> str:
    """The secret value the ``runtime_app`` fixture is given as ``API_KEY``."""
    return API_KEY


@pytest.fixture
def runtime_app(test_app: Any) -> TestApp:
    """runtime-app with ``API_KEY`` set (locally) and its clock at 2026-01-01T00:00:00Z; remotely, the
    server ``--base-url`` names."""
    try:
        app: TestApp = test_app("runtime-app", secrets={"API_KEY": API_KEY})
    except LocalOnly:  # a running server has its own secrets
        return test_app("runtime-app")  # type: ignore[no-any-return]
    if not app.remote:
        app.clock.set("2026-01-01T00:00:00Z")  # back from real time: no job comes due on the way
    return app


@pytest.fixture
def admin(runtime_app: TestApp) -> UserClient:
    """A client signed in as an admin of ``runtime_app`` (local only: roles are granted directly)."""
    return runtime_app.as_user("admin@example.com", roles=["admin"])


@pytest.fixture
def mailing_app(test_app: Any, fake_smtp: FakeSMTP) -> TestApp:
    """runtime-app delivering its mail to the test's own ``fake_smtp``."""
    app: TestApp = test_app("runtime-app", settings={"mail.outbound": fake_smtp.url})
    app.clock.set("2026-01-01T00:00:00Z")
    return app
