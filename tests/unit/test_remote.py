"""Remote mode: TestApp(base_url=...) starts nothing and talks to a server in another process."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness import LocalOnly, TestApp

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def kiln_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kiln serve todo-app --port 0`` in a separate process; yields its base URL."""
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
    assert process.stderr is not None
    url = None
    seen = []
    for line in process.stderr:  # uvicorn announces the port it bound
        seen.append(line)
        found = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            url = found.group(1)
            break
    if url is None:  # pragma: no cover - shows why the server did not start
        process.kill()
        pytest.fail("kiln serve did not start:\n" + "".join(seen))
    yield url
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()


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
