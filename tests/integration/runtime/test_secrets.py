"""Secrets: handlers see them, and their values never reach a log line, an error body,
``diagnostics()`` or ``/openapi.json``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness import TestApp

pytestmark = pytest.mark.local_only("gives the app its own secrets")


def test_a_handler_sees_that_the_secret_is_set(runtime_app: TestApp) -> None:
    assert runtime_app.get("/api/status").json() == {"secrets": {"API_KEY": True}}


def test_without_the_secret_the_handler_sees_none(test_app: Any) -> None:
    app = test_app("runtime-app")
    assert app.get("/api/status").json() == {"secrets": {"API_KEY": False}}
    response = app.get("/api/upstream")  # ctx.secrets["API_KEY"] raises KeyError
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


def test_an_environment_variable_overrides_the_given_secret(
    test_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILN_SECRET_API_KEY", "from-the-environment")
    app = test_app("runtime-app", secrets={"API_KEY": "given-by-the-test"})
    app.get("/api/upstream")
    [warning] = [record for record in app.logs if record.name == "runtime-app"]
    assert warning.getMessage() == "calling the upstream with key [secret]"
    assert "from-the-environment" not in app.diagnostics()


def test_an_environment_variable_adds_a_secret(test_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILN_SECRET_API_KEY", "only-in-the-environment")
    app = test_app("runtime-app")
    assert app.get("/api/status").json() == {"secrets": {"API_KEY": True}}


def test_the_value_is_taken_out_of_the_log_line_and_the_traceback(runtime_app: TestApp, api_key: str) -> None:
    response = runtime_app.get("/api/upstream")
    assert response.status_code == 500
    messages = runtime_app.logs.messages
    assert "calling the upstream with key [secret]" in messages
    rendered = [record.exc_text or "" for record in runtime_app.logs]
    assert any("RuntimeError: the upstream refused key [secret]" in text for text in rendered)
    assert all(api_key not in text for text in [*messages, *rendered])


def test_the_value_is_in_no_error_body_and_no_diagnostics(runtime_app: TestApp, api_key: str) -> None:
    response = runtime_app.get("/api/upstream")
    assert api_key not in response.text
    assert response.json()["error"]["message"] == "Internal server error"
    diagnostics = runtime_app.diagnostics()
    assert "GET /api/upstream" in diagnostics  # the failed request is there ...
    assert "the upstream refused key [secret]" in diagnostics  # ... and its traceback, redacted
    assert api_key not in diagnostics


def test_the_value_is_not_in_the_openapi_document(runtime_app: TestApp, api_key: str) -> None:
    document = runtime_app.get("/openapi.json").json()
    assert api_key not in json.dumps(document)
    assert "/api/_cron" in document["paths"]
