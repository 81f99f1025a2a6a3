"""Repeated failed logins answer 429 with Retry-After, counted on the app's clock."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, assert_error

pytestmark = pytest.mark.app("auth-app")
PASSWORD = "correct horse battery"


def _login(app: TestApp, email: str, password: str, address: str | None = None) -> Any:
    return app.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture
def ann(app: TestApp) -> TestApp:
    app.clock.set("2030-01-01T00:00:00Z")
    app.as_user("ann@example.com", password=PASSWORD)
    return app


def test_five_failures_then_429_with_retry_after(ann: TestApp) -> None:
    for _ in range(5):
        assert_error(_login(ann, "ann@example.com", "wrong password"), 401, "invalid_credentials")
    response = _login(ann, "ann@example.com", PASSWORD)  # even the right password waits
    error = assert_error(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "900"
    assert error["message"] == "too many failed logins: try again in 900 seconds"


def test_the_block_ends_when_the_oldest_failure_leaves_the_window(ann: TestApp) -> None:
    for minute in range(5):
        ann.clock.set(f"2030-01-01T00:0{minute}:00Z")
        _login(ann, "ann@example.com", "wrong password")
    ann.clock.set("2030-01-01T00:10:00Z")
    assert _login(ann, "ann@example.com", PASSWORD).headers["retry-after"] == "300"  # 00:00 + 15 min - 00:10
    ann.clock.set("2030-01-01T00:15:00Z")
    assert _login(ann, "ann@example.com", PASSWORD).status_code == 200


def test_success_clears_the_emails_count_but_not_the_addresss(ann: TestApp) -> None:
    for _ in range(4):
        _login(ann, "ann@example.com", "wrong password")
    assert _login(ann, "ann@example.com", PASSWORD).status_code == 200  # the email starts again
    assert (
        _login(ann, "ann@example.com", "wrong password").status_code == 401
    )  # 1 for the email, 5 for the address
    assert_error(_login(ann, "ann@example.com", PASSWORD), 429, "rate_limited")  # the address is blocked


def test_failures_for_unknown_emails_count_per_client_address(ann: TestApp) -> None:
    for n in range(5):  # one address trying many emails
        _login(ann, f"guess{n}@example.com", "whatever password")
    response = _login(ann, "ann@example.com", PASSWORD)
    assert_error(response, 429, "rate_limited")


def test_limits_follow_auth_settings(tmp_path: Any, test_app: Any) -> None:
    import shutil
    from pathlib import Path

    folder = tmp_path / "strict"
    shutil.copytree(Path(__file__).parents[2] / "fixtures" / "auth-app", folder)
    toml = folder / "app.toml"
    toml.write_text(
        toml.read_text().replace(
            "token_ttl = 3600", "token_ttl = 3600\nmax_login_failures = 2\nlogin_window = 60"
        )
    )
    app = test_app(folder)
    app.as_user("ann@example.com", password=PASSWORD)
    for _ in range(2):
        _login(app, "ann@example.com", "wrong password")
    assert _login(app, "ann@example.com", PASSWORD).headers["retry-after"] == "60"
