"""Where ``kiln login`` keeps a token for each host, and ``kiln deploy`` finds it: one JSON file,
``$XDG_CONFIG_HOME/kiln/hosts.json`` (``~/.config/kiln/hosts.json`` by default), readable by its
owner only."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["credentials_file", "load_token", "save_token"]


def credentials_file() -> Path:
    """The file of stored host tokens."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kiln" / "hosts.json"


def _key(host: str) -> str:
    return host.rstrip("/").lower()


def _read() -> dict[str, dict[str, str]]:
    path = credentials_file()
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, dict[str, str]]) -> None:
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(data, file, indent=2)
    os.chmod(temporary, 0o600)  # whatever the umask
    temporary.replace(path)


def save_token(host: str, email: str, token: str) -> Path:
    """Keep ``token`` (``email``'s) for ``host``; the file it is in."""
    data = _read()
    data[_key(host)] = {"email": email, "token": token}
    _write(data)
    return credentials_file()


def load_token(host: str) -> str | None:
    """The token stored for ``host``, or ``None``."""
    entry = _read().get(_key(host))
    return entry.get("token") if isinstance(entry, dict) else None
