"""kiln-smoke's own behaviour, against a kiln host served in this process: the steps in order,
a failing step's diagnostics and evidence with teardown still run, teardown failures as
warnings, a prod host refused, the instance count and summary line, JUnit XML, and retries."""

from __future__ import annotations

import random
import socket
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import TestApp
from harness.fakes import FakeSMTP
from harness.smoke import cli, runner, steps
from harness.smoke.client import SmokeClient, backoff
from harness.smoke.steps import Instance
from kiln.hosting import Host

FIXTURE = Path(__file__).parents[1] / "fixtures" / "runtime-app"
ADMIN = "smoke-admin-token"
EVERY_STEP = [
    "host_is_reachable",
    "user_signs_up_and_verifies",
    "fixture_deployed",
    "health_and_a_secret",
    "static_files",
    "spa_fallback",
    "crud_checked_through_sql",
    "wasm_adds",
    "files_upload_download_list_and_delete",
    "presigned_put_and_get",
    "inbound_mail_received_parsed_and_stored",
    "project_signup_then_verification",
    "project_password_reset",
    "unverified_deploy_refused",
    "cron_trigger_history_and_a_failing_job",
    "logs_show_the_project",
    "workflow_with_sleeps_and_dedup",
    "a_second_project_beside_the_first",
    "a_rename_and_its_redirect",
    "a_takedown_and_its_cleanup",
]


@pytest.fixture
def served(test_app: Any) -> tuple[TestApp, Host]:
    """A dev kiln host in this process, taking its projects' mail on a free port, and the Host."""
    made: list[Host] = []

    def factory(root: Path) -> Host:
        made.append(Host(root, admin_token=ADMIN, testing=True, smtp=("127.0.0.1", 0)))
        return made[0]

    app: TestApp = test_app(factory)
    return app, made[0]


@pytest.fixture
def host(served: tuple[TestApp, Host]) -> TestApp:
    return served[0]


@pytest.fixture
def smtp_port(served: tuple[TestApp, Host]) -> int:
    """The port the host takes its projects' mail on."""
    port = served[1].mail.port
    assert port is not None
    return port


@pytest.fixture
def client(host: TestApp) -> Iterator[SmokeClient]:
    smoke = SmokeClient(host.url)
    yield smoke
    smoke.close()


def _users(host: TestApp) -> list[str]:
    with sqlite3.connect(host.data_dir / "host" / "kiln.db") as control:
        return [row[0] for row in control.execute("SELECT email FROM users ORDER BY email")]


def test_every_step_passes_in_order_and_teardown_takes_the_projects_down(
    host: TestApp, client: SmokeClient, tmp_path: Path, smtp_port: int
) -> None:
    seen: list[tuple[str, str, str]] = []
    result = runner.run_instance(
        client,
        FIXTURE,
        evidence_root=tmp_path,
        progress=lambda i, step: seen.append((i, step.name, step.status)),
        smtp_port=smtp_port,
    )

    assert result.passed, [(step.name, step.error) for step in result.steps if step.error]
    assert [step.name for step in result.steps] == EVERY_STEP
    assert [name for _, name, _ in seen] == [*EVERY_STEP, "projects_taken_down"]
    assert {instance for instance, _, _ in seen} == {result.id}
    assert (result.warnings, result.evidence) == ([], None)
    assert host.get("/_host/health").json()["projects"] == 0
    assert list((host.data_dir / "projects").iterdir()) == []
    assert f"st-{result.id}@test.com" in _users(host)  # users go with the runner's clean-up by prefix


def test_a_failing_step_keeps_diagnostics_and_evidence_skips_the_rest_and_still_tears_down(
    host: TestApp, client: SmokeClient, tmp_path: Path
) -> None:
    def breaks(instance: Instance) -> None:
        raise AssertionError("the todo was not there")

    plan = [steps.health_and_a_secret, steps.crud_checked_through_sql, breaks, steps.wasm_adds]

    result = runner.run_instance(client, FIXTURE, evidence_root=tmp_path, steps=plan)

    assert not result.passed
    assert [(step.name, step.status) for step in result.steps[3:]] == [
        ("health_and_a_secret", "passed"),
        ("crud_checked_through_sql", "passed"),
        ("breaks", "failed"),
        ("wasm_adds", "skipped"),
    ]
    assert result.steps[5].error == "the todo was not there"
    assert result.evidence == tmp_path / result.id
    diagnostics = (result.evidence / "diagnostics.txt").read_text()
    assert f"instance {result.id}: user st-{result.id}@test.com, project st-{result.id}" in diagnostics
    assert "log tail:" in diagnostics
    assert "  todos: 0 rows" in diagnostics  # the crud step deleted what it made
    assert "  tick (*/5 * * * *): last " in diagnostics
    tokens = (result.evidence / "tokens.json").read_text()
    assert '"project_token": "ey' in tokens
    assert (result.evidence / "failures.txt").read_text() == "breaks: the todo was not there\n"
    assert "POST /_host/projects -> 201" in (result.evidence / "requests.txt").read_text()
    assert host.get("/_host/health").json()["projects"] == 0  # torn down all the same


