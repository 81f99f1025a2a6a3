"""Remote mode: which server each fixture app is tested against, and whether it is the right app.

``--base-url URL`` points every app at one server; ``--base-url NAME=URL``, given once per app,
points the fixture app ``NAME`` at its own. Before a test talks to a server for a kiln fixture,
the harness asks its ``/health`` which app it serves, so a test of blog-app never runs against a
todo-app server.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.errors import WrongRemoteApp

__all__ = ["RemoteTargets", "check_serves", "forget", "kiln_folder", "manifest_name"]

_NAMED = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)=(?P<url>https?://.+)$")


@dataclass(frozen=True)
class RemoteTargets:
    """The ``--base-url`` values: one URL for every app, and URLs for named fixture apps."""

    default: str | None = None
    by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, values: Sequence[str] | None) -> RemoteTargets:
        """Read ``--base-url`` values; a bad one raises ``ValueError`` saying what is expected."""
        default: str | None = None
        by_name: dict[str, str] = {}
        for value in values or ():
            named = _NAMED.match(value)
            if named:
                by_name[named["name"]] = named["url"]
            elif re.match(r"^https?://", value):
                if default is not None:
                    raise ValueError(f"--base-url {value}: a URL for every app is given twice; use NAME=URL")
                default = value
            else:
                raise ValueError(f"--base-url {value!r}: expected URL or NAME=URL (http:// or https://)")
        return cls(default, by_name)

    @property
    def active(self) -> bool:
        """Whether any ``--base-url`` was given (remote mode)."""
        return self.default is not None or bool(self.by_name)

    def url_for(self, *names: str | None) -> str | None:
        """The URL for the first of ``names`` given by name, else the URL for every app."""
        for name in names:
            if name is not None and name in self.by_name:
                return self.by_name[name]
        return self.default


def kiln_folder(target: object) -> Path | None:
    """The kiln folder ``target`` names (a folder holding ``app.toml``, or that file), if any."""
    if not isinstance(target, str | Path) or (isinstance(target, str) and ":" in target):
        return None
    path = Path(target)
    if path.name == "app.toml" and path.is_file():
        return path.parent
    return path if (path / "app.toml").is_file() else None


def manifest_name(folder: Path) -> str | None:
    """``[app] name`` of a kiln folder, or ``None`` when it has none readable."""
    try:
        with (folder / "app.toml").open("rb") as file:
            name = tomllib.load(file).get("app", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def check_serves(url: str, expected: str, connect: Callable[[], httpx.Client]) -> None:
    """Raise :class:`WrongRemoteApp` when ``url``'s ``/health`` names an app other than ``expected``.

    A server whose ``/health`` names no app (not a kiln app, or none at all) cannot be told apart
    and is trusted. The answer is cached per URL for the process; ``connect`` makes the client
    that asks, only when the answer is not known yet.
    """
    served = _served_app(url.rstrip("/"), connect)
    if served is not None and served != expected:
        raise WrongRemoteApp(url, expected, served)


_health: dict[str, str | None] = {}


def forget(url: str) -> None:
    """Drop what ``url``'s ``/health`` said: a server this process ran has stopped, and the next one
    on that port (the OS hands ports out again) may serve another app."""
    _health.pop(url.rstrip("/"), None)


def _served_app(url: str, connect: Callable[[], httpx.Client]) -> str | None:
    if url not in _health:
        try:
            with connect() as client:
                body = client.get("/health").json()
        except (httpx.HTTPError, ValueError):
            body = None
        name = body.get("app") if isinstance(body, dict) else None
        _health[url] = name if isinstance(name, str) else None
    return _health[url]
