"""TestApp.logs holds the records its own server emitted, each with its request id."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sample_apps
from leakcheck import server_threads

from harness import TestApp
from harness.server import ServerThread


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


def test_uvicorn_access_logger_is_put_back_exactly_after_the_last_app_stops() -> None:
    assert server_threads() == [], "another test left a server running; this one needs to be the last"
    access = logging.getLogger("uvicorn.access")
    saved = (access.level, list(access.handlers), access.propagate)
    mine = logging.NullHandler()
    access.addHandler(mine)
    access.setLevel(logging.DEBUG)
    access.propagate = True
    try:
        one = TestApp(sample_apps.app)
        two = TestApp(sample_apps.app)
        assert access.propagate is False  # uvicorn's own setting while access logs are off
        one.close()  # out of order: the other app still serves
        assert access.propagate is False
        assert two.get("/echo").status_code == 200
        two.close()
        assert (access.level, access.handlers, access.propagate) == (logging.DEBUG, [mine], True)
        server = ServerThread(sample_apps.app)  # a bare server thread puts it back too
        server.start()
        assert access.propagate is False
        server.stop()
        assert (access.level, access.handlers, access.propagate) == (logging.DEBUG, [mine], True)
    finally:
        access.setLevel(saved[0])
        access.handlers[:] = saved[1]
        access.propagate = saved[2]


def test_root_logger_gets_back_its_handlers_and_level() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with TestApp(sample_apps.app) as app:
        assert len(root.handlers) == len(handlers) + 1
        app.get("/log")
    assert root.handlers == handlers
    assert root.level == level


def test_records_from_a_plain_thread_reach_the_only_serving_app() -> None:
    with TestApp(sample_apps.with_thread) as app:
        assert app.get("/thread-log").text == "logged"
        (record,) = [r for r in app.logs if r.name == "sample_apps.thread"]
        assert record.getMessage() == "from a plain thread"
        assert record.threadName == "sample-worker"


def test_records_from_a_plain_thread_reach_no_app_while_several_serve() -> None:
    with TestApp(sample_apps.with_thread) as app, TestApp(sample_apps.app) as other:
        assert app.get("/thread-log").text == "logged"
        other.get("/log")
        assert "from a plain thread" not in app.logs.messages  # it cannot be told whose thread it is
        assert "from a plain thread" not in other.logs.messages
        assert "async says hello" in other.logs.messages