def test_a_teardown_failure_is_a_warning_and_the_rest_of_teardown_goes_on(
    client: SmokeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: TestApp
) -> None:
    def stuck(instance: Instance) -> None:
        raise RuntimeError("the host said no")

    monkeypatch.setattr(runner, "TEARDOWN", [stuck, steps.projects_taken_down])

    result = runner.run_instance(client, FIXTURE, evidence_root=tmp_path, steps=[steps.wasm_adds])

    assert result.passed
    assert result.warnings == ["teardown stuck: RuntimeError: the host said no"]
    assert host.get("/_host/health").json()["projects"] == 0


def test_the_command_runs_n_instances_prints_the_summary_writes_junit_and_removes_its_users(
    host: TestApp, tmp_path: Path, capsys: Any, smtp_port: int
) -> None:
    junit = tmp_path / "smoke.xml"
    status = cli.main(
        [
            "--host",
            host.url,
            "--instances",
            "2",
            "--fixture",
            str(FIXTURE),
            "--admin-token",
            ADMIN,
            "--junit-xml",
            str(junit),
            "--smtp-port",
            str(smtp_port),
        ]
    )

    out = capsys.readouterr().out
    assert status == 0, out
    assert "2/2 passed in " in out
    assert "removed 0 stale test user(s) and 0 project(s)" in out
    assert out.count("✓") == 2 * len(EVERY_STEP)
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == 2
    assert [case.get("name") for case in suites[0].findall("testcase")] == EVERY_STEP
    assert {suite.get("failures") for suite in suites} == {"0"}
    assert [email for email in _users(host) if email.startswith("st-")] == []


def test_without_the_hosts_smtp_port_the_inbound_mail_step_fails_and_says_what_to_pass(
    client: SmokeClient, tmp_path: Path
) -> None:
    result = runner.run_instance(
        client, FIXTURE, evidence_root=tmp_path, steps=[steps.inbound_mail_received_parsed_and_stored]
    )

    [step] = result.steps[3:]
    assert (step.name, step.status) == ("inbound_mail_received_parsed_and_stored", "failed")
    assert step.error == (
        "the host's SMTP port is not known: start kiln host with --smtp-port P, and pass kiln-smoke --smtp-port P"
    )


def test_with_a_mailbox_the_verification_token_is_read_from_it_and_not_the_dev_outbox(
    test_app: Any, fake_smtp: FakeSMTP, tmp_path: Path
) -> None:
    mailing: TestApp = test_app(lambda root: Host(root, testing=True, outbound=fake_smtp.url))
    client = SmokeClient(mailing.url)
    try:
        result = runner.run_instance(client, FIXTURE, evidence_root=tmp_path, steps=[], mailbox=fake_smtp)
    finally:
        client.close()

    assert result.passed, [(step.name, step.error) for step in result.steps if step.error]
    [verification] = fake_smtp.wait_for(1, to=f"st-{result.id}@test.com")
    assert verification["Subject"] == "Verify your email address"
    asked = [(method, path) for method, path, _ in client.history]
    assert ("POST", "/_host/auth/verify") in asked
    assert ("GET", "/_host/dev/outbox") not in asked


def test_stale_test_users_of_an_earlier_run_are_removed_first(host: TestApp, client: SmokeClient) -> None:
    host.post("/_host/auth/register", json={"email": "st-old@test.com", "password": "an old password"})
    host.post("/_host/auth/register", json={"email": "keeper@example.com", "password": "an old password"})

    said = runner.clean_stale_users(client, ADMIN)

    assert said == "removed 1 stale test user(s) and 0 project(s)"
    assert _users(host) == ["keeper@example.com"]
    assert (
        runner.clean_stale_users(client, None) == "no administrator token: stale test users were not removed"
    )


