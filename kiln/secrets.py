"""An app's secrets: kept owner-only in its data directory, overridden from the environment.

``kiln secrets set APP NAME VALUE`` writes ``<data dir>/secrets.json`` (mode 0600, replaced
atomically); ``KILN_SECRET_<NAME>`` in the environment overrides a stored secret or adds one; and
``TestApp(..., secrets={...})`` gives a test instance its own. Handlers read them as
``ctx.secrets["NAME"]``. :class:`Secrets` never shows a value in its ``repr``, and
:func:`redact` takes values out of text bound for a log line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = [
    "ENV_PREFIX",
    "SECRETS_FILE",
    "Secrets",
    "check_name",
    "load_secrets",
    "read_stored",
    "redact",
    "set_secret",
    "unset_secret",
]

SECRETS_FILE = "secrets.json"
ENV_PREFIX = "KILN_SECRET_"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
#: Values shorter than this are not redacted from logs: "1" would blank every digit.
_SHORTEST_REDACTED = 4
REDACTED = "[secret]"


class Secrets(Mapping[str, str]):
    """A read-only mapping of secret names to values: ``["NAME"]`` raises ``KeyError`` for a
    missing name, ``.get("NAME")`` gives ``None``. Its ``repr`` names the secrets, never a value."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def __getitem__(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise KeyError(f"no secret named {name!r}; set it with `kiln secrets set`") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<Secrets: {', '.join(sorted(self._values)) or 'none'}>"

    @property
    def values_to_hide(self) -> tuple[str, ...]:
        """The values long enough to redact, longest first (so a value inside another goes last)."""
        values = {value for value in self._values.values() if len(value) >= _SHORTEST_REDACTED}
        return tuple(sorted(values, key=len, reverse=True))


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be a secret's name, or ``None``."""
    if not _NAME.match(name):
        return "a secret's name is letters, digits and '_', starting with a letter or '_'"
    return None


def read_stored(data_dir: Path) -> dict[str, str]:
    """The secrets stored in ``data_dir``; empty when none are."""
    try:
        raw = json.loads((data_dir / SECRETS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(name): str(value) for name, value in raw.items()}


def load_secrets(
    data_dir: Path, given: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> Secrets:
    """The app's secrets: stored ones, then ``given`` ones, then ``KILN_SECRET_<NAME>`` variables,
    each overriding the one before."""
    environ = os.environ if environ is None else environ
    values = read_stored(data_dir)
    values.update(given or {})
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX):
            values[key.removeprefix(ENV_PREFIX)] = value
    return Secrets(values)


def set_secret(data_dir: Path, name: str, value: str) -> None:
    """Store ``name`` = ``value``, replacing the file atomically, readable by its owner only."""
    values = read_stored(data_dir)
    values[name] = value
    _write(data_dir, values)


def unset_secret(data_dir: Path, name: str) -> bool:
    """Forget ``name``; ``False`` if it was not stored."""
    values = read_stored(data_dir)
    if values.pop(name, None) is None:
        return False
    _write(data_dir, values)
    return True


def _write(data_dir: Path, values: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secrets-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(values, handle, indent=2, sort_keys=True)
        os.replace(temporary, data_dir / SECRETS_FILE)
    except BaseException:
        os.unlink(temporary)
        raise


def redact(text: str, hidden: tuple[str, ...]) -> str:
    """``text`` with every value in ``hidden`` replaced by ``[secret]``."""
    for value in hidden:
        if value in text:
            text = text.replace(value, REDACTED)
    return text
