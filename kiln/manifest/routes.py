"""Validate ``[[routes]]`` into :class:`Route` models, and find routes that conflict.

Dispatch order is fixed by specificity, not by file or dict order: segment by segment, static text
beats a typed parameter (``int``, ``float``, ``uuid``), which beats ``str``, which beats ``path``;
declaration order breaks ties. Two routes with the same shape and a common method can never both
be reached, so that is an error.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from starlette.convertors import CONVERTOR_TYPES
from starlette.routing import PARAM_REGEX, compile_path

from kiln.errors import Problem
from kiln.handlers import UNIMPORTABLE
from kiln.manifest.bindings import read_bindings
from kiln.manifest.guards import read_guards
from kiln.manifest.model import Route, RouteParam
from kiln.manifest.report import Report, did_you_mean
from kiln.templates import check_template

__all__ = ["CONVERTORS", "METHODS", "dispatch_key", "path_params", "read_handler", "read_routes", "shape"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CONVERTORS = {"int": 1, "float": 1, "uuid": 1, "str": 2, "path": 3}  # convertor: specificity rank
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_KEYS = {"path", "methods", "template", "handler", "redirect", "status", "guards", "data"}
_LATER: set[str] = set()
_BRACES = re.compile(r"\{([^{}]*)\}")  # every {…}, a parameter or a mistake to report
_STATIC = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%-]*$")
_HANDLER = re.compile(r"^handlers:([A-Za-z_][A-Za-z0-9_]*)$")
_CONVERTOR_NAMES = {type(convertor): name for name, convertor in CONVERTOR_TYPES.items()}
#: Paths kiln serves itself.
BUILT_IN_PATHS = ("/health", "/openapi.json")


def read_routes(
    raw: Any, folder: Path, handlers: ModuleType | None, report: Report, *, has_auth: bool = False
) -> tuple[Route, ...]:
    """Every valid route, in declaration order; problems (conflicts included) go to ``report``."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        report.error("routes", 'must be an array of tables: [[routes]] path = "/" template = "index.html"')
        return ()
    routes = []
    for index, spec in enumerate(raw):
        route = _read_route(index, spec, folder, handlers, report, has_auth)
        if route is not None:
            routes.append(route)
    _report_conflicts(routes, report)
    return tuple(routes)


def path_params(path: str) -> dict[str, str]:
    """``{name: convertor}`` for each parameter of a valid path, as Starlette's ``compile_path`` reads it."""
    _, _, convertors = compile_path(path)
    return {name: _CONVERTOR_NAMES[type(convertor)] for name, convertor in convertors.items()}


def shape(path: str) -> tuple[str, ...]:
    """The path with parameter names erased: ``/posts/{slug}`` and ``/posts/{name}`` share one."""
    _, erased, _ = compile_path(path)
    for name, convertor in path_params(path).items():
        erased = erased.replace("{" + name + "}", "{" + convertor + "}")
    return tuple(erased.split("/"))


def dispatch_key(route: Route) -> tuple[Any, ...]:
    """Sort key giving deterministic, most-specific-first dispatch: literal segments first, then
    typed parameters (``int``, ``float``, ``uuid``), then ``str``, then ``path``."""
    ranks = [
        max((CONVERTORS[convertor] for convertor in _BRACES.findall(segment)), default=0)
        for segment in shape(route.path)
    ]
    return (*ranks, 4), route.index


def _read_route(
    index: int,
    spec: dict[str, Any],
    folder: Path,
    handlers: ModuleType | None,
    report: Report,
    has_auth: bool,
) -> Route | None:
    at = f"routes[{index}]"
    before = len(report.errors)
    report.check_keys(spec, at, _KEYS, _LATER)
    path, params = _read_path(spec.get("path"), f"{at}.path", report)
    methods = _read_methods(spec.get("methods", ["GET"]), f"{at}.methods", report)
    targets = [key for key in ("template", "handler", "redirect") if key in spec]
    if len(targets) != 1:
        found = " and ".join(targets) if targets else "none"
        report.error(at, f"needs exactly one of template, handler or redirect (found {found})")
    target: dict[str, Any] = {}
    if "template" in spec:
        target["template"] = _read_template(spec["template"], folder, f"{at}.template", report)
    if "handler" in spec:
        target["handler"] = read_handler(spec["handler"], handlers, f"{at}.handler", report)
    if "redirect" in spec:
        target["redirect"] = _read_redirect(spec["redirect"], f"{at}.redirect", report)
        names = {param.name for param in params}
        for placeholder in _BRACES.findall(target["redirect"] or ""):
            if placeholder not in names:
                report.error(f"{at}.redirect", f'"{{{placeholder}}}" is not a parameter of the path')
    if "status" in spec:
        if "redirect" not in spec:
            report.error(f"{at}.status", "is only for redirects")
        elif spec["status"] not in REDIRECT_STATUSES:
            report.error(f"{at}.status", "must be one of " + ", ".join(map(str, REDIRECT_STATUSES)))
        else:
            target["status"] = spec["status"]
    if "guards" in spec:
        guards = read_guards(
            spec["guards"], f"{at}.guards", report, handlers=handlers, owner_allowed=False, has_auth=has_auth
        )
        target["guards"] = guards or ("public",)
    if "data" in spec:
        if "template" not in spec:
            report.error(f"{at}.data", "is only for template routes")
        else:
            target["data"] = read_bindings(spec["data"], f"{at}.data", report)
    if len(report.errors) > before or path is None:
        return None
    return Route(index=index, path=path, methods=methods, params=params, **target)


