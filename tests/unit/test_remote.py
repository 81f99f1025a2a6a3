"""`kiln serve` in another process, as remote mode meets it: its log lines carry the request id.

TestApp's side of remote mode is tested in-process, in test_remote_mode.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.processes import UVICORN_URL, ServerProcess

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``kiln serve todo-app --port 0`` in a separate process, its stderr read line by line."""
    data = tmp_path_factory.mktemp("remote-data")
    command = [sys.executable, "-m", "kiln", "serve", str(FIXTURES / "todo-app"), "--port", "0"]
    server = ServerProcess([*command, "--data", str(data)])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kiln_server(served: ServerProcess) -> str:
    """The base URL of the ``kiln serve`` process, as uvicorn announced it."""
    return served.expect(UVICORN_URL).group(1)


def test_kiln_serve_logs_each_line_with_its_request_id(served: ServerProcess, kiln_server: str) -> None:
    assert (
        httpx.get(kiln_server + "/api/noisy", headers={"X-Request-Id": "remote-trace-1"}).status_code == 200
    )
    # each raises, with every line seen, if no line matches within its timeout
    served.expect(r"todo\.handlers \[remote-trace-1\] noisy handler ran for /api/noisy")
    served.expect(r'uvicorn\.access \[remote-trace-1\] .*"GET /api/noisy HTTP/1\.1" 200')
    served.expect(r"uvicorn\.error \[-\] Application startup complete")
