"""The fixtures the harness's pytest plugin provides: ``test_app``, ``app``, ``fake_smtp`` and
``fake_http``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.app import TestApp
from harness.errors import WrongRemoteApp
from harness.fakes import FakeHTTP, FakeSMTP
from harness.remote import RemoteTargets, kiln_folder
from harness.targets import Target
from harness.teardown import Teardown

__all__ = [
    "APPS_KEY",
    "APP_PROPERTY",
    "FAILED_KEY",
    "KEPT_PROPERTY",
    "REMOTE_KEY",
    "app",
    "fake_http",
    "fake_smtp",
    "remote_targets",
    "resolve_fixture_name",
    "test_app",
]

#: The TestApps a test started, so a failure report can show their diagnostics.
APPS_KEY = pytest.StashKey[list[TestApp]]()
#: Set on an item when one of its phases failed, so its apps keep their data directories.
FAILED_KEY = pytest.StashKey[bool]()
#: The ``user_properties`` name under which a kept data directory travels to the terminal summary
#: (user properties cross from xdist workers to the controller with the report).
KEPT_PROPERTY = "harness_kept_data"
#: The ``user_properties`` name recording each app a test started (the remote runner counts them).
APP_PROPERTY = "harness_app"
#: The parsed ``--base-url`` values of the session.
REMOTE_KEY = pytest.StashKey[RemoteTargets]()


def remote_targets(config: pytest.Config) -> RemoteTargets:
    """The session's ``--base-url`` values; ``.active`` says whether this is remote mode."""
    if REMOTE_KEY not in config.stash:
        try:
            config.stash[REMOTE_KEY] = RemoteTargets.parse(config.getoption("base_url"))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[REMOTE_KEY]


def resolve_fixture_name(config: pytest.Config, target: Target) -> Target:
    """A bare name such as ``"todo-app"`` becomes the folder of that name under ``kiln_fixtures``."""
    if not isinstance(target, str) or ":" in target or "/" in target or Path(target).is_dir():
        return target
    fixtures_dir = config.rootpath / str(config.getini("kiln_fixtures"))
    folder = fixtures_dir / target
    if folder.is_dir():
        return folder
    known = sorted(p.name for p in fixtures_dir.iterdir() if p.is_dir()) if fixtures_dir.is_dir() else []
    raise pytest.UsageError(
        f"no fixture app named {target!r} in {fixtures_dir} (known: {', '.join(known) or 'none'}); "
        f"set the ini option kiln_fixtures to the folder holding your fixture apps"
    )


@pytest.fixture
def test_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., TestApp]]:
    """Start apps for this test: ``test_app(target, settings={...}, secrets={...}, **kwargs)``.
    ``target`` is any of: a fixture app name such as ``"todo-app"`` (a folder under the ini option
    ``kiln_fixtures``, default ``tests/fixtures``); a kiln folder path, or its ``app.toml``; an
    ASGI app (``(scope, receive, send)`` or ``*args``, class instances included); a factory
    taking no argument, or one taking the data directory; or a ``"package.module:attr"`` string
    naming an app or a factory. Other keywords go to ``harness.TestApp``. Each app gets its own
    port (127.0.0.1, port 0) and data directory under pytest's temporary directory, and is closed
    after the test, every one of them even when closing another fails. A failed test keeps its
    apps' data directories and its report shows each app's diagnostics. With ``--base-url``
    nothing starts: the app talks to that server, and a fixture app the server does not serve
    is skipped.
    """
    config = request.config
    started: list[TestApp] = []
    request.node.stash[APPS_KEY] = started
    data_root = tmp_path_factory.getbasetemp() / "harness"
    data_root.mkdir(exist_ok=True)

    def start(target: Target, **kwargs: Any) -> TestApp:
        resolved = resolve_fixture_name(config, target)
        name = _fixture_name(target, resolved)
        remote = remote_targets(config)
        if remote.active and "base_url" not in kwargs:
            url = remote.url_for(name)
            if url is None:
                if name is None:
                    pytest.skip(
                        "remote mode: no --base-url for an app given as an object (give a URL without NAME=)"
                    )
                pytest.skip(f"remote mode: no --base-url for the app {name!r} (give {name}=URL)")
            kwargs["base_url"] = url
        kwargs.setdefault("keep_data", config.getoption("keep_data"))
        kwargs.setdefault("data_root", data_root)
        request.node.user_properties.append((APP_PROPERTY, name or "(asgi)"))
        try:
            started.append(TestApp(resolved, **kwargs))
        except WrongRemoteApp as exc:
            pytest.skip(
                f"remote mode: this test is for {exc.expected!r}, but {exc.url} serves {exc.served!r}"
            )
        return started[-1]

    yield start
    failed = request.node.stash.get(FAILED_KEY, False)
    teardown = Teardown()
    for started_app in started:
        teardown.push(functools.partial(started_app.close, keep_data=True if failed else None))
    try:
        teardown.close()  # every app is closed even when closing another one failed
    finally:
        for started_app in started:
            if started_app.kept_data_dir is not None:
                request.node.user_properties.append((KEPT_PROPERTY, str(started_app.kept_data_dir)))


@pytest.fixture
def app(request: pytest.FixtureRequest, test_app: Callable[..., TestApp]) -> TestApp:
    """The app named by the test's ``@pytest.mark.app("todo-app", **testapp_kwargs)`` marker."""
    marker = request.node.get_closest_marker("app")
    if marker is None or not marker.args:
        raise pytest.UsageError(
            f"{request.node.nodeid} uses the `app` fixture without naming an app: "
            f'add @pytest.mark.app("todo-app") to the test, its class or its module'
        )
    return test_app(*marker.args, **marker.kwargs)


def _fixture_name(target: Target, resolved: Target) -> str | None:
    """The fixture name ``--base-url NAME=URL`` uses for ``target``: its folder's name, if any."""
    folder = kiln_folder(resolved)
    if folder is not None:
        return folder.name
    return Path(target).name if isinstance(target, str) and ":" not in target else None


@pytest.fixture
def fake_smtp() -> Iterator[FakeSMTP]:
    """A :class:`harness.fakes.FakeSMTP` on a free port, for the test alone: every message it
    accepts is in ``.messages``. Point an app at it with
    ``test_app("runtime-app", settings={"mail.outbound": fake_smtp.url})``."""
    with FakeSMTP() as fake:
        yield fake


@pytest.fixture
def fake_http() -> Iterator[FakeHTTP]:
    """A :class:`harness.fakes.FakeHTTP` on a free port, for the test alone: script answers with
    ``fake_http.script("POST", "/hook", status=200, json={...})``, read ``.requests``."""
    with FakeHTTP() as fake:
        yield fake
