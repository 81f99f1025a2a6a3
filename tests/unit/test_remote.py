"""Remote mode: TestApp(base_url=...) starts nothing and talks to a server in another process."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness import LocalOnly, TestApp

FIXTURES = Path(__file__).parents[1] / "fixtures"


class Served:
    """A ``kiln serve`` process, its base URL and every line it wrote to stderr so far."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.url: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)  # drains the pipe
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def stop(self) -> None:
        """Terminate the server, let the reader drain the pipe, and close it."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        assert self.process.stderr is not None
        self.process.stderr.close()

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match[str] | None:
        """The first stderr line matching ``pattern``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(pattern, line)
                if found:
                    return found
            time.sleep(0.02)
        return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``kiln serve todo-app --port 0`` in a separate process."""
    data = tmp_path_factory.mktemp("remote-data")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiln",
            "serve",
            str(FIXTURES / "todo-app"),
            "--port",
            "0",
            "--data",
            str(data),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Served(process)
    found = server.wait_for(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")  # uvicorn announces its port
    if found is None:  # pragma: no cover - shows why the server did not start
        process.kill()
        pytest.fail("kiln serve did not start:\n" + "".join(server.lines))
    server.url = found.group(1)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kiln_server(served: Served) -> str:
    """The base URL of the ``kiln serve`` process."""
    assert served.url is not None
    return served.url


def test_kiln_serve_logs_each_line_with_its_request_id(served: Served, kiln_server: str) -> None:
    assert (
        httpx.get(kiln_server + "/api/noisy", headers={"X-Request-Id": "remote-trace-1"}).status_code == 200
    )
    assert served.wait_for(r"todo\.handlers \[remote-trace-1\] noisy handler ran for /api/noisy")
    assert served.wait_for(r'uvicorn\.access \[remote-trace-1\] .*"GET /api/noisy HTTP/1\.1" 200')
    assert served.wait_for(r"uvicorn\.error \[-\] Application startup complete")


def test_remote_testapp_talks_to_running_server(kiln_server: str) -> None:
    with TestApp("todo-app", base_url=kiln_server + "/") as app:
        assert app.remote
        assert app.url == kiln_server
        assert app.port == int(kiln_server.rsplit(":", 1)[1])
        assert app.get("/health").json() == {"status": "ok", "app": "todo", "mode": "dev"}
        assert [(e.method, e.path, e.status) for e in app.requests] == [("GET", "/health", 200)]
        assert "(remote)" in repr(app) or "remote" in repr(app)


@pytest.mark.parametrize("feature", ["db", "clock", "logs", "data_dir", "db_path"])
def test_remote_testapp_local_features_raise_local_only(kiln_server: str, feature: str) -> None:
    with (
        TestApp("todo-app", base_url=kiln_server) as app,
        pytest.raises(LocalOnly, match=rf"TestApp\.{feature} is not available in remote mode"),
    ):
        getattr(app, feature)


def test_remote_testapp_diagnostics_show_requests_not_internals(kiln_server: str) -> None:
    with TestApp("todo-app", base_url=kiln_server) as app:
        app.get("/nope")
        text = app.diagnostics()
    assert "GET /nope -> 404" in text
    assert "log tail: not available in remote mode" in text
    assert "data directory: on the remote server" in text


def test_remote_testapp_close_leaves_server_running(kiln_server: str) -> None:
    TestApp("todo-app", base_url=kiln_server).close()
    assert httpx.get(kiln_server + "/health").status_code == 200


def test_remote_as_user_registers_over_http(test_app: object, tmp_path: Path) -> None:
    import shutil

    from harness import HarnessError, TestApp

    folder = tmp_path / "open-auth"
    shutil.copytree(FIXTURES / "auth-app", folder)
    toml = folder / "app.toml"
    toml.write_text(toml.read_text().replace("verify_email = true", "verify_email = false"))
    with TestApp(folder) as server, TestApp("auth-app", base_url=server.url) as remote:
        ann = remote.as_user("ann@example.com")
        assert ann.get("/auth/me").json()["email"] == "ann@example.com"
        with pytest.raises(
            LocalOnly, match=r"TestApp\.as_user\(roles=\.\.\.\) is not available in remote mode"
        ):
            remote.as_user("boss@example.com", roles=["admin"])
    with (
        TestApp(FIXTURES / "auth-app") as server,
        TestApp("auth-app", base_url=server.url) as remote,
        pytest.raises(HarnessError, match="verifies emails before it signs anyone in"),
    ):
        remote.as_user("bob@example.com")


def test_requests_record_the_same_path_locally_and_remotely() -> None:
    import sample_apps

    with TestApp(sample_apps.app) as local, TestApp(sample_apps.app, base_url=local.url) as remote:
        local.get("/echo/my file.txt", params={"q": "a b"})
        remote.get("/echo/my file.txt", params={"q": "a b"})
        assert local.requests[-1].path == "/echo/my file.txt?q=a+b"
        assert remote.requests[-1].path == "/echo/my file.txt?q=a+b"
        assert [e.path for e in local.requests] == ["/echo/my file.txt?q=a+b"] * 2
