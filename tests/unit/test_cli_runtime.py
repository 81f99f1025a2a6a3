"""``kiln secrets``, ``kiln users``, ``kiln cron`` and ``kiln logs``, run in this process on a copy of
runtime-app's folder: what they print, what they store, and their exit codes."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln.cli import main
from kiln.compiler import compile_app

FIXTURES = Path(__file__).parents[1] / "fixtures"
KEY = "sk-live-0123456789abcdef"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of runtime-app, so its ``.kiln/data`` is this test's own."""
    copy = tmp_path / "runtime-app"
    shutil.copytree(FIXTURES / "runtime-app", copy, ignore=shutil.ignore_patterns(".kiln"))
    return copy


def _data(folder: Path) -> Path:
    return folder / ".kiln" / "data"


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- secrets ---------------------------------------------------------------------------------


def test_secrets_set_stores_the_value_readable_by_its_owner_only(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "secrets", "set", folder, "API_KEY", KEY) == (0, "API_KEY: set\n", "")

    stored = _data(folder) / "secrets.json"
    assert json.loads(stored.read_text()) == {"API_KEY": KEY}
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_secrets_list_shows_names_and_sources_never_values(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["secrets", "set", str(folder), "API_KEY", KEY])
    main(["secrets", "set", str(folder), "HOOK", "http://127.0.0.1:9"])
    monkeypatch.setenv("KILN_SECRET_HOOK", "http://127.0.0.1:8")
    monkeypatch.setenv("KILN_SECRET_EXTRA", "from the environment")
    capsys.readouterr()

    status, out, _ = _run(capsys, "secrets", "list", folder)
    assert status == 0
    assert out == (
        "NAME     SOURCE\n"
        "API_KEY  stored\n"
        "EXTRA    environment\n"
        "HOOK     environment, over the stored value\n"
    )
    status, out, _ = _run(capsys, "secrets", "list", folder, "--json")
    assert json.loads(out) == {
        "items": [
            {"name": "API_KEY", "stored": True, "environment": False},
            {"name": "EXTRA", "stored": False, "environment": True},
            {"name": "HOOK", "stored": True, "environment": True},
        ]
    }
    assert KEY not in out


def test_secrets_set_dash_reads_the_value_from_standard_input(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    assert _run(capsys, "secrets", "set", folder, "API_KEY", "-")[0] == 0
    assert json.loads((_data(folder) / "secrets.json").read_text()) == {"API_KEY": KEY}


def test_secrets_unset_forgets_and_an_unknown_name_is_exit_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["secrets", "set", str(folder), "API_KEY", KEY])
    main(["secrets", "set", str(folder), "HOOK", "http://127.0.0.1:9"])
    capsys.readouterr()

    assert _run(capsys, "secrets", "unset", folder, "API_KEY") == (0, "API_KEY: unset\n", "")
    assert json.loads((_data(folder) / "secrets.json").read_text()) == {"HOOK": "http://127.0.0.1:9"}
    assert _run(capsys, "secrets", "unset", folder, "API_KEY") == (
        1,
        "",
        "error: API_KEY: no such secret is stored\n",
    )


def test_secrets_set_refuses_a_bad_name_and_an_empty_value(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "secrets", "set", folder, "api-key", KEY)
    assert (status, err) == (
        1,
        "error: 'api-key': a secret's name is letters, digits and '_', starting with a letter or '_'\n",
    )
    assert (
        _run(capsys, "secrets", "set", folder, "API_KEY", "")[2] == "error: API_KEY: a secret needs a value\n"
    )
    assert not (_data(folder) / "secrets.json").exists()


def test_secrets_set_on_a_folder_that_is_no_app_makes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _run(capsys, "secrets", "set", tmp_path / "typo", "API_KEY", KEY)
    assert status == 1
    assert "typo" in err
    assert not (tmp_path / "typo").exists()


def test_a_stored_secret_reaches_the_served_app(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["secrets", "set", str(folder), "API_KEY", KEY])
    compiled = compile_app(folder)
    compiled.prepare(_data(folder))
    with TestApp(compiled.build(_data(folder), smtp=None)) as app:
        assert app.get("/api/status").json() == {"secrets": {"API_KEY": True}}


# -- users -----------------------------------------------------------------------------------


