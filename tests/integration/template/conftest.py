"""Fixtures for the template category: site-app, and requests sent exactly as written."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp


@pytest.fixture
def site_app(test_app: Any) -> TestApp:
    """site-app: a fresh instance locally, the served one remotely."""
    started: TestApp = test_app("site-app")
    return started


@pytest.fixture
def raw_get(site_app: TestApp) -> Callable[[str], tuple[int, bytes]]:
    """``raw_get("/static/../app.toml")``: the status and body of a GET whose request target is
    sent byte for byte, as a client that does not tidy paths would (httpx removes dot segments)."""

    def get(target: str) -> tuple[int, bytes]:
        host = site_app.url.split("//", 1)[1]
        hostname, _, port = host.partition(":")
        with socket.create_connection((hostname, int(port or 80)), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body

    return get


CHROMIUM = "/usr/bin/chromium"
# What Chromium needs on a machine whose network is closed: no sandbox (root), no background
# connections, no component updates.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (``.ci/run`` installs it). One per test: Playwright's
    sync API keeps an event loop running on the thread, which other tests' ``asyncio.run`` cannot
    share."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_BROWSER = pytest.StashKey[tuple[Any, list[str], Path]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a browser test fails, keep its page's screenshot and console log, and name them."""
    report = yield
    if report.when == "call" and report.failed and _BROWSER in item.stash:
        page, console, folder = item.stash[_BROWSER]
        shot, log = folder / "browser-screenshot.png", folder / "browser-console.log"
        page.screenshot(path=str(shot), full_page=True)
        log.write_text("\n".join(console) + "\n")
        report.sections.append(("browser", f"screenshot: {shot}\nconsole log: {log}"))
    return report


@pytest.fixture
def page(chromium: Any, site_app: TestApp, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A new browser page (its own cookies) on site-app's URL. When the test fails, its screenshot
    and console log are kept (in the app's kept data directory locally) and named in the report."""
    context = chromium.new_context(base_url=site_app.url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    request.node.stash[_BROWSER] = (page, console, tmp_path if site_app.remote else site_app.data_dir)
    yield page
    context.close()
