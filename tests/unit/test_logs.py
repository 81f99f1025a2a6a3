"""TestApp.logs holds the records its own server emitted, each with its request id."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sample_apps

from harness import TestApp


def test_logs_capture_app_records_with_request_id() -> None:
    with TestApp(sample_apps.app) as app:
        app.get("/log", params={"word": "kettle"}, headers={"x-request-id": "req-42"})
        records = [r for r in app.logs if r.name == "sample_apps"]
        assert [r.getMessage() for r in records] == ["async says kettle"]
        assert records[0].request_id == "req-42"  # type: ignore[attr-defined]
        assert records[0].levelno == logging.WARNING


def test_logs_capture_sync_endpoint_records_from_worker_thread() -> None:
    with TestApp(sample_apps.app) as app:
        app.get("/sync-log", params={"word": "teapot"})
        records = [r for r in app.logs if r.name == "sample_apps.sync"]
        assert [r.getMessage() for r in records] == ["sync says teapot"]
        assert records[0].request_id == app.requests[-1].request_id  # type: ignore[attr-defined]


def test_logs_are_kept_apart_between_two_instances() -> None:
    with TestApp(sample_apps.app) as one, TestApp(sample_apps.app) as two:
        for word in ("alpha", "beta"):
            one.get("/log", params={"word": word})
        two.get("/sync-log", params={"word": "gamma"})
        one.get("/sync-log", params={"word": "delta"})
        assert [m for m in one.logs.messages if "says" in m] == [
            "async says alpha",
            "async says beta",
            "sync says delta",
        ]
        assert [m for m in two.logs.messages if "says" in m] == ["sync says gamma"]


def test_logs_keep_the_traceback_of_a_failing_request() -> None:
    with TestApp(sample_apps.app) as app:
        assert app.get("/boom").status_code == 500
        errors = [r for r in app.logs if r.exc_info]
        assert errors, app.logs.text
        assert "RuntimeError: kaboom" in app.logs.text
        assert errors[0].request_id == app.requests[-1].request_id  # type: ignore[attr-defined]


def test_logs_ignore_records_from_the_test_thread() -> None:
    with TestApp(sample_apps.app) as app:
        logging.getLogger("sample_apps").warning("from the test itself")
        assert "from the test itself" not in app.logs.messages


def test_logs_remain_readable_after_close_and_root_level_is_restored() -> None:
    root = logging.getLogger()
    level = root.level
    app = TestApp(sample_apps.app)
    assert root.level <= logging.INFO
    app.get("/log", params={"word": "after"})
    app.close()
    assert "async says after" in app.logs.messages
    assert root.level == level
    assert len(app.logs[-2:]) == 2


@pytest.mark.regression
def test_logs_wait_for_work_the_server_does_after_answering() -> None:
    """A response can reach the client before its request has finished on the server: Starlette
    runs background tasks after sending, and uvicorn logs an escaped exception after the 500 went
    out. Reading logs or requests right after the response must still see that work."""
    with TestApp(sample_apps.app) as app:
        assert app.get("/background").text == "accepted"
        assert "background work finished" in app.logs.messages
        assert app.requests[-1].path == "/background"
        assert app.get("/boom").status_code == 500
        assert "RuntimeError: kaboom" in app.logs.text


@pytest.mark.regression
@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "GET"])
def test_requests_include_bodiless_responses_at_once(method: str) -> None:
    """A 204, a HEAD answer or an empty body is complete at its headers, before the body message
    the recorder waited on; `requests` missed such an exchange now and then."""

    async def slow_body(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        status = {"OPTIONS": 204, "HEAD": 200, "GET": 308}[scope["method"]]
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})  # type: ignore[operator]
        await asyncio.sleep(0.05)
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    with TestApp(slow_body) as app:
        app.request(method, "/")
        assert [(e.method, e.path) for e in app.requests] == [(method, "/")]
