"""`kiln login` and `kiln deploy` against a host: the token kept owner-only in the config
directory, a folder bundled and deployed, and the failures said plainly."""

from __future__ import annotations

import io
import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln.cli import main

pytestmark = pytest.mark.local_only("serves a kiln host of its own")
FIXTURES = Path(__file__).parents[2] / "fixtures"
PASSWORD = "correct horse battery"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config directory of the test's own (``XDG_CONFIG_HOME``), and no password variable."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KILN_PASSWORD", raising=False)
    return tmp_path / "config"


def _login(host: TestApp, monkeypatch: pytest.MonkeyPatch, email: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return main(["login", email, "--host", host.url, "--password-stdin"])


def test_login_keeps_the_token_owner_only_and_deploy_uses_it(
    host: TestApp, ann: Any, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert _login(host, monkeypatch, ann.email) == 0
    stored = config / "kiln" / "hosts.json"
    assert f"logged in to {host.url} as {ann.email}; the token is in {stored}" in capsys.readouterr().out
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    entry = json.loads(stored.read_text())[host.url.lower()]
    assert entry["email"] == ann.email
    assert (
        host.get("/_host/projects", headers={"Authorization": f"Bearer {entry['token']}"}).status_code == 200
    )

    folder = tmp_path / "My Todo App"
    shutil.copytree(FIXTURES / "todo-app", folder, ignore=shutil.ignore_patterns(".kiln"))
    (folder / ".kiln" / "data").mkdir(parents=True)
    (folder / ".kiln" / "data" / "secrets.json").write_text('{"NOT": "for the host"}')

    assert main(["deploy", str(folder), "--host", host.url]) == 0

    printed = capsys.readouterr().out
    assert f"deployed {folder} as my-todo-app (" in printed
    assert printed.rstrip().endswith(f"http://my-todo-app.localhost:{host.port}/")
    assert host.get("/api/todos", headers={"Host": "my-todo-app.localhost"}).json()["items"] == []
    deployed = host.data_dir / "projects" / "my-todo-app"
    assert not (deployed / ".kiln" / "data" / "secrets.json").exists()  # .kiln stays home

    assert main(["deploy", str(folder), "--host", host.url, "--slug", "my-todo-app"]) == 0
    assert "redeployed" in capsys.readouterr().out


def test_login_with_a_wrong_password_stores_nothing(
    host: TestApp, ann: Any, config: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("not the password\n"))
    assert main(["login", ann.email, "--host", host.url, "--password-stdin"]) == 1
    assert "the email or the password is wrong (401 invalid_credentials)" in capsys.readouterr().err
    assert not (config / "kiln" / "hosts.json").exists()


def test_login_never_prompts_when_stdin_is_not_a_terminal(
    host: TestApp, config: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no prompt to wait on
    assert main(["login", "ann@example.com", "--host", host.url]) == 1
    assert "--password-stdin, or in KILN_PASSWORD" in capsys.readouterr().err


def test_deploy_before_login_says_so(host: TestApp, config: Path, capsys: Any) -> None:
    assert main(["deploy", str(FIXTURES / "todo-app"), "--host", host.url]) == 1
    assert f"log in first: kiln login --host {host.url} EMAIL" in capsys.readouterr().err
    assert host.get("/_host/health").json()["projects"] == 0


def test_deploy_of_a_broken_folder_sends_nothing(
    host: TestApp, ann: Any, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert _login(host, monkeypatch, ann.email) == 0
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "app.toml").write_text("[app]\nnmae = 'x'\n")

    assert main(["deploy", str(tmp_path / "broken"), "--host", host.url]) == 1

    assert 'app.toml: app.nmae: unknown key "nmae"' in capsys.readouterr().err
    assert host.get("/_host/health").json()["projects"] == 0


def test_deploy_says_what_the_host_refused(
    host: TestApp,
    ann: Any,
    sign_up: Callable[..., Any],
    bundle: Callable[[str], bytes],
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    assert ann.deploy("todo", bundle("todo-app")).status_code == 201
    sign_up("eve@example.com")
    assert _login(host, monkeypatch, "eve@example.com") == 0

    assert main(["deploy", str(FIXTURES / "todo-app"), "--host", host.url, "--slug", "todo"]) == 1

    assert (
        "the name 'todo' is another user's project (409 unique_violation) - slug: is taken"
        in capsys.readouterr().err
    )
