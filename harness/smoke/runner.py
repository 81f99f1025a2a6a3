"""Running the smoke steps: one instance (setup, steps, teardown in a ``finally``), or N in
parallel threads, each with its own user and projects; diagnostics and evidence when a step
fails; the results as a JUnit XML file.
"""

from __future__ import annotations

import json
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness.fakes import FakeSMTP
from harness.smoke.client import SmokeClient
from harness.smoke.steps import PREFIX, SETUP, STEPS, TEARDOWN, Instance, Step, new_instance

__all__ = [
    "InstanceResult",
    "StepResult",
    "clean_stale_users",
    "run_instance",
    "run_instances",
    "write_junit",
]


@dataclass
class StepResult:
    """What one step did: ``passed``, ``failed`` or ``skipped`` (after an earlier failure), its
    time in seconds, and the error's message."""

    name: str
    status: str
    seconds: float
    error: str = ""
    phase: str = "step"


@dataclass
class InstanceResult:
    """One instance's steps and warnings (teardown failures), and where its evidence is."""

    id: str
    steps: list[StepResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    evidence: Path | None = None

    @property
    def passed(self) -> bool:
        """Whether every step passed (warnings do not count)."""
        return all(step.status == "passed" for step in self.steps)


#: Called with ``(instance_id, step_result)`` as each step ends: the live progress.
Progress = Callable[[str, StepResult], None]


def _quiet(instance_id: str, result: StepResult) -> None:
    """The progress callback when nobody watches."""


def run_instance(
    client: SmokeClient,
    fixture: Path,
    *,
    evidence_root: Path,
    keep: bool = False,
    progress: Progress = _quiet,
    steps: Sequence[Step] = STEPS,
    smtp_port: int | None = None,
    mailbox: FakeSMTP | None = None,
) -> InstanceResult:
    """Setup, every step in order, then teardown in a ``finally``; a failure skips the rest of
    the steps, prints no traceback, and leaves diagnostics and the token in the evidence folder.

    ``smtp_port`` is the host's port for its projects' mail; ``mailbox``, the FakeSMTP the host's
    own mail goes to, when the runner started the host."""
    instance = new_instance(client, fixture, smtp_port=smtp_port, mailbox=mailbox)
    result = InstanceResult(instance.id)
    failed = False
    try:
        for phase, group in (("setup", SETUP), ("step", steps)):
            for step in group:
                if failed:
                    result.steps.append(StepResult(step.__name__, "skipped", 0.0, phase=phase))
                    continue
                outcome = _timed(step, instance, phase)
                result.steps.append(outcome)
                progress(instance.id, outcome)
                failed = outcome.status == "failed"
    finally:
        if failed or keep:
            result.evidence = _keep_evidence(instance, result, evidence_root, diagnose=failed)
        for step in TEARDOWN:
            outcome = _timed(step, instance, "teardown")
            if outcome.status == "failed":
                result.warnings.append(f"teardown {step.__name__}: {outcome.error}")
            progress(instance.id, outcome)
    return result


def _timed(step: Step, instance: Instance, phase: str) -> StepResult:
    began = time.perf_counter()
    try:
        step(instance)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, AssertionError) else str(exc)
        return StepResult(step.__name__, "failed", time.perf_counter() - began, message or repr(exc), phase)
    return StepResult(step.__name__, "passed", time.perf_counter() - began, phase=phase)


def _keep_evidence(instance: Instance, result: InstanceResult, root: Path, *, diagnose: bool) -> Path:
    """Write the instance's tokens, its requests and (after a failure) the project's diagnostics
    under ``root/<id>/``; the folder."""
    folder = root / instance.id
    folder.mkdir(parents=True, exist_ok=True)
    tokens = {
        "email": instance.email,
        "host_token": instance.host_token,
        "project_token": instance.project_token,
    }
    (folder / "tokens.json").write_text(json.dumps(tokens, indent=2))
    (folder / "requests.txt").write_text("".join(f"{m} {p} -> {s}\n" for m, p, s in instance.client.history))
    failures = [step for step in result.steps if step.status == "failed"]
    (folder / "failures.txt").write_text("".join(f"{step.name}: {step.error}\n" for step in failures))
    if diagnose:
        (folder / "diagnostics.txt").write_text(diagnostics(instance))
    return folder