def test_a_prod_host_is_refused_with_exit_2(test_app: Any, capsys: Any) -> None:
    prod: TestApp = test_app(lambda root: Host(root, mode="prod", testing=True))

    assert cli.main(["--host", prod.url, "--fixture", str(FIXTURE)]) == 2

    out = capsys.readouterr().out
    assert f"refusing {prod.url}: its health says mode prod" in out
    assert prod.get("/_host/health").json()["projects"] == 0


def test_a_missing_fixture_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--host", "http://127.0.0.1:9", "--fixture", str(tmp_path / "nowhere")])
    assert exited.value.code == 2
    assert f"no fixture app at {tmp_path / 'nowhere'} (it needs an app.toml)" in capsys.readouterr().err


def test_503_is_retried_with_growing_waits_and_the_answer_after_it_returned(test_app: Any) -> None:
    answers = [503, 502, 200]

    async def flaky(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        status = answers.pop(0)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"busy"})

    app: TestApp = test_app(flaky)
    waits: list[float] = []
    client = SmokeClient(app.url, sleep=waits.append)
    try:
        response = client.get("/")
    finally:
        client.close()

    assert (response.status_code, response.text) == (200, "ok")
    assert [status for _, _, status in client.history] == ["503", "502", "200"]
    assert len(waits) == 2
    assert 0.05 <= waits[0] <= 0.1  # doubling, plus up to as much again of jitter
    assert 0.1 <= waits[1] <= 0.2


def test_a_connection_error_is_retried_and_raised_after_the_last_try() -> None:
    waits: list[float] = []
    client = SmokeClient("http://127.0.0.1:9", tries=3, sleep=waits.append)  # the discard port: refused
    try:
        with pytest.raises(httpx.ConnectError):
            client.get("/_host/health")
    finally:
        client.close()
    assert [status for _, _, status in client.history] == ["ConnectError"] * 3
    assert len(waits) == 2


def test_backoff_doubles_up_to_its_cap_and_adds_jitter() -> None:
    assert [backoff(n, jitter=lambda: 0.0) for n in range(7)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert backoff(3, jitter=lambda: 1.0) == 0.8


@pytest.mark.slow
def test_local_starts_its_own_host_and_removes_its_folder_after_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    assert cli.main(["--local", "--fixture", str(FIXTURE)]) == 0

    out = capsys.readouterr().out
    assert "kiln-smoke: started kiln host at http://127.0.0.1:" in out
    assert "1/1 passed in " in out
    assert list(tmp_path.iterdir()) == []


def _free_port_outside_the_ephemeral_range() -> int:
    """A port free now that the system hands nobody else meanwhile: below the range it picks
    from for port 0 and for outgoing connections (a port it picked could be taken again by the
    time the host binds it, with the suite's other servers busy on the machine)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except OSError:  # not Linux: the range IANA gives, which macOS and Windows use
        low = 49152
    for port in random.Random().sample(range(max(1024, low - 10_000), low), 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


@pytest.mark.slow
def test_local_with_an_smtp_port_starts_its_host_taking_mail_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    port = _free_port_outside_the_ephemeral_range()

    assert cli.main(["--local", "--fixture", str(FIXTURE), "--smtp-port", str(port)]) == 0

    out = capsys.readouterr().out.replace("\n", "")
    assert f"(mail on port {port})" in out
    assert "1/1 passed in " in out  # the inbound mail step sent its letter there


@pytest.mark.slow
def test_local_keeps_its_folder_and_evidence_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    todo = Path(__file__).parents[1] / "fixtures" / "todo-app"  # no [auth]: no project token

    assert cli.main(["--local", "--fixture", str(todo)]) == 1

    out = capsys.readouterr().out
    assert "0/1 passed in " in out
    [kept] = tmp_path.iterdir()
    assert f"kiln-smoke: the local host's folder is kept: {kept}" in out.replace("\n", "")
    [evidence] = (kept / "evidence").iterdir()
    assert (evidence / "failures.txt").read_text().startswith("fixture_deployed: POST /_host/projects/st-")
    assert "has no users: its app.toml has no [auth]" in (evidence / "failures.txt").read_text()
    assert "Uvicorn running on" in (kept / "host.log").read_text()
