"""``kiln workflow start|list|show`` on a copy of runtime-app: what they print and store, and
their exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kiln.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "runtime-app"
    shutil.copytree(FIXTURES / "runtime-app", copy, ignore=shutil.ignore_patterns(".kiln"))
    return copy


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_start_records_the_run_and_carries_it_to_its_first_sleep(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(
        capsys,
        "workflow",
        "start",
        folder,
        "double-and-persist",
        "--input",
        '{"n": 21}',
        "--id",
        "s1",
        "--json",
    )
    assert status == 0
    run = json.loads(out)
    assert (run["id"], run["workflow"], run["status"], run["input"]) == (
        "s1",
        "double-and-persist",
        "sleeping",
        {"n": 21},
    )

    status, out, _ = _run(capsys, "workflow", "show", folder, "s1", "-v", "--json")
    assert status == 0
    assert [(e["type"], e["step"]) for e in json.loads(out)["events"]] == [
        ("started", None),
        ("step_completed", "start"),
        ("sleeping", "nap-0"),
    ]
    assert json.loads(out)["events"][1]["data"] == {"result": 42}


def test_starting_a_known_id_again_starts_nothing(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["workflow", "start", str(folder), "charge", "--input", '{"amount": 3}', "--id", "c1"])
    capsys.readouterr()
    status, out, _ = _run(
        capsys, "workflow", "start", folder, "charge", "--input", '{"amount": 999}', "--id", "c1", "--json"
    )
    assert status == 0
    assert (json.loads(out)["input"], json.loads(out)["output"]) == ({"amount": 3}, "charged 3")
    listed = json.loads(_run(capsys, "workflow", "list", folder, "--json")[1])
    assert listed["total"] == 1


def test_a_run_that_fails_is_exit_1_with_its_error(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "workflow", "start", folder, "charge", "--input", '{"amount": -1}')
    assert status == 1
    assert "status:     failed\n" in out
    assert "error:      a charge cannot be negative\n" in out
    assert "workflow run" in err  # the warning of the log, on stderr


def test_list_filters_by_status_and_workflow(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["workflow", "start", str(folder), "charge", "--input", '{"amount": 1}', "--id", "ok"])
    main(["workflow", "start", str(folder), "charge", "--input", '{"amount": -1}', "--id", "bad"])
    main(["workflow", "start", str(folder), "double-and-persist", "--input", '{"n": 1}', "--id", "nap"])
    capsys.readouterr()

    status, out, _ = _run(capsys, "workflow", "list", folder, "--status", "failed")
    assert status == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "WORKFLOW", "STATUS", "ATTEMPTS", "CREATED", "ERROR"]
    assert row.split()[:4] == ["bad", "charge", "failed", "1"]
    charges = json.loads(_run(capsys, "workflow", "list", folder, "--workflow", "charge", "--json")[1])
    assert sorted(r["id"] for r in charges["items"]) == ["bad", "ok"]


def test_bad_input_unknown_names_and_unknown_runs_are_exit_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "workflow", "start", folder, "charge", "--input", "{amount: 1}")
    assert status == 1
    assert err.startswith("error: --input is not JSON: ")
    assert _run(capsys, "workflow", "start", folder, "nightly")[2] == (
        "error: no workflow named 'nightly' (workflows: double-and-persist, charge)\n"
    )
    assert _run(capsys, "workflow", "show", folder, "nobody") == (
        1,
        "",
        "error: no workflow run has the id 'nobody'\n",
    )
    assert _run(capsys, "workflow", "list", folder, "--workflow", "nightly")[0] == 1


def test_an_app_without_workflows_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES / "todo-app", tmp_path / "todo", ignore=shutil.ignore_patterns(".kiln"))
    assert _run(capsys, "workflow", "list", tmp_path / "todo") == (
        1,
        "",
        "error: todo has no workflows: handlers.py marks none with @workflow\n",
    )
