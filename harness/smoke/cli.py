"""``kiln-smoke``: Fling's deploy → smoke → teardown cycle against a ``kiln host``.

    kiln-smoke --host http://localhost:8000 [--instances N] [--fixture DIR] [--no-cleanup]
               [--verbose] [--junit-xml FILE] [--admin-token T] [--smtp-port P]
    kiln-smoke --local [--instances N]

Exit status: 0 when every instance passed, 1 when one failed, 2 for a usage error (no fixture,
no host) or a host that is in ``prod`` mode, which it refuses.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.fakes import FakeSMTP
from harness.processes import UVICORN_URL, ServerProcess
from harness.smoke.client import SmokeClient, backoff
from harness.smoke.report import Report
from harness.smoke.runner import clean_stale_users, run_instances, write_junit

__all__ = ["main"]

DEFAULT_FIXTURE = Path("tests/fixtures/runtime-app")
#: The line ``kiln host --smtp-port 0`` logs once its SMTP listener has a port.
SMTP_LISTENING = r"taking mail over SMTP on \S+:(\d+)"
ADMIN_VARIABLE = "KILN_HOST_ADMIN_TOKEN"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiln-smoke", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--host", help="the host's control URL, such as http://localhost:8000")
    where.add_argument(
        "--local", action="store_true", help="start a kiln host of its own in a temporary folder"
    )
    parser.add_argument("--instances", type=int, default=1, help="instances to run in parallel (default: 1)")
    parser.add_argument(
        "--fixture",
        type=Path,
        default=DEFAULT_FIXTURE,
        help=f"the app to deploy (default: {DEFAULT_FIXTURE})",
    )
    parser.add_argument(
        "--no-cleanup", action="store_true", help="keep every instance's evidence and local host folder"
    )
    parser.add_argument("--verbose", action="store_true", help="show teardown steps too")
    parser.add_argument("--junit-xml", type=Path, help="write the results as JUnit XML here")
    parser.add_argument("--admin-token", help=f"the host's administrator token (default: {ADMIN_VARIABLE})")
    parser.add_argument(
        "--smtp-port",
        type=int,
        help="the host's port for its projects' mail (kiln host --smtp-port), for the inbound mail step; "
        "with --local, the port its host takes mail on (default: a free one)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kiln-smoke``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.instances < 1:
        parser.error("--instances must be 1 or more")
    fixture: Path = args.fixture
    if not (fixture / "app.toml").is_file():
        parser.error(f"no fixture app at {fixture} (it needs an app.toml): pass --fixture DIR")
    report = Report(verbose=args.verbose)
    if args.local:
        return _local(args, report)
    admin = args.admin_token or os.environ.get(ADMIN_VARIABLE)
    evidence_root = Path(tempfile.mkdtemp(prefix="kiln-smoke-evidence-"))
    return _run(args.host, admin, args, report, evidence_root=evidence_root, smtp_port=args.smtp_port)


def _run(
    host: str,
    admin: str | None,
    args: argparse.Namespace,
    report: Report,
    *,
    evidence_root: Path,
    smtp_port: int | None,
    mailbox: FakeSMTP | None = None,
) -> int:
    client = SmokeClient(host)
    try:
        refusal = _check_host(client)
        if refusal is not None:
            report.note(f"kiln-smoke: {refusal}")
            return 2
        report.note(f"kiln-smoke: {clean_stale_users(client, admin)}")
    finally:
        client.close()
    began = time.perf_counter()
    results = run_instances(
        host,
        args.fixture.resolve(),
        args.instances,
        evidence_root=evidence_root,
        keep=args.no_cleanup,
        progress=report.step,
        smtp_port=smtp_port,
        mailbox=mailbox,
    )
    for result in results:
        for warning in result.warnings:
            report.note(f"warning: instance {result.id}: {warning}")
    cleaned = _remove_users(host, admin, [result.id for result in results])
    if cleaned:
        report.note(f"warning: {cleaned}")
    report.summary(results, time.perf_counter() - began)
    if args.junit_xml is not None:
        write_junit(results, args.junit_xml)
    if all(result.passed for result in results):
        if not args.no_cleanup:
            shutil.rmtree(evidence_root, ignore_errors=True)
        return 0
    report.note(f"kiln-smoke: evidence kept in {evidence_root}")
    return 1


def _check_host(client: SmokeClient, attempts: int = 30) -> str | None:
    """Poll ``/_host/health`` with backoff until it answers; why the run must not go on, or ``None``."""
    for attempt in range(attempts):
        try:
            response = client.request("GET", "/_host/health")
        except Exception as exc:  # not up yet
            problem = f"the host at {client.base_url} does not answer: {exc}"
        else:
            if response.status_code == 200:
                mode = response.json().get("mode")
                if mode == "prod":
                    why = "its health says mode prod, and kiln-smoke runs against dev hosts only"
                    return f"refusing {client.base_url}: {why}"
                return None
            problem = f"the host's health answered {response.status_code}"
        time.sleep(backoff(attempt, cap=1.0))
    return problem


def _remove_users(host: str, admin: str | None, ids: list[str]) -> str:
    """Teardown's last part, non-fatal: each instance's users, by their prefix."""
    if not admin:
        return "no administrator token: the instances' test users stay until the next run removes them"
    problems = []
    client = SmokeClient(host)
    try:
        for instance_id in ids:
            try:
                response = client.delete("/_host/users", params={"prefix": f"st-{instance_id}"}, token=admin)
                if response.status_code != 200:
                    problems.append(f"st-{instance_id}: {response.status_code}")
            except Exception as exc:
                problems.append(f"st-{instance_id}: {exc}")
    finally:
        client.close()
    return f"removing test users failed for {', '.join(problems)}" if problems else ""


def _local(args: argparse.Namespace, report: Report) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kiln-smoke-"))
    admin = secrets.token_urlsafe(16)
    status = 1
    try:
        with _local_host(folder, admin, smtp_port=args.smtp_port or 0) as (url, smtp_port, mailbox):
            report.note(f"kiln-smoke: started kiln host at {url} (mail on port {smtp_port}) in {folder}")
            status = _run(
                url,
                admin,
                args,
                report,
                evidence_root=folder / "evidence",
                smtp_port=smtp_port,
                mailbox=mailbox,
            )
    finally:
        if status == 0 and not args.no_cleanup:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            report.note(f"kiln-smoke: the local host's folder is kept: {folder}")
    return status


@contextmanager
def _local_host(folder: Path, admin: str, *, smtp_port: int = 0) -> Iterator[tuple[str, int, FakeSMTP]]:
    """``kiln host`` in dev mode on a free port, its own mail going to a FakeSMTP: its URL, the
    port it takes its projects' mail on (``smtp_port``, or a free one for 0), and that FakeSMTP."""
    with FakeSMTP() as smtp:
        env = {key: value for key, value in os.environ.items() if not key.startswith("KILN_")}
        argv = [sys.executable, "-m", "kiln", "host", str(folder / "root"), "--port", "0", "--mode", "dev"]
        server = ServerProcess(
            [*argv, "--outbound", smtp.url, "--admin-token", admin, "--smtp-port", str(smtp_port)], env=env
        )
        try:
            url = server.expect(UVICORN_URL, timeout=60).group(1)
            smtp_port = int(server.expect(SMTP_LISTENING, timeout=5).group(1))
            yield url, smtp_port, smtp
        finally:
            server.stop()
            (folder / "host.log").write_text(server.output)
