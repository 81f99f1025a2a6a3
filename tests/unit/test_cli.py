"""The ``kiln`` command run in this process: its help, its route table, and what ``serve`` starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln import cli
from kiln.cli import main
from kiln.cli.common import compile_folder

FIXTURES = Path(__file__).parents[1] / "fixtures"

BLOG_ROUTES = """\
METHODS               PATH                     TARGET
GET                   /health                  built in: health
GET                   /openapi.json            built in: OpenAPI document
GET POST              /api/authors             Author collection
GET PATCH PUT DELETE  /api/authors/{id:int}    Author record
GET POST              /api/posts               Post collection
GET PATCH PUT DELETE  /api/posts/{id:int}      Post record
GET                   /api/posts/search        Post search
GET POST              /api/comments            Comment collection
GET PATCH PUT DELETE  /api/comments/{id:int}   Comment record
GET                   /api/comments/search     Comment search
GET POST              /api/tags                Tag collection
GET PATCH PUT DELETE  /api/tags/{id:int}       Tag record
GET POST              /api/post_tags           PostTag collection
GET PATCH PUT DELETE  /api/post_tags/{id:int}  PostTag record
GET POST              /api/pins                Pin collection
GET PATCH PUT DELETE  /api/pins/{id:int}       Pin record
"""


def test_routes_prints_one_aligned_row_per_route(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", str(FIXTURES / "blog-app")]) == 0
    assert capsys.readouterr().out == BLOG_ROUTES


# Declared routes come after the collections: literal segments first, then typed parameters
# (int, float, uuid), then str, then path; routes of the same shape in file order.
TODO_ROUTES = """\
METHODS               PATH                                      TARGET
GET                   /health                                   built in: health
GET                   /openapi.json                             built in: OpenAPI document
GET POST              /api/todos                                Todo collection
GET PATCH PUT DELETE  /api/todos/{id:int}                       Todo record
GET POST              /api/projects                             Project collection
GET PATCH PUT DELETE  /api/projects/{id:int}                    Project record
GET POST              /api/categories                           Category collection
GET PATCH PUT DELETE  /api/categories/{id:int}                  Category record
GET                   /api/fail/async                           handler handlers:fail
GET                   /api/fail/sync                            handler handlers:fail_sync
GET                   /api/fail/unserializable                  handler handlers:unserializable
GET                   /api/echo/{x:float}/float                 handler handlers:echo
GET POST PATCH        /api/echo/{n:int}                         handler handlers:echo
GET                   /api/uuid/{u:uuid}                        handler handlers:echo
GET                   /api/stats                                handler handlers:stats
GET                   /posts/new                                template new_post.html
GET                   /api/time                                 handler handlers:now
GET                   /api/settings                             handler handlers:show_settings
GET                   /api/sync                                 handler handlers:sync_count
POST                  /api/quick-todo                           handler handlers:quick_todo
GET                   /api/accepted                             handler handlers:accepted
GET                   /api/teapot                               handler handlers:teapot
GET                   /api/titles                               handler handlers:titles
GET                   /api/noisy                                handler handlers:noisy
GET PUT DELETE        /projects/{project:int}/todos/{todo:int}  handler handlers:echo
GET                   /posts/{id:int}                           handler handlers:echo
GET                   /hello/{name}                             template hello.html
GET                   /posts/{slug}                             handler handlers:echo
GET                   /greet/{name}                             redirect 301 /hello/{name}
GET                   /files/{rest:path}                        handler handlers:echo
GET                   /                                         template index.html
GET                   /broken                                   template broken.html
GET                   /contact                                  template contact.html
POST                  /contact                                  handler handlers:contact_submit
GET                   /home                                     redirect 308 /
GET                   /elsewhere                                redirect 302 https://example.com/
"""


def test_routes_lists_declared_routes_in_dispatch_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", str(FIXTURES / "todo-app")]) == 0
    assert capsys.readouterr().out == TODO_ROUTES


# The files API sits after the collections and /auth; User has no collection (/auth serves users).
# Built-in routes say what the OpenAPI document says of them.
FILE_ROUTES = """\
METHODS               PATH                          TARGET
GET                   /health                       built in: health
GET                   /openapi.json                 built in: OpenAPI document
GET POST              /api/albums                   Album collection
GET PATCH PUT DELETE  /api/albums/{id:int}          Album record
GET POST              /api/documents                Document collection
GET PATCH PUT DELETE  /api/documents/{id:int}       Document record
POST                  /auth/register                Create a user
POST                  /auth/login                   Exchange email and password for a token
GET                   /auth/me                      The calling user
POST                  /auth/logout                  Revoke the token of this request
POST                  /auth/password                Change the password; older tokens stop working
POST                  /auth/verify                  Verify an email address with the token the mail carried
POST                  /auth/forgot                  Mail a password reset token, if the address is registered
POST                  /auth/reset                   Set a new password with a reset token; older tokens stop working
GET POST              /api/_files                   List files; Upload a file
GET                   /files/{id:int}/{name:path}   Download a file
DELETE                /api/_files/{id:int}          Delete a file
POST                  /api/_files/presign           Presign a URL
GET PUT               /files/presigned/{name:path}  Download a presigned file; Upload a presigned file
GET                   /_dev/outbox                  mail: outbox by address, in dev mode
"""


def test_routes_lists_the_files_api_and_no_user_collection(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", str(FIXTURES / "file-app")]) == 0
    assert capsys.readouterr().out == FILE_ROUTES


RUNTIME_ROUTES_FROM_CRON_ON = """\
GET                   /api/_cron                     List the cron jobs
POST                  /api/_cron/{name}/trigger      Run a cron job now
GET                   /api/_cron/{name}/history      A cron job's runs, newest first
GET                   /api/_mail/inbox               The received mail, newest first
GET                   /_dev/outbox                   mail: outbox by address, in dev mode
GET                   /api/_workflows/runs           Workflow runs, newest first
GET                   /api/_workflows/runs/{run_id}  A workflow run
POST                  /api/_workflows/{name}         Start a run of a workflow
GET                   /static/{path:path}            static files: static/
GET                   /api/status                    handler handlers:status
GET                   /api/add                       handler handlers:add
GET                   /api/spin                      handler handlers:spin
GET                   /api/trap                      handler handlers:trap
GET                   /api/upstream                  handler handlers:upstream
POST                  /api/notify                    handler handlers:notify
GET                   (any other path)               SPA fallback: static/index.html for browser navigations
"""


def test_routes_lists_the_runtimes_workflows_static_files_and_the_spa_fallback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["routes", str(FIXTURES / "runtime-app")]) == 0
    out = capsys.readouterr().out
    assert out.endswith(RUNTIME_ROUTES_FROM_CRON_ON)
    assert "POST                  /auth/reset  " in out


def test_routes_lists_the_websocket_of_an_app_with_realtime(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", str(FIXTURES / "chat-app")]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert "WS                    /ws                    realtime: rooms and record events" in rows


APPS = sorted(path.name for path in FIXTURES.iterdir() if (path / "app.toml").is_file())


@pytest.mark.parametrize("fixture", APPS)
def test_routes_lists_every_route_the_app_serves(fixture: str, capsys: pytest.CaptureFixture[str]) -> None:
    compiled = compile_folder(FIXTURES / fixture)
    assert compiled is not None
    assert main(["routes", str(FIXTURES / fixture)]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    start, end = header.index("PATH"), header.index("TARGET")
    listed = [line[start:end].strip() for line in lines]
    served = [route.path for route in compiled.shared.routes]  # what the app dispatches on
    assert "/health" in served
    missing = [path for path in served if path not in listed and f"{path}/{{path:path}}" not in listed]
    assert missing == []


def test_kiln_without_a_command_shows_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "error: the following arguments are required: COMMAND" in capsys.readouterr().err


def test_routes_of_a_broken_app_is_1_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.toml").write_text("[app]\n")
    assert main(["routes", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: app.toml: app.name: is required\n{tmp_path}: 1 problem(s)\n"


def test_openapi_prints_the_document_indented(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi", str(FIXTURES / "blog-app")]) == 0
    out = capsys.readouterr().out
    assert out.startswith('{\n  "openapi": "3.1.0",\n')
    assert json.loads(out)["info"]["title"] == "blog"


def test_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: kiln [-h] COMMAND ...\n\nA declarative app server on embedded SQLite.\n")
    for line in [
        "    serve     serve an app folder with uvicorn",
        "    check     validate an app folder and list every problem",
        "    routes    list every route in dispatch order",
        "    openapi   print the app's OpenAPI 3.1 document",
        "    reindex   rebuild the search index from the tables",
    ]:
        assert line in out.splitlines()


def test_serve_help_gives_each_option_and_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    for expected in [
        "app the app folder, or its app.toml",
        "--data DATA data directory (default: APP/.kiln/data)",
        "--host HOST interface to bind (default: 127.0.0.1)",
        "--port PORT port to bind, 0 for any free one (default: 8000)",
        "--debug show tracebacks in error responses",
        "--mode {dev,prod} reported by /health (default: dev)",
    ]:
        assert expected in lines


@pytest.mark.parametrize("command", ["check", "routes", "openapi"])
def test_each_command_takes_the_app_folder(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert f"usage: kiln {command} [-h] app" in lines
    assert "app the app folder, or its app.toml" in lines


@pytest.mark.parametrize("command", ["serve", "check", "routes", "openapi", "reindex"])
def test_a_command_needs_its_app(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command])
    assert exited.value.code == 2
    assert "the following arguments are required: app" in capsys.readouterr().err


class _Uvicorn:
    """Stands in for uvicorn.run: keeps what serve passed, and serves nothing."""

    def __init__(self) -> None:
        self.app: Any = None
        self.options: dict[str, Any] = {}

    def run(self, app: Any, **options: Any) -> None:
        self.app, self.options = app, options


@pytest.fixture
def uvicorn_run(monkeypatch: pytest.MonkeyPatch) -> _Uvicorn:
    import uvicorn

    fake = _Uvicorn()
    monkeypatch.setattr(uvicorn, "run", fake.run)
    return fake


def test_serve_defaults(uvicorn_run: _Uvicorn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    folder = tmp_path / "todo"
    shutil.copytree(FIXTURES / "todo-app", folder, ignore=shutil.ignore_patterns(".kiln"))
    assert main(["serve", str(folder)]) == 0
    data = folder / ".kiln" / "data"
    assert (data / "kiln.db").is_file()
    assert capsys.readouterr().err == f"kiln: serving todo from {data}\n"
    options = dict(uvicorn_run.options)
    assert options.pop("log_config")["loggers"]  # kiln's own logging setup
    assert options == {"host": "127.0.0.1", "port": 8000, "log_level": "info", "proxy_headers": False}
    with TestApp(uvicorn_run.app) as app:
        assert app.get("/health").json() == {"status": "ok", "app": "todo", "mode": "dev"}
        error = app.get("/api/fail/async").json()["error"]
        assert error["message"] == "Internal server error"  # no traceback without --debug


def test_serve_options(uvicorn_run: _Uvicorn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    argv = ["serve", str(FIXTURES / "todo-app"), "--data", str(data), "--host", "0.0.0.0", "--port", "0"]
    assert main([*argv, "--debug", "--mode", "prod"]) == 0
    assert (data / "kiln.db").is_file()
    assert (uvicorn_run.options["host"], uvicorn_run.options["port"]) == ("0.0.0.0", 0)
    with TestApp(uvicorn_run.app) as app:
        assert app.get("/health").json()["mode"] == "prod"
        assert "Traceback" in app.get("/api/fail/async").json()["error"]["message"]


@pytest.mark.regression
def test_serve_refuses_a_file_that_is_not_a_database(
    uvicorn_run: _Uvicorn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "kiln.db").write_bytes(b"not a database at all, just bytes" * 100)
    assert main(["serve", str(FIXTURES / "todo-app"), "--data", str(data)]) == 1
    # it raised sqlite3.DatabaseError, a traceback, instead of this line
    assert capsys.readouterr().err == (
        f"error: {data}: {data / 'kiln.db'} cannot be opened as a database: file is not a database\n"
    )
    assert uvicorn_run.app is None


def test_a_reader_that_leaves_early_is_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """``kiln openapi APP | head``: the pipe closes under the printing command."""

    class Stderr:
        closed = False

        def close(self) -> None:
            self.closed = True

    def leave(args: Any) -> int:
        raise BrokenPipeError

    stderr = Stderr()
    monkeypatch.setattr(cli.apps, "_openapi", leave)  # the parser is built by main, so it takes this one
    monkeypatch.setattr(cli.sys, "stderr", stderr)
    assert main(["openapi", str(FIXTURES / "blog-app")]) == 0
    assert stderr.closed
