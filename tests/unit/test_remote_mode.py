"""Remote mode: TestApp(base_url=...) starts nothing and talks to a server that is already running.

The server here is a local TestApp in this process, so these tests see the harness exactly as
it runs (mutation testing included); tests/unit/test_remote.py meets a real `kiln serve`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sample_apps

from harness import HarnessError, LocalOnly, TestApp, WrongRemoteApp

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def todo_server() -> Iterator[str]:
    """The URL of todo-app, served for this test as if it were deployed."""
    with TestApp(FIXTURES / "todo-app") as server:
        yield server.url


def test_remote_testapp_talks_to_the_running_server(todo_server: str) -> None:
    with TestApp(FIXTURES / "todo-app", base_url=todo_server + "/") as app:
        assert app.remote
        assert (app.url, app.name) == (todo_server, "todo")
        assert app.port == int(todo_server.rsplit(":", 1)[1])
        assert app.get("/health").json() == {"status": "ok", "app": "todo", "mode": "dev"}
        assert [(e.method, e.path, e.status) for e in app.requests] == [("GET", "/health", 200)]
        assert repr(app) == f"<TestApp todo remote at {todo_server}>"
    assert repr(app) == f"<TestApp todo closed at {todo_server}>"


def test_a_local_testapp_shows_it_is_serving() -> None:
    with TestApp(sample_apps.app) as app:
        assert repr(app) == f"<TestApp Starlette serving at {app.url}>"


@pytest.mark.parametrize("feature", ["db", "clock", "logs", "data_dir", "db_path"])
def test_remote_testapp_local_features_raise_local_only(todo_server: str, feature: str) -> None:
    with (
        TestApp(FIXTURES / "todo-app", base_url=todo_server) as app,
        pytest.raises(LocalOnly, match=rf"TestApp\.{feature} is not available in remote mode"),
    ):
        getattr(app, feature)


def test_remote_testapp_diagnostics_show_requests_not_internals(todo_server: str) -> None:
    with TestApp(FIXTURES / "todo-app", base_url=todo_server) as app:
        app.get("/nope")
        text = app.diagnostics()
    assert "GET /nope -> 404" in text
    assert "log tail: not available in remote mode" in text
    assert "data directory: on the remote server" in text


def test_remote_testapp_close_leaves_the_server_running(todo_server: str) -> None:
    TestApp(FIXTURES / "todo-app", base_url=todo_server).close()
    assert httpx.get(todo_server + "/health").status_code == 200


def test_a_server_of_another_app_is_refused_naming_both(todo_server: str) -> None:
    with pytest.raises(WrongRemoteApp) as refused:
        TestApp(FIXTURES / "blog-app", base_url=todo_server)
    assert str(refused.value) == f"the server at {todo_server} serves the app 'todo', not 'blog'"
    assert (refused.value.url, refused.value.expected, refused.value.served) == (todo_server, "blog", "todo")


def test_a_plain_asgi_target_is_not_checked_and_keeps_its_name() -> None:
    with TestApp(sample_apps.app) as server, TestApp(sample_apps.app, base_url=server.url) as remote:
        assert remote.get("/echo").json()["method"] == "GET"
        assert remote.name == str(sample_apps.app)


def test_remote_as_user_registers_over_http(tmp_path: Path) -> None:
    folder = tmp_path / "open-auth"
    shutil.copytree(FIXTURES / "auth-app", folder)
    toml = folder / "app.toml"
    toml.write_text(toml.read_text().replace("verify_email = true", "verify_email = false"))
    with TestApp(folder) as server, TestApp(FIXTURES / "auth-app", base_url=server.url) as remote:
        ann = remote.as_user("ann@example.com")
        assert ann.get("/auth/me").json() == ann.user
        assert ann.user["email"] == "ann@example.com"
        assert server.db["users"].count == 1
        with pytest.raises(
            LocalOnly, match=r"TestApp\.as_user\(roles=\.\.\.\) is not available in remote mode"
        ):
            remote.as_user("boss@example.com", roles=["admin"])
        with pytest.raises(HarnessError) as refused:
            remote.as_user("ann@example.com")  # registered already: 409
        assert str(refused.value).startswith("registering ann@example.com failed: 409 ")


def test_remote_as_user_follows_the_verification_mail_in_the_dev_outbox() -> None:
    with (
        TestApp(FIXTURES / "auth-app") as server,
        TestApp(FIXTURES / "auth-app", base_url=server.url) as remote,
    ):
        bob = remote.as_user("bob@example.com")
        assert bob.get("/auth/me").json() == bob.user
        assert (bob.user["email"], bob.user["verified"]) == ("bob@example.com", True)
        [mail] = remote.mail.sent_to("bob@example.com")
        assert mail.subject == "Verify your email address"
        with pytest.raises(LocalOnly, match=r"as_user\(verified=False\) on an app that verifies emails"):
            remote.as_user("cy@example.com", verified=False)


def test_remote_mail_beyond_sent_to_is_local_only() -> None:
    with (
        TestApp(FIXTURES / "auth-app") as server,
        TestApp(FIXTURES / "auth-app", base_url=server.url) as remote,
    ):
        for read in (lambda: remote.mail.outbox, lambda: remote.mail.inbox):
            with pytest.raises(LocalOnly, match=r"TestApp\.mail\.(outbox|inbox) is not available"):
                read()
        with pytest.raises(LocalOnly, match=r"TestApp\.mail\.send\(\) is not available"):
            remote.mail.send("a@example.com", "b@example.com", "s", "t")


def test_remote_as_user_on_a_prod_server_that_verifies_emails_is_local_only(tmp_path: Path) -> None:
    from kiln.compiler import compile_app

    compiled = compile_app(FIXTURES / "auth-app")
    compiled.prepare(tmp_path)
    with (
        TestApp(compiled.build(tmp_path, mode="prod", smtp=None)) as server,
        TestApp(FIXTURES / "auth-app", base_url=server.url) as remote,
        pytest.raises(LocalOnly, match="verifies emails before it signs anyone in, and shows no dev outbox"),
    ):
        remote.as_user("bob@example.com")


def test_requests_record_the_same_path_locally_and_remotely() -> None:
    with TestApp(sample_apps.app) as local, TestApp(sample_apps.app, base_url=local.url) as remote:
        local.get("/echo/my file.txt", params={"q": "a b"})
        remote.get("/echo/my file.txt", params={"q": "a b"})
        assert local.requests[-1].path == "/echo/my file.txt?q=a+b"
        assert remote.requests[-1].path == "/echo/my file.txt?q=a+b"
        assert [e.path for e in local.requests] == ["/echo/my file.txt?q=a+b"] * 2


@pytest.mark.regression
def test_a_stopped_server_is_forgotten_so_its_port_may_serve_another_app() -> None:
    # the OS hands a freed port to the next server; the /health answer cached for the old one
    # made a remote TestApp refuse the new one as the wrong app (a flaky WrongRemoteApp in CI)
    from harness import remote

    with TestApp(FIXTURES / "todo-app") as todo, TestApp(FIXTURES / "todo-app", base_url=todo.url) as seen:
        assert seen.get("/health").json()["app"] == "todo"
        url = todo.url
        assert url in remote._health  # asked once, then cached
    assert url not in remote._health
