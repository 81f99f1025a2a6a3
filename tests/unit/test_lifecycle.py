"""Starting and stopping: failures carry the app's own error, nothing hangs, nothing leaks."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import sample_apps
from leakcheck import open_fds, server_threads

from harness import StartError, StartTimeout, StopError, TestApp
from harness.server import ServerThread, bind_socket

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_lifespan_startup_and_shutdown_run_once(events: list[str]) -> None:
    with TestApp(sample_apps.with_lifespan) as app:
        assert events == ["startup"]
        assert app.get("/echo").status_code == 200
    assert events == ["startup", "shutdown"]


@pytest.mark.timeout(10)
def test_lifespan_startup_failure_raises_app_error(data_root: Path) -> None:
    with pytest.raises(StartError, match=r"ConnectionRefusedError: database at db\.invalid refused") as info:
        TestApp(sample_apps.lifespan_fails, data_root=data_root)
    assert isinstance(info.value.cause, ConnectionRefusedError)
    assert info.value.__cause__ is info.value.cause
    assert server_threads() == []
    assert list(data_root.iterdir()) == []


@pytest.mark.timeout(10)
def test_hanging_startup_raises_start_timeout(data_root: Path) -> None:
    with pytest.raises(StartTimeout, match=r"did not finish within 0.3s"):
        TestApp(sample_apps.startup_hangs, startup_timeout=0.3, data_root=data_root)
    assert server_threads() == []
    assert list(data_root.iterdir()) == []


@pytest.mark.timeout(10)
def test_startup_blocking_the_loop_raises_and_the_thread_cleans_up(events: list[str]) -> None:
    with pytest.raises(StartTimeout, match="its startup blocks the event loop"):
        TestApp(sample_apps.startup_blocks, startup_timeout=0.2)
    # The thread cannot be killed while the app blocks it. Once unblocked, the loop's own startup
    # timeout fires and the lifespan is cancelled: the start already failed, so no shutdown runs.
    for thread in server_threads():
        thread.join(5)
    assert server_threads() == []
    assert events == ["startup-unblocked"]


def test_import_error_raises_start_error_with_cause(data_root: Path) -> None:
    with pytest.raises(StartError, match="cannot import 'broken_import': ModuleNotFoundError") as info:
        TestApp("broken_import:app", data_root=data_root)
    assert isinstance(info.value.cause, ModuleNotFoundError)
    assert info.value.cause.name == "this_dependency_does_not_exist"
    assert list(data_root.iterdir()) == []


def test_missing_attribute_raises_start_error() -> None:
    with pytest.raises(StartError, match="module 'sample_apps' has no attribute 'nope'"):
        TestApp("sample_apps:nope")


def test_broken_kiln_manifest_raises_start_error_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text('[app]\nnmae = "x"\n')
    with pytest.raises(StartError) as info:
        TestApp(tmp_path)
    message = str(info.value)
    assert 'app.toml: app.nmae: unknown key "nmae" (did you mean "name"?)' in message
    assert "app.toml: app.name: is required" in message
    assert "Traceback" not in message


def test_bind_failure_raises_start_error_and_closes_socket() -> None:
    taken = bind_socket()
    taken.listen()
    port = taken.getsockname()[1]
    before = open_fds()
    try:
        with pytest.raises(StartError, match=f"cannot bind 127.0.0.1:{port}: Address already in use") as info:
            ServerThread(sample_apps.app, port=port).start()
        assert isinstance(info.value.cause, OSError)
    finally:
        taken.close()
    assert open_fds() < before  # the failed socket is closed, and so is the one we took
    assert server_threads() == []


def test_bind_to_unavailable_address_raises_start_error() -> None:
    with pytest.raises(StartError, match=r"cannot bind 203\.0\.113\.1:0") as info:
        bind_socket("203.0.113.1", 0)
    assert isinstance(info.value.cause, OSError)


def test_listening_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    sock = bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


@pytest.mark.timeout(10)
def test_hanging_shutdown_is_cancelled_and_fails_the_close(events: list[str], data_root: Path) -> None:
    app = TestApp(sample_apps.shutdown_hangs, shutdown_timeout=0.2, data_root=data_root)
    with pytest.raises(StopError, match=r"app lifespan shutdown did not finish within 0\.2s; cancelled"):
        app.close()
    assert events == ["startup", "shutdown-begins"]
    assert server_threads() == []
    assert list(data_root.iterdir()) == []  # the thread stopped, so the directory could go
    app.close()  # nothing left to do


def test_stop_is_idempotent() -> None:
    server = ServerThread(sample_apps.app)
    server.start()
    assert server.running
    server.stop()
    server.stop()
    assert not server.running


def test_start_stop_cycles_leave_no_threads_fds_or_dirs(data_root: Path) -> None:
    # warm up once so lazily created process-wide resources are not counted as leaks
    with TestApp(sample_apps.app, data_root=data_root) as app:
        app.get("/echo")
        app.get("/sync-log")
    threads, fds = len(server_threads()), open_fds()
    for _ in range(200):
        with TestApp(sample_apps.app, data_root=data_root) as app:
            assert app.get("/echo").status_code == 200
            assert app.get("/sync-log").text == "hello"
    assert len(server_threads()) == threads == 0
    assert open_fds() == fds
    assert list(data_root.iterdir()) == []


def test_kiln_start_stop_cycles_leave_no_dirs(data_root: Path) -> None:
    for _ in range(50):
        with TestApp(FIXTURES / "todo-app", data_root=data_root) as app:
            assert app.get("/health").json()["app"] == "todo"
    assert list(data_root.iterdir()) == []


def _reports_startup_failed(message: str) -> Any:
    """A raw ASGI app whose lifespan answers ``lifespan.startup.failed`` with ``message``."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": message})

    return app


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("connecting\nretrying\nthe database is down\n", "app lifespan startup failed: the database is down"),
        ("", "app lifespan startup failed: the app reported lifespan.startup.failed"),
    ],
    ids=["last-line-of-the-message", "no-message"],
)
def test_a_reported_startup_failure_shows_its_last_line(data_root: Path, message: str, shown: str) -> None:
    with pytest.raises(StartError) as refused:
        TestApp(_reports_startup_failed(message), data_root=data_root)
    assert str(refused.value).splitlines()[0] == shown
