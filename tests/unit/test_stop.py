"""Stopping never hides a failure: every cleanup step runs, failures are raised, retries finish."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import sample_apps
from leakcheck import open_fds, server_threads

from harness import StartTimeout, StopError, TestApp
from harness.server import _Connections
from harness.teardown import Teardown


def test_teardown_runs_every_step_newest_first_even_when_one_fails() -> None:
    ran: list[str] = []
    teardown = Teardown()
    teardown.push(lambda: ran.append("first"))

    def failing() -> None:
        ran.append("second")
        raise RuntimeError("second step broke")

    teardown.push(failing)
    teardown.push(lambda: ran.append("third"))
    with pytest.raises(RuntimeError, match="second step broke"):
        teardown.close()
    assert ran == ["third", "second", "first"]
    assert teardown.pending


def test_teardown_retry_runs_only_the_failed_steps_in_their_order() -> None:
    ran: list[str] = []
    failures = {"a": 1, "b": 1}

    def step(name: str) -> Any:
        def run() -> None:
            ran.append(name)
            if failures.get(name):
                failures[name] -= 1
                raise RuntimeError(f"{name} failed")

        return run

    teardown = Teardown()
    for name in ["a", "ok", "b"]:
        teardown.push(step(name))
    with pytest.raises(RuntimeError, match="b failed") as info:
        teardown.close()
    assert info.value.__notes__ == ["and then: RuntimeError: a failed"]  # a's failure is not lost
    assert ran == ["b", "ok", "a"]
    ran.clear()
    teardown.close()
    assert ran == ["b", "a"]
    assert not teardown.pending
    teardown.close()
    assert ran == ["b", "a"]


def test_close_with_a_failing_step_still_stops_the_server_and_removes_the_data(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TestApp(sample_apps.app, data_root=data_root)
    real_close = httpx.Client.close
    calls = []

    def close_once_broken(client: httpx.Client) -> None:
        calls.append("close")
        if len(calls) == 1:
            raise OSError("client would not close")
        real_close(client)

    monkeypatch.setattr(httpx.Client, "close", close_once_broken)
    assert app.get("/echo").status_code == 200  # the client, made now, registers its close
    with pytest.raises(OSError, match="client would not close"):
        app.close()
    assert server_threads() == []
    assert list(data_root.iterdir()) == []
    assert app.closed
    app.close()  # the retry runs the failed step again, and now it succeeds
    assert calls == ["close", "close"]
    app.close()
    assert calls == ["close", "close"]


def test_lifespan_shutdown_that_raises_fails_close_with_the_apps_message(data_root: Path) -> None:
    with pytest.raises(StopError, match=r"OSError: could not flush the write-ahead log to /srv/wal") as info:  # noqa: SIM117
        with TestApp(sample_apps.shutdown_raises, data_root=data_root) as app:
            assert app.get("/echo").status_code == 200
    assert isinstance(info.value.cause, OSError)
    assert info.value.__cause__ is info.value.cause
    assert server_threads() == []
    assert list(data_root.iterdir()) == []


@pytest.mark.slow
def test_thread_that_will_not_stop_fails_close_and_keeps_the_data(data_root: Path) -> None:
    gate = sample_apps.Gate()
    app = TestApp(sample_apps.gated_shutdown(gate), data_root=data_root, shutdown_timeout=0.05)
    data_dir = app.data_dir
    with pytest.raises(StopError, match=r"did not stop within 1\.15s; it is still running") as info:
        app.close()
    assert info.value.__notes__ == [
        f"and then: StopError: kept the data directory of {app.name} at {data_dir}: "
        "its server thread is still running and may be using it"
    ]
    assert gate.reached.is_set()
    assert data_dir.is_dir()  # never removed under the live thread
    assert app.kept_data_dir == data_dir
    gate.open()
    app.close()  # the retry waits for the thread again, and now it ends
    assert server_threads() == []


@pytest.mark.slow
def test_start_timeout_keeps_the_data_dir_and_lets_the_thread_close_its_socket(data_root: Path) -> None:
    before = open_fds()
    gate = sample_apps.Gate()
    with pytest.raises(StartTimeout, match="its startup blocks the event loop") as info:
        TestApp(sample_apps.gated_startup(gate), data_root=data_root, startup_timeout=0.05)
    (kept,) = list(data_root.iterdir())
    assert any("kept the data directory" in note and str(kept) in note for note in info.value.__notes__)
    (thread,) = server_threads()
    port = int(thread.name.rsplit("-", 1)[1])
    gate.open()
    thread.join(5)
    assert not thread.is_alive()
    # the thread closed the listening socket it owned (fewer is fine: an earlier test's server
    # may finish closing its own meanwhile)
    assert open_fds() <= before
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
    assert kept.is_dir()


def test_request_in_flight_is_answered_before_the_port_closes(data_root: Path) -> None:
    gate = sample_apps.Gate()
    app = TestApp(sample_apps.gated_request(gate), data_root=data_root)
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=app.url, trust_env=False) as client:
        # an earlier connection that came and went, so "no connections" has been seen before
        assert client.get("/missing", headers={"Connection": "close"}).status_code == 404

        def ask() -> None:
            answers.append(client.get("/hold"))

        asker = threading.Thread(target=ask)
        asker.start()
        assert gate.reached.wait(5)
        closer = threading.Thread(target=app.close)
        closer.start()
        closer.join(0.2)
        assert closer.is_alive()  # close waits for the request in flight
        gate.open()
        closer.join(10)
        asker.join(10)
    assert not closer.is_alive()
    (answer,) = answers
    assert answer.status_code == 200
    assert answer.text == "held to the end " * 1000
    assert server_threads() == []


def test_connections_event_is_set_exactly_while_empty() -> None:
    async def scenario() -> list[bool]:
        connections = _Connections()
        seen = [connections.emptied.is_set()]
        first, second = object(), object()
        connections.add(first)
        seen.append(connections.emptied.is_set())
        connections.add(second)
        connections.discard(first)
        seen.append(connections.emptied.is_set())
        connections.remove(second)
        seen.append(connections.emptied.is_set())
        connections.add(first)
        seen.append(connections.emptied.is_set())
        return seen

    assert asyncio.run(scenario()) == [True, False, False, True, False]