def _read_path(value: Any, at: str, report: Report) -> tuple[str | None, tuple[RouteParam, ...]]:
    if not isinstance(value, str) or not value.startswith("/"):
        report.error(at, 'is required: a path starting with "/", such as "/posts/{id:int}"')
        return None, ()
    params: list[RouteParam] = []
    segments = value.split("/")[1:]
    for position, segment in enumerate(segments):
        if segment == "" and position != len(segments) - 1:
            report.error(at, f'"{value}" has an empty segment ("//")')
            return None, ()
        for body in _BRACES.findall(segment):
            found = PARAM_REGEX.fullmatch("{" + body + "}")  # the syntax Starlette reads
            if found is None:
                report.error(at, f'"{{{body}}}" is not a parameter: use {{name}} or {{name:int}}')
                return None, ()
            name, convertor = found.group(1), (found.group(2) or ":str")[1:]
            if convertor not in CONVERTORS:
                report.error(
                    at, f'unknown parameter type "{convertor}"' + did_you_mean(convertor, CONVERTORS)
                )
                return None, ()
            if any(p.name == name for p in params):
                report.error(at, f'parameter "{name}" appears twice')
                return None, ()
            if convertor == "path" and position != len(segments) - 1:
                report.error(at, f'"{{{body}}}" matches the rest of the path, so it must be the last segment')
                return None, ()
            params.append(RouteParam(name, convertor))
        if not _STATIC.match(_BRACES.sub("", segment)):
            report.error(at, f'"{segment}" has characters a path cannot hold literally')
            return None, ()
    if value in BUILT_IN_PATHS:
        report.error(at, f'"{value}" is served by kiln itself')
        return None, ()
    return value, tuple(params)


def _read_methods(value: Any, at: str, report: Report) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(m, str) for m in value):
        report.error(at, 'must be a list of methods, such as ["GET", "POST"]')
        return ()
    methods = []
    for method in value:
        upper = method.upper()
        if upper in ("HEAD", "OPTIONS"):
            report.error(at, f"{upper} is answered automatically on every route; leave it out")
        elif upper not in METHODS:
            report.error(at, f'unknown method "{method}": use ' + ", ".join(METHODS))
        elif upper in methods:
            report.error(at, f"{upper} is listed twice")
        else:
            methods.append(upper)
    return tuple(methods)


def _read_template(value: Any, folder: Path, at: str, report: Report) -> str | None:
    if not isinstance(value, str) or not value:
        report.error(at, 'must be a template file name, such as "index.html"')
        return None
    templates = (folder / "templates").resolve()
    path = (templates / value).resolve()
    if not path.is_relative_to(templates):
        report.error(at, f'"{value}" is outside templates/')
    elif not path.is_file():
        report.error(at, f"templates/{value} not found")
    else:
        failure = check_template(folder, value)
        if failure is not None:
            report.errors.append(Problem(f"templates/{value}", "", failure))
    return value


def read_handler(
    value: Any,
    handlers: ModuleType | None,
    at: str,
    report: Report,
    takes: tuple[str, ...] = ("request", "ctx"),
) -> str | None:
    """Check a ``"handlers:<function>"`` reference: the function exists and takes ``takes``."""
    found = _HANDLER.match(value) if isinstance(value, str) else None
    if found is None:
        report.error(at, 'must name a function in handlers.py, such as "handlers:stats"')
        return None
    if handlers is None:
        report.error(at, f'"{value}" needs a handlers.py next to app.toml')
        return None
    if handlers is UNIMPORTABLE:
        return None
    function = getattr(handlers, found.group(1), None)
    if not callable(function):
        names = [n for n, v in vars(handlers).items() if callable(v) and not n.startswith("_")]
        report.error(
            at, f'handlers.py has no function "{found.group(1)}"' + did_you_mean(found.group(1), names)
        )
        return None
    try:
        inspect.signature(function).bind(*(None for _ in takes))
    except TypeError:
        count = {1: "one argument", 2: "two arguments"}.get(len(takes), f"{len(takes)} arguments")
        report.error(at, f"handlers.{found.group(1)} must take {count}: ({', '.join(takes)})")
    except ValueError:  # builtins without a signature: let them be called
        pass
    return str(value)


def _read_redirect(value: Any, at: str, report: Report) -> str | None:
    if not isinstance(value, str) or not (value.startswith("/") or re.match(r"^https?://", value)):
        report.error(at, 'must be a path such as "/new" or an http(s) URL')
        return None
    return value


def _report_conflicts(routes: list[Route], report: Report) -> None:
    seen: dict[tuple[tuple[str, ...], str], Route] = {}
    for route in routes:
        for method in route.methods:
            key = (shape(route.path), method)
            earlier = seen.get(key)
            if earlier is not None:
                report.error(
                    f"{route.key_path}.path",
                    f'"{route.path}" conflicts with {earlier.key_path} ("{earlier.path}") for {method}',
                )
            else:
                seen[key] = route
