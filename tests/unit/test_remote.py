"""`kiln serve` in another process, as remote mode meets it: its log lines carry the request id.

TestApp's side of remote mode is tested in-process, in test_remote_mode.py.
"""

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
