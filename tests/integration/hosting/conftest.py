"""Fixtures of the hosting category: a `kiln host` of the test's own (a fresh ROOT, served on a
port of its own), its users, and bundles of the fixture apps.

In remote mode (`--base-url kiln-host=URL`, as .ci/remote gives it) the tests that do not look at
the host's folders run against that running `kiln host` instead, so every user and project here
has a name of its test's own (`unique_id`).

The host picks a project by the `Host` header, so the clients here send `Host: <slug>.localhost`;
a request without one (to 127.0.0.1) reaches the control API.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import TestApp, unique_id
from harness.fixtures import remote_targets
from kiln.hosting import Host, make_bundle

FIXTURES = Path(__file__).parents[2] / "fixtures"
ADMIN_TOKEN = "admin-token-for-tests"
PASSWORD = "correct horse battery"


@pytest.fixture
def host(test_app: Any, request: pytest.FixtureRequest) -> TestApp:
    """A kiln host on a fresh ROOT (the TestApp's data directory), dev mode; remotely, the
    ``kiln-host`` server."""

    def factory(root: Path) -> Host:
        return Host(root, admin_token=ADMIN_TOKEN, testing=True)

    remote = remote_targets(request.config)
    if remote.active:
        url = remote.url_for("kiln-host")
        if url is None:
            pytest.skip("remote mode: no --base-url for the app 'kiln-host' (give kiln-host=URL)")
        return test_app(factory, base_url=url)  # type: ignore[no-any-return]
    app: TestApp = test_app(factory)
    return app


def _address(name: str) -> str:
    return f"{unique_id(name)}@example.com"


@pytest.fixture
def address() -> Callable[[str], str]:
    """``address("eve")``: an email address of this test's own."""
    return _address


@pytest.fixture
def slug() -> Callable[[str], str]:
    """``slug("todo")``: a project name of this test's own, such as ``todo-3f9c1a2b-gw1-7``."""
    return lambda name: unique_id(name)


class HostUser:
    """A signed-up, verified and logged-in user of the host: ``headers`` sign requests in."""

    def __init__(self, host: TestApp, email: str, token: str) -> None:
        self.host, self.email = host, email
        self.headers = {"Authorization": f"Bearer {token}"}
        #: The project a fixture deployed for this user, if one did.
        self.slug = ""

    @property
    def on(self) -> dict[str, str]:
        """Headers that reach the user's project (:attr:`slug`)."""
        return {"Host": f"{self.slug}.localhost"}

    def deploy(self, slug: str, bundle: bytes) -> httpx.Response:
        """``POST /_host/projects`` with ``slug`` and ``bundle``."""
        return self.host.post(
            "/_host/projects",
            data={"slug": slug},
            files={"bundle": ("bundle.tar.gz", bundle, "application/gzip")},
            headers=self.headers,
        )


@pytest.fixture
def sign_up(host: TestApp) -> Callable[..., HostUser]:
    """``sign_up(email, verify=True)``: a user of ``host``."""
    return lambda email, verify=True: _sign_up(host, email, verify=verify)


def _sign_up(host: TestApp, email: str, *, verify: bool) -> HostUser:
    """Register ``email`` on the host, follow the mailed token if ``verify``, and log in."""
    registered = host.post("/_host/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    if verify:
        [mail] = host.get("/_host/dev/outbox", params={"to": email}).json()["items"]
        token = re.search(r"token: (\S+)", mail["text"]).group(1)  # type: ignore[union-attr]
        assert host.post("/_host/auth/verify", json={"token": token}).status_code == 200
    login = host.post("/_host/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return HostUser(host, email, login.json()["token"])


@pytest.fixture
def ann(sign_up: Callable[..., HostUser]) -> HostUser:
    """A verified host user, with an address of the test's own."""
    return sign_up(_address("ann"))


@pytest.fixture
def bundle() -> Callable[[str], bytes]:
    """``bundle("todo-app")``: a fixture app as ``kiln deploy`` would send it."""
    return lambda name: make_bundle(FIXTURES / name)


@pytest.fixture
def tar_of() -> Callable[..., bytes]:
    """``tar_of((TarInfo, content or None), ...)``: a .tar.gz of hand-made members, for bundles
    no honest folder would make."""
    return _tar_of


def _tar_of(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, content in members:
            if content is not None:
                info.size = len(content)
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()
