"""The harness's pytest plugin: options, markers, category markers and failure diagnostics.

Registered through the ``pytest11`` entry point, so installing the distribution enables it.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from harness.app import TestApp
from harness.errors import LocalOnly
from harness.fixtures import (
    APPS_KEY,
    FAILED_KEY,
    KEPT_PROPERTY,
    app,
    fake_http,
    fake_smtp,
    remote_targets,
    test_app,
)

__all__ = ["CATEGORIES", "app", "fake_http", "fake_smtp", "test_app"]

#: Integration-test categories: a test under ``tests/integration/<category>/`` gets that marker.
CATEGORIES = {
    "routing": "declared routes, methods, parameters and redirects",
    "entity": "entity REST collections: CRUD, lists, filters and ETags",
    "fk": "relations: ref fields, eager loading and delete semantics",
    "search": "full-text and semantic search",
    "auth": "users, tokens, guards and roles",
    "upload": "file uploads, blobs, thumbnails and presigned URLs",
    "websocket": "WebSocket rooms and realtime events",
    "template": "templates, static files and the SPA fallback",
    "errors": "the error envelope, request ids and error pages",
    "runtime": "secrets, cron, mail in and out, logs, WASM and fake external services",
    "workflow": "durable workflows: runs, sleeps on the clock, retries and their endpoints",
    "hosting": "kiln host: deploys, bundles, renames, takedowns and the control API",
}

_MARKERS = {
    "app(name, **kwargs)": "start the named fixture app for the `app` fixture",
    "regression": "pins a bug that was found and fixed",
    "local_only(reason)": "needs the local server (db, clock, logs, a fresh database); skipped remotely",
    "browser": "drives a real browser",
    "slow": "takes more than a second",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "kiln harness")
    group.addoption(
        "--base-url",
        metavar="URL",
        action="append",
        default=None,
        help="run against the server at URL instead of starting apps (remote mode); "
        "NAME=URL, once per fixture app, gives each app its own server",
    )
    group.addoption(
        "--keep-data",
        action="store_true",
        default=False,
        help="keep every test app's data directory and print its path",
    )
    parser.addini(
        "kiln_fixtures", "folder of fixture apps, relative to the rootdir", default="tests/fixtures"
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, help_text in {**CATEGORIES, **_MARKERS}.items():
        config.addinivalue_line("markers", f"{name}: {help_text}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    remote = remote_targets(config).active
    for item in items:
        category = category_of(item.path)
        if category is not None:
            item.add_marker(category)
        local_only = item.get_closest_marker("local_only")
        if remote and local_only is not None:
            reason = local_only.args[0] if local_only.args else "needs the local server"
            item.add_marker(pytest.mark.skip(reason=f"local_only: {reason}, and --base-url is set"))


def category_of(path: Path) -> str | None:
    """The category of a test file under ``…/integration/<category>/``, if any."""
    parts = path.parts
    for index, part in enumerate(parts[:-1]):
        if part == "integration" and parts[index + 1] in CATEGORIES:
            return parts[index + 1]
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _skip_local_only(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _skip_local_only(item))


def _skip_local_only(item: pytest.Item) -> Generator[None, None, None]:
    """In remote mode, a test (or fixture) that reaches for db, clock or logs is skipped, not failed."""
    try:
        return (yield)
    except LocalOnly as exc:
        if not remote_targets(item.config).active:
            raise
        pytest.skip(f"local_only: uses TestApp.{exc.feature}, which remote mode does not have")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[FAILED_KEY] = True
        if report.when != "teardown":
            for started in item.stash.get(APPS_KEY, []):
                if not started.closed:
                    report.sections.append((f"kiln diagnostics: {started.name}", _diagnostics(started)))
    return report


def _diagnostics(started: TestApp) -> str:
    """The app's diagnostics; a failure to gather them is a line of the report, never a crash."""
    try:
        return started.diagnostics()
    except Exception as exc:
        return f"diagnostics failed: {type(exc).__name__}: {exc}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List every data directory a test kept, so it can be found without ``-s``."""
    kept: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == KEPT_PROPERTY:
                    kept[str(value)] = report.nodeid
    if kept:
        terminalreporter.section("harness: kept data directories")
        for path, nodeid in kept.items():
            terminalreporter.line(f"{nodeid}: {path}")