def diagnostics(instance: Instance) -> str:
    """The project's log tail, its tables with row counts, and its cron jobs with their last
    runs, as text; each part says why it is missing when it cannot be read."""
    parts = [f"instance {instance.id}: user {instance.email}, project {instance.slug}"]
    if instance.host_token is None or instance.slug not in instance.projects:
        return "\n".join([*parts, "(no project deployed: nothing more to show)", ""])
    try:
        lines = instance.owner("GET", "logs", params={"since": "15m"}).json().get("items", [])
        parts.append("log tail:")
        parts += [
            f"  {line.get('time')} {line.get('level')} {line.get('logger')}: {line.get('message')}"
            for line in lines[-30:]
        ]
        tables = instance.sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        parts.append("tables:")
        for (name,) in tables:
            count = 'SELECT count(*) FROM "' + name.replace('"', '""') + '"'
            parts.append(f"  {name}: {instance.sql(count)[0][0]} rows")
        parts.append("cron:")
        for job in instance.owner("GET", "cron").json().get("items", []):
            last = f"last {job['last_run']} {job['last_status']}, next {job['next_run']}"
            parts.append(f"  {job['name']} ({job['schedule']}): {last}")
    except Exception:  # diagnostics must not hide the failure they explain
        parts.append("(diagnostics stopped: " + traceback.format_exc(limit=1).strip().splitlines()[-1] + ")")
    return "\n".join([*parts, ""])


def clean_stale_users(client: SmokeClient, admin_token: str | None) -> str:
    """Remove the test users (``st-``) of earlier runs, and their projects, with the
    administrator's token; what happened, in words."""
    if not admin_token:
        return "no administrator token: stale test users were not removed"
    response = client.delete("/_host/users", params={"prefix": PREFIX}, token=admin_token)
    if response.status_code != 200:
        return f"removing stale test users failed: {response.status_code} {response.text[:200]}"
    counts = response.json()
    return f"removed {counts['users']} stale test user(s) and {counts['projects']} project(s)"


def run_instances(
    host: str,
    fixture: Path,
    count: int,
    *,
    evidence_root: Path,
    keep: bool = False,
    progress: Progress = _quiet,
    smtp_port: int | None = None,
    mailbox: FakeSMTP | None = None,
) -> list[InstanceResult]:
    """``count`` instances in parallel threads, each with a client of its own; they share the
    ``mailbox`` (see :func:`run_instance`)."""

    def one(_: int) -> InstanceResult:
        client = SmokeClient(host)
        try:
            return run_instance(
                client,
                fixture,
                evidence_root=evidence_root,
                keep=keep,
                progress=progress,
                smtp_port=smtp_port,
                mailbox=mailbox,
            )
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="kiln-smoke") as pool:
        return list(pool.map(one, range(count)))


def write_junit(results: Sequence[InstanceResult], path: Path) -> None:
    """The results as JUnit XML: a test suite per instance, a test case per step."""
    suites = ET.Element("testsuites", name="kiln-smoke")
    for result in results:
        failures = sum(step.status == "failed" for step in result.steps)
        skipped = sum(step.status == "skipped" for step in result.steps)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"instance {result.id}",
            tests=str(len(result.steps)),
            failures=str(failures),
            skipped=str(skipped),
            time=f"{sum(step.seconds for step in result.steps):.3f}",
        )
        for step in result.steps:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"kiln-smoke.{step.phase}",
                name=step.name,
                time=f"{step.seconds:.3f}",
            )
            if step.status == "failed":
                ET.SubElement(case, "failure", message=step.error[:500]).text = step.error
            elif step.status == "skipped":
                ET.SubElement(case, "skipped", message="an earlier step failed")
        for warning in result.warnings:
            ET.SubElement(suite, "system-err").text = warning
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
