"""Read and validate ``app.toml``.

This first version knows the ``[app]`` table. The other top-level tables the contract defines
(``entities``, ``routes``, ``auth``, ``realtime``) are accepted and reported as warnings until the
features behind them exist; any other key is an error, with a suggestion when a near name exists.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiln.errors import ManifestError, Problem

__all__ = ["MANIFEST", "Manifest", "load_manifest"]

MANIFEST = "app.toml"
_BUILT = {"app"}
_NOT_BUILT_YET = {"entities", "routes", "auth", "realtime"}
_APP_KEYS = {"name", "debug", "spa"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Manifest:
    """A validated ``app.toml``."""

    name: str
    debug: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    warnings: tuple[Problem, ...] = ()


def load_manifest(folder: Path) -> Manifest:
    """Read ``folder/app.toml``; raise :class:`ManifestError` listing every problem found."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ManifestError([Problem(str(folder), "", "is not a directory")])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError([Problem(MANIFEST, "", f"not found in {folder}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([Problem(MANIFEST, "", f"cannot be read: {exc}")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError([Problem(MANIFEST, "", f"invalid TOML: {exc}")]) from None

    problems: list[Problem] = []
    warnings: list[Problem] = []
    for key in sorted(raw):
        if key in _NOT_BUILT_YET:
            warnings.append(Problem(MANIFEST, key, "is not supported yet and has no effect"))
        elif key not in _BUILT:
            problems.append(Problem(MANIFEST, key, _unknown(key, _BUILT | _NOT_BUILT_YET)))

    app = raw.get("app")
    name = ""
    debug = False
    if not isinstance(app, dict):
        problems.append(Problem(MANIFEST, "app", "is required: a table with at least `name`"))
    else:
        for key in sorted(app):
            if key not in _APP_KEYS:
                problems.append(Problem(MANIFEST, f"app.{key}", _unknown(key, _APP_KEYS)))
        name = app.get("name", "")
        if "name" not in app:
            problems.append(Problem(MANIFEST, "app.name", "is required"))
        elif not isinstance(name, str) or not _NAME.match(name):
            problems.append(
                Problem(
                    MANIFEST,
                    "app.name",
                    "must be a name of letters, digits, '-' and '_' starting with a letter",
                )
            )
        debug = app.get("debug", False)
        if not isinstance(debug, bool):
            problems.append(Problem(MANIFEST, "app.debug", "must be true or false"))
    if problems:
        raise ManifestError(problems)
    return Manifest(name=name, debug=debug, raw=raw, warnings=tuple(warnings))


def _unknown(key: str, known: set[str]) -> str:
    message = f'unknown key "{key}"'
    near = difflib.get_close_matches(key, sorted(known), n=1)
    if near:
        message += f' (did you mean "{near[0]}"?)'
    return message
