"""runtime-app under real ``kiln serve`` processes: two on one data directory never run one job at
once, mail sent with smtplib reaches the inbox, and ``kiln logs`` shows the mail and the job.

Each server is a child process on free ports; the test reads its ports from its log, waits on
events with timeouts, and never sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.fakes import FakeHTTP
from harness.processes import UVICORN_URL, ServerProcess

pytestmark = pytest.mark.local_only  # these start servers of their own

FIXTURE = Path(__file__).parents[2] / "fixtures" / "runtime-app"
PASSWORD = "the admin's passphrase"
WAIT = 30.0


class _Server:
    """One ``kiln serve`` child process; ``url`` and ``smtp_port`` come from its log."""

    def __init__(self, folder: Path, data: Path, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "kiln", "serve", str(folder), "--data", str(data)]
        self.process = ServerProcess([*command, "--port", "0", "--smtp-port", "0"], env=env)
        self.smtp_port = int(
            self.process.expect(r"taking mail over SMTP on 127\.0\.0\.1:(\d+)", WAIT).group(1)
        )
        self.url = self.process.expect(UVICORN_URL, WAIT).group(1)

    def client(self, token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.url, headers=headers, trust_env=False, timeout=WAIT)

    def stop(self) -> None:
        self.process.stop()


@pytest.fixture
def site(tmp_path: Path, fake_http: FakeHTTP) -> Iterator[dict[str, Any]]:
    """runtime-app's folder copied, its HOOK secret pointing at ``fake_http``, an admin made with
    ``kiln users create``, and a ``kiln(*args)`` that runs the command line on it."""
    folder = tmp_path / "runtime-app"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns(".kiln"))
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILN_")} | {"KILN_PASSWORD": PASSWORD}

    def kiln(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``kiln("cron trigger", "tick")`` runs ``kiln cron trigger FOLDER tick --data DATA``."""
        argv = [sys.executable, "-m", "kiln", *command.split(), str(folder), *args, "--data", str(data)]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=WAIT)

    assert kiln("secrets set", "HOOK", fake_http.url).returncode == 0
    made = kiln("users create", "admin@example.com", "--role", "admin")
    assert made.returncode == 0, made.stderr
    servers: list[_Server] = []

    def serve() -> _Server:
        servers.append(_Server(folder, data, env))
        return servers[-1]

    yield {"kiln": kiln, "serve": serve, "data": data}
    for server in servers:
        server.stop()


def _token(server: _Server) -> str:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=WAIT) as client:
        login = client.post("/auth/login", json={"email": "admin@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def test_two_processes_on_one_data_directory_never_run_a_job_at_once(
    site: dict[str, Any], fake_http: FakeHTTP
) -> None:
    fake_http.script("POST", "/started", json={})
    fake_http.script("GET", "/release", json={})
    release = fake_http.hold("GET", "/release")
    first, second = site["serve"](), site["serve"]()
    token = _token(first)

    with ThreadPoolExecutor(1) as pool, first.client(token) as one, second.client(token) as two:
        running = pool.submit(one.post, "/api/_cron/hold/trigger")
        fake_http.wait_for(1, "POST", "/started")  # the job is running in the first process

        refused = two.post("/api/_cron/hold/trigger")
        from_the_command_line = site["kiln"]("cron trigger", "hold")
        release.set()
        finished = running.result(timeout=WAIT)
        again = two.post("/api/_cron/hold/trigger")  # its lease was released: it runs now
        history = two.get("/api/_cron/hold/history").json()["items"]

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "job_running"
    assert from_the_command_line.returncode == 1
    assert from_the_command_line.stderr.endswith(
        'error: cron job "hold" is running already; try again when it has finished\n'
    )
    assert (finished.status_code, finished.json()["status"]) == (200, "ok")
    assert (again.status_code, again.json()["status"]) == (200, "ok")
    assert [(run["trigger"], run["status"]) for run in history] == [("manual", "ok"), ("manual", "ok")]
    assert len(fake_http.requests) == 4  # each of the two runs called /started and /release once


def test_mail_sent_with_smtplib_reaches_the_inbox_and_kiln_logs_shows_it_and_a_triggered_job(
    site: dict[str, Any],
) -> None:
    server = site["serve"]()
    message = EmailMessage()
    message["From"] = "cleo@example.com"
    message["To"] = "inbox@runtime-app.localhost"
    message["Subject"] = "Quarterly numbers"
    message.set_content("Up eleven percent.")

    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=WAIT) as smtp:
        smtp.send_message(message)
    with server.client(_token(server)) as admin:
        [received] = admin.get("/api/_mail/inbox").json()["items"]
    triggered = site["kiln"]("cron trigger", "tick")
    logs = site["kiln"]("logs", "--since", "5m", "--json")

    assert (received["from"], received["to"], received["subject"]) == (
        "cleo@example.com",
        ["inbox@runtime-app.localhost"],
        "Quarterly numbers",
    )
    assert received["text"].strip() == "Up eleven percent."
    assert triggered.returncode == 0, triggered.stderr
    assert logs.returncode == 0, logs.stderr
    messages = [(line["logger"], line["message"]) for line in json.loads(logs.stdout)]
    assert (
        "kiln.mail",
        f"mail {received['id']} received from cleo@example.com: Quarterly numbers",
    ) in messages
    assert ("kiln.cron", "cron job tick ran") in messages


def test_kiln_logs_follow_prints_a_requests_lines_as_they_come(site: dict[str, Any]) -> None:
    server = site["serve"]()
    command = [sys.executable, "-m", "kiln", "logs", str(FIXTURE), "--data", str(site["data"])]
    follower = ServerProcess([*command, "--follow", "--json", "--request-id", "follow-me"], read="stdout")
    try:
        with httpx.Client(base_url=server.url, trust_env=False, timeout=WAIT) as client:
            assert client.get("/api/status", headers={"X-Request-ID": "follow-me"}).status_code == 200
        line = json.loads(follower.expect(r'"request_id": "follow-me"', WAIT).string)
        assert line["logger"] == "uvicorn.access"
        assert '"GET /api/status HTTP/1.1" 200' in line["message"]
    finally:
        follower.stop()
