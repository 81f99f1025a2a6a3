"""Turn what a test hands ``TestApp`` into an ASGI app to serve.

A target is one of:

* an ASGI app: a callable that takes three positional arguments ``(scope, receive, send)``, or
  ``*args``; a class instance with such a ``__call__`` is one too;
* a factory: a callable taking no argument (uvicorn's ``--factory`` convention), or one taking the
  data directory, ``factory(data_dir) -> app``; either may accept ``settings=`` and ``secrets=``
  keywords;
* a ``"package.module:attr"`` string naming either of those;
* a kiln app folder (a path holding ``app.toml``, or the path of that ``app.toml``), compiled
  once per process and given a copy of its template database per data directory.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from harness.errors import StartError, TargetError
from harness.served import Served
from harness.types import ASGIApp

__all__ = ["Served", "Target", "resolve"]

Target = ASGIApp | Callable[..., ASGIApp] | str | Path


def resolve(
    target: Target,
    data_dir: Path,
    *,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Served:
    """Build the app ``target`` names for ``data_dir``; the app's own errors become :class:`StartError`."""
    if isinstance(target, Path) or (isinstance(target, str) and ":" not in target):
        from harness.kiln_adapter import serve_folder  # only now: plain ASGI apps never load kiln

        return serve_folder(Path(target), data_dir, settings, secrets)
    if isinstance(target, str):
        target = _import(target)
    if not callable(target):
        raise TargetError(
            f"cannot serve {target!r}: expected an ASGI app, a factory, 'module:attr' or a folder"
        )
    arity = _factory_arity(target)
    if arity is not None:
        app = _call_factory(target, data_dir if arity else None, settings, secrets)
        return Served(app, _name_of(target))
    if settings or secrets:
        raise TargetError("settings= and secrets= need a kiln folder or a factory that accepts them")
    return Served(cast(ASGIApp, target), _name_of(target))  # three positional parameters: an ASGI app


def _import(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise TargetError(f"{spec!r} is not of the form 'package.module:attr'")
    try:
        found: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise StartError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}", cause=exc) from exc
    for part in attr.split("."):
        try:
            found = getattr(found, part)
        except AttributeError as exc:
            raise StartError(f"module {module_name!r} has no attribute {attr!r}", cause=exc) from exc
    return found


def _factory_arity(target: Callable[..., Any]) -> int | None:
    """``None`` for an ASGI app, else how many positional arguments the factory takes (0 or 1).

    A callable with three required positional parameters, or ``*args``, is an ASGI app; one with
    no positional parameter is a zero-argument factory, and one that can take a single positional
    argument is given the data directory. Anything else is refused, showing its signature.
    """
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # a builtin or extension type without a signature: trust it
        return None
    parameters = signature.parameters.values()
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    if len(required) == 3 or (varargs and len(required) <= 3):
        return None
    if not positional:
        return 0
    if len(required) <= 1:
        return 1
    shown = getattr(target, "__qualname__", repr(target))
    raise TargetError(
        f"cannot serve {shown}{signature}: an ASGI app takes (scope, receive, send), "
        "a factory takes no argument or (data_dir)"
    )


def _call_factory(
    factory: Callable[..., Any],
    data_dir: Path | None,
    settings: Mapping[str, Any] | None,
    secrets: Mapping[str, str] | None,
) -> ASGIApp:
    extra: dict[str, Any] = {}
    if settings is not None:
        extra["settings"] = settings
    if secrets is not None:
        extra["secrets"] = secrets
    try:
        app = factory(data_dir, **extra) if data_dir is not None else factory(**extra)
    except TypeError as exc:
        if extra and "unexpected keyword" in str(exc):
            raise TargetError(f"factory {_name_of(factory)} does not accept {', '.join(extra)}=") from exc
        raise StartError(f"app factory {_name_of(factory)} failed: {exc}", cause=exc) from exc
    except Exception as exc:
        raise StartError(
            f"app factory {_name_of(factory)} failed: {type(exc).__name__}: {exc}", cause=exc
        ) from exc
    if not callable(app):
        raise TargetError(f"factory {_name_of(factory)} returned {app!r}, not an ASGI app")
    return app  # type: ignore[no-any-return]


def _name_of(target: Any) -> str:
    name = getattr(target, "__qualname__", None) or type(target).__name__
    return str(name).replace("<", "").replace(">", "").replace(".", "-")