def test_users_create_reads_the_password_from_kiln_password_and_the_user_can_sign_in(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILN_PASSWORD", "a long admin passphrase")

    status, out, _ = _run(capsys, "users", "create", folder, "Admin@Example.com", "--role", "admin")

    assert status == 0
    assert out == "ID  EMAIL              ROLES  VERIFIED\n1   admin@example.com  admin  yes\n"
    compiled = compile_app(folder)
    with TestApp(compiled.build(_data(folder), smtp=None)) as app:
        login = app.post(
            "/auth/login", json={"email": "admin@example.com", "password": "a long admin passphrase"}
        )
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        cron = app.get("/api/_cron", headers={"Authorization": f"Bearer {token}"})
        assert cron.status_code == 200  # the role works: the admin endpoints let them in
    conn = sqlite3.connect(_data(folder) / "kiln.db")
    [(password_hash,)] = conn.execute("SELECT password_hash FROM users").fetchall()
    conn.close()
    assert password_hash.startswith(
        "$argon2id$v=19$m=65536,t=3,p=4$"
    )  # RFC 9106 low memory, not the test one


def test_users_create_with_password_stdin(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("typed on standard input\n"))
    status, out, _ = _run(capsys, "users", "create", folder, "bob@example.com", "--password-stdin", "--json")
    assert status == 0
    user = json.loads(out)
    assert {k: user[k] for k in ("id", "email", "roles", "verified")} == {
        "id": 1,
        "email": "bob@example.com",
        "roles": [],
        "verified": True,
    }
    assert "password" not in out


def test_users_create_without_a_password_is_exit_1(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KILN_PASSWORD", raising=False)
    assert _run(capsys, "users", "create", folder, "bob@example.com") == (
        1,
        "",
        "error: give the password on standard input with --password-stdin, or in KILN_PASSWORD\n",
    )


def test_users_create_refuses_a_taken_email_a_bad_one_and_a_short_password(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILN_PASSWORD", "a long passphrase")
    main(["users", "create", str(folder), "ann@example.com"])
    capsys.readouterr()

    assert _run(capsys, "users", "create", folder, "ANN@example.com")[2] == (
        "error: this email is already registered: email is already registered\n"
    )
    monkeypatch.setenv("KILN_PASSWORD", "short")
    status, _, err = _run(capsys, "users", "create", folder, "cleo@example.com")
    assert (status, err) == (1, "error: User is invalid: password must be at least 8 characters\n")


def test_users_roles_gives_exactly_the_roles_named(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILN_PASSWORD", "a long passphrase")
    main(["users", "create", str(folder), "ann@example.com", "--role", "editor"])
    capsys.readouterr()

    status, out, _ = _run(capsys, "users", "roles", folder, "ann@example.com", "admin", "auditor", "admin")
    assert status == 0
    assert out == "ID  EMAIL            ROLES          VERIFIED\n1   ann@example.com  admin auditor  yes\n"
    assert json.loads(_run(capsys, "users", "roles", folder, "ann@example.com", "--json")[1])["roles"] == []
    assert _run(capsys, "users", "roles", folder, "nobody@example.com", "admin") == (
        1,
        "",
        "error: no user has the email nobody@example.com\n",
    )


def test_users_list_prints_every_user_oldest_first(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KILN_PASSWORD", "a long passphrase")
    main(["users", "create", str(folder), "ann@example.com", "--role", "admin"])
    main(["users", "create", str(folder), "bob@example.com"])
    capsys.readouterr()

    status, out, _ = _run(capsys, "users", "list", folder)
    assert status == 0
    assert out == (
        "ID  EMAIL            ROLES  VERIFIED\n1   ann@example.com  admin  yes\n2   bob@example.com  -      yes\n"
    )
    listed = json.loads(_run(capsys, "users", "list", folder, "--json")[1])
    assert [(u["email"], u["roles"]) for u in listed["items"]] == [
        ("ann@example.com", ["admin"]),
        ("bob@example.com", []),
    ]


def test_users_on_an_app_without_auth_is_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "todo-app", tmp_path / "todo", ignore=shutil.ignore_patterns(".kiln"))
    assert _run(capsys, "users", "list", tmp_path / "todo") == (
        1,
        "",
        "error: todo has no [auth]: it has no users\n",
    )


# -- cron ------------------------------------------------------------------------------------


def test_cron_list_shows_each_job(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "cron", "list", folder, "--json")
    assert status == 0
    items = json.loads(out)["items"]
    assert [(i["name"], i["schedule"], i["last_run"], i["last_status"]) for i in items] == [
        ("tick", "*/5 * * * *", None, None),
        ("broken", "0 * * * *", None, None),
        ("hold", "0 0 1 1 *", None, None),
    ]
    assert _run(capsys, "cron", "list", folder)[1].splitlines()[0].split() == [
        "NAME",
        "SCHEDULE",
        "NEXT",
        "RUN",
        "LAST",
        "RUN",
        "LAST",
        "STATUS",
    ]


def test_cron_trigger_runs_the_job_records_the_run_and_logs_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "cron", "trigger", folder, "tick", "--json")

    assert status == 0
    run = json.loads(out)
    assert (run["trigger"], run["status"], run["error"]) == ("manual", "ok", None)
    conn = sqlite3.connect(_data(folder) / "kiln.db")
    assert conn.execute("SELECT job FROM ticks").fetchall() == [("tick",)]
    conn.close()
    assert "cron job tick ran" in err
    lines = [json.loads(line) for line in (_data(folder) / "logs" / "kiln.jsonl").read_text().splitlines()]
    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("info", "kiln.cron", "cron job tick ran")
    ]
    assert lines[0]["request_id"] is None


def test_cron_trigger_of_a_failing_job_is_exit_1_with_the_error(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "cron", "trigger", folder, "broken")
    assert status == 1
    header, row = out.splitlines()
    assert header.split() == ["ID", "TRIGGER", "STARTED", "FINISHED", "STATUS", "ERROR"]
    assert row.split()[1] == "manual"
    assert row.split(None, 5)[4:] == ["error", "RuntimeError: the digest service is down"]
    assert "Traceback" in err  # the traceback goes to the log, and the log to stderr


def test_cron_history_lists_runs_newest_first(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["cron", "trigger", str(folder), "broken"])
    main(["cron", "trigger", str(folder), "broken"])
    main(["cron", "trigger", str(folder), "tick"])
    capsys.readouterr()

    status, out, _ = _run(capsys, "cron", "history", folder, "broken", "--json")
    assert status == 0
    runs = json.loads(out)["items"]
    assert [(r["id"], r["status"]) for r in runs] == [(2, "error"), (1, "error")]
    assert (
        len(
            json.loads(_run(capsys, "cron", "history", folder, "broken", "--json", "--limit", "1")[1])[
                "items"
            ]
        )
        == 1
    )


def test_cron_of_an_unknown_job_or_an_app_without_jobs_is_exit_1(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "cron", "trigger", folder, "nightly") == (
        1,
        "",
        'error: no cron job named "nightly" (jobs: tick, broken, hold)\n',
    )
    shutil.copytree(FIXTURES / "todo-app", tmp_path / "todo", ignore=shutil.ignore_patterns(".kiln"))
    assert _run(capsys, "cron", "list", tmp_path / "todo") == (1, "", "error: todo has no [[cron]] jobs\n")


# -- logs ------------------------------------------------------------------------------------


def _write_log(folder: Path, *lines: dict[str, Any]) -> None:
    path = _data(folder) / "logs" / "kiln.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"torn": ')


def _line(minutes_ago: float, level: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "time": stamp,
        "level": level,
        "logger": "kiln.test",
        "request_id": request_id,
        "message": message,
    }


@pytest.fixture
def logged(folder: Path) -> Path:
    _write_log(
        folder,
        _line(180, "info", "three hours ago"),
        _line(30, "warning", "half an hour ago", "r-1"),
        _line(2, "error", "two minutes ago", "r-2"),
        _line(1, "debug", "a minute ago", "r-2"),
    )
    return folder


def _messages(out: str) -> list[str]:
    return [line["message"] for line in json.loads(out)]


def test_logs_prints_every_line_oldest_first(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "logs", logged)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert lines[1].endswith(" WARNING kiln.test [r-1] half an hour ago")
    assert lines[0].endswith(" INFO    kiln.test [-] three hours ago")


def test_logs_since_takes_minutes_hours_and_datetimes(
    logged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _messages(_run(capsys, "logs", logged, "--since", "5m", "--json")[1]) == [
        "two minutes ago",
        "a minute ago",
    ]
    assert len(_messages(_run(capsys, "logs", logged, "--since", "1h", "--json")[1])) == 3
    assert len(_messages(_run(capsys, "logs", logged, "--since", "1d", "--json")[1])) == 4
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(_messages(_run(capsys, "logs", logged, "--since", an_hour_ago, "--json")[1])) == 3


def test_logs_level_keeps_that_level_and_above(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _messages(_run(capsys, "logs", logged, "--level", "warning", "--json")[1]) == [
        "half an hour ago",
        "two minutes ago",
    ]
    assert len(_messages(_run(capsys, "logs", logged, "--level", "debug", "--json")[1])) == 4


def test_logs_request_id_keeps_that_requests_lines(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _messages(_run(capsys, "logs", logged, "--request-id", "r-2", "--json")[1]) == [
        "two minutes ago",
        "a minute ago",
    ]


def test_logs_reads_rotated_files_first(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_log(folder, _line(1, "info", "current"))
    rotated = _data(folder) / "logs" / "kiln.jsonl.1"
    rotated.write_text(json.dumps(_line(5, "info", "rotated once")) + "\n")
    (_data(folder) / "logs" / "kiln.jsonl.2").write_text(json.dumps(_line(9, "info", "rotated twice")) + "\n")
    assert _messages(_run(capsys, "logs", folder, "--json")[1]) == [
        "rotated twice",
        "rotated once",
        "current",
    ]


def test_logs_refuses_a_since_it_cannot_read(logged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "logs", logged, "--since", "yesterday") == (
        1,
        "",
        "error: --since takes 30s, 5m, 1h, 2d or an ISO datetime such as 2026-12-01T09:30, not 'yesterday'\n",
    )


def test_logs_of_an_app_that_never_ran_say_so(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "logs", folder)
    assert (status, out) == (0, "")
    assert err == f"kiln: no log at {_data(folder) / 'logs' / 'kiln.jsonl'} yet: `kiln serve` writes it\n"
