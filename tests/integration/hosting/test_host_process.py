"""`kiln host` as its own process: deploy over HTTP, then a restart serves the same projects
from disk with their data."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import httpx
import pytest

from harness.processes import UVICORN_URL, ServerProcess
from kiln.hosting import make_bundle

pytestmark = pytest.mark.local_only("starts kiln host processes of its own")
FIXTURES = Path(__file__).parents[2] / "fixtures"
PASSWORD = "correct horse battery"


def _start(root: Path) -> tuple[ServerProcess, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILN_")}
    env["KILN_HOST_ADMIN_TOKEN"] = "a-token-from-the-environment"
    server = ServerProcess([sys.executable, "-m", "kiln", "host", str(root), "--port", "0"], env=env)
    return server, server.expect(UVICORN_URL).group(1)


def test_kiln_host_serves_its_projects_again_after_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "root"
    server, url = _start(root)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
            assert client.get("/_host/health").json() == {"status": "ok", "mode": "dev", "projects": 0}
            client.post("/_host/auth/register", json={"email": "ann@example.com", "password": PASSWORD})
            [mail] = client.get("/_host/dev/outbox", params={"to": "ann@example.com"}).json()["items"]
            token = re.search(r"token: (\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
            assert client.post("/_host/auth/verify", json={"token": token}).status_code == 200
            login = client.post("/_host/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
            signed_in = {"Authorization": f"Bearer {login.json()['token']}"}
            files = {"bundle": ("todo.tar.gz", make_bundle(FIXTURES / "todo-app"), "application/gzip")}
            deployed = client.post("/_host/projects", data={"slug": "todo"}, files=files, headers=signed_in)
            assert deployed.status_code == 201, deployed.text
            todo = {"Host": "todo.localhost"}
            assert client.post("/api/todos", json={"title": "survives"}, headers=todo).status_code == 201
            admin = {"Authorization": "Bearer a-token-from-the-environment"}
            cleaned = client.delete("/_host/users", params={"prefix": "nobody-"}, headers=admin)
            assert cleaned.json() == {"users": 0, "projects": 0}  # the token came from the environment
    finally:
        server.stop()
    server.expect(r"Application shutdown complete")  # stopped its projects and itself cleanly

    again, url = _start(root)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
            assert client.get("/_host/health").json()["projects"] == 1
            listed = client.get("/api/todos", headers={"Host": "todo.localhost"}).json()
            assert [item["title"] for item in listed["items"]] == ["survives"]
    finally:
        again.stop()
    assert (root / "projects" / "todo" / ".kiln" / "data" / "kiln.db").is_file()
    assert (root / "host" / "logs" / "host.jsonl").read_text().count("project todo serving from") == 2
