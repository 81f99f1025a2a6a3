"""Read ``app.toml`` and validate all of it before anything runs.

Every problem becomes one line naming the file, the key path and what is wrong, with a suggestion
where a near name exists. Keys the contract defines whose features are not built yet are accepted
and reported as warnings.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from kiln.errors import Invalid, ManifestError, Problem
from kiln.fieldtypes import parse_size
from kiln.handlers import HANDLERS_FILE, UNIMPORTABLE, load_handlers
from kiln.manifest.auth import read_auth
from kiln.manifest.bindings import check_bindings
from kiln.manifest.entities import read_entities
from kiln.manifest.files import read_files
from kiln.manifest.guards import apply_access
from kiln.manifest.model import Entity, Manifest, Route
from kiln.manifest.realtime import read_realtime
from kiln.manifest.relations import link_relations
from kiln.manifest.report import Report
from kiln.manifest.routes import read_routes, shape
from kiln.manifest.runtime import read_cron, read_mail, read_wasm, read_workflows

__all__ = ["MANIFEST", "load_manifest"]

MANIFEST = "app.toml"
_TOP = {"app", "entities", "routes", "auth", "files", "realtime", "cron", "mail", "wasm", "workflows"}
_APP_KEYS = {"name", "debug", "max_body", "spa", "cors_origins"}
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_APP_LATER: set[str] = set()
MAX_BODY = 1_000_000  # the default [app] max_body: "1MB"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def load_manifest(folder: Path) -> Manifest:
    """Read ``folder/app.toml`` (and ``handlers.py``); raise :class:`ManifestError` listing every problem."""
    raw = _read_toml(folder)
    report = Report(MANIFEST)
    report.check_keys(raw, "", _TOP)
    name, debug, max_body = _read_app(raw.get("app"), report)
    spa = _read_spa(raw.get("app"), folder, report)
    cors_origins = _read_cors(raw.get("app"), report)
    auth, user = read_auth(raw.get("auth"), report)
    declared = read_entities(raw["entities"], report) if "entities" in raw else {}
    entities = link_relations({**({user.name: user} if user else {}), **declared}, report)
    handlers, failure = load_handlers(folder)
    if failure is not None:
        report.errors.append(Problem(HANDLERS_FILE, "", f"cannot be imported: {failure}"))
        handlers = UNIMPORTABLE  # one error for it: references to its functions are not checked
    entities = apply_access(
        entities, raw.get("entities"), report, handlers=handlers, has_auth=auth is not None
    )
    routes = (
        read_routes(raw["routes"], folder, handlers, report, has_auth=auth is not None)
        if "routes" in raw
        else ()
    )
    check_bindings(routes, entities, report)
    files = read_files(raw.get("files"), report, handlers=handlers, has_auth=auth is not None)
    realtime = read_realtime(raw.get("realtime"), report, handlers=handlers, has_auth=auth is not None)
    cron = read_cron(raw.get("cron"), report, handlers=handlers)
    mail = read_mail(raw.get("mail"), report, handlers=handlers)
    wasm = read_wasm(raw.get("wasm"), folder, report)
    workflows, heartbeat_timeout = read_workflows(raw.get("workflows"), report, handlers=handlers)
    _report_collection_conflicts(routes, entities, report, has_auth=auth is not None)
    if report.errors:
        raise ManifestError(report.errors)
    return Manifest(
        name=name,
        debug=debug,
        entities=entities,
        routes=routes,
        auth=auth,
        files=files,
        realtime=realtime,
        spa=spa,
        cors_origins=cors_origins,
        max_body=max_body,
        cron=cron,
        mail=mail,
        wasm=wasm,
        workflows=workflows,
        heartbeat_timeout=heartbeat_timeout,
        warnings=tuple(report.warnings),
        raw=raw,
        handlers=handlers,
    )


def _read_toml(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise ManifestError([Problem(str(folder), "", "is not a directory")])
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError([Problem(MANIFEST, "", f"not found in {folder}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([Problem(MANIFEST, "", f"cannot be read: {exc}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError([Problem(MANIFEST, "", f"invalid TOML: {exc}")]) from None


def _read_app(raw: Any, report: Report) -> tuple[str, bool, int]:
    app = report.table(raw, "app", '[app] name = "blog"') if raw is not None else None
    if app is None:
        if raw is None:
            report.error("app", "is required: a table with at least `name`")
        return "", False, MAX_BODY
    report.check_keys(app, "app", _APP_KEYS, _APP_LATER)
    name = app.get("name")
    if name is None:
        report.error("app.name", "is required")
    elif not isinstance(name, str) or not _NAME.match(name):
        report.error("app.name", "must be a name of letters, digits, '-' and '_' starting with a letter")
    debug = app.get("debug", False)
    if not isinstance(debug, bool):
        report.error("app.debug", "must be true or false")
    max_body = MAX_BODY
    if "max_body" in app:
        try:
            max_body = parse_size(app["max_body"])
        except Invalid as exc:
            report.error("app.max_body", str(exc))
    return (name if isinstance(name, str) else ""), debug is True, max_body


def _read_cors(raw: Any, report: Report) -> tuple[str, ...]:
    """``[app] cors_origins``: the origins other than the app's own that browsers may call it from."""
    if not isinstance(raw, dict) or "cors_origins" not in raw:
        return ()
    origins = raw["cors_origins"]
    if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
        report.error("app.cors_origins", 'must be a list of origins, such as ["https://example.com"]')
        return ()
    bad = [origin for origin in origins if not _ORIGIN.match(origin)]
    if bad:
        report.error(
            "app.cors_origins", f'"{bad[0]}" is not an origin: scheme and host, such as "https://example.com"'
        )
        return ()
    return tuple(origins)


def _read_spa(raw: Any, folder: Path, report: Report) -> str | None:
    """``[app] spa``: a file under ``static/`` that browser navigations fall back to."""
    if not isinstance(raw, dict) or "spa" not in raw:
        return None
    spa = raw["spa"]
    parts = spa.split("/") if isinstance(spa, str) else []
    if not parts or any(part in ("", ".", "..") for part in parts) or "\\" in spa:
        report.error("app.spa", 'must be a file under static/, such as "index.html"')
        return None
    if not (folder / "static" / spa).is_file():
        report.error("app.spa", f"static/{spa} does not exist")
        return None
    return str(spa)


def _report_collection_conflicts(
    routes: tuple[Route, ...], entities: dict[str, Entity], report: Report, *, has_auth: bool = False
) -> None:
    """A declared route may not take the place of an entity's REST collection, its search, or
    search analytics."""
    taken: dict[tuple[tuple[str, ...], str], str] = {}
    for entity in entities.values():
        for method in ("GET", "POST"):
            taken[(shape(entity.path), method)] = f"the {entity.name} collection"
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            taken[(shape(entity.path + "/{id:int}"), method)] = f"the {entity.name} collection"
        if entity.search_fields:
            taken[(shape(entity.path + "/search"), "GET")] = f"the {entity.name} search"
    if has_auth and any(entity.search_fields for entity in entities.values()):
        taken[(shape("/api/_search/analytics"), "GET")] = "search analytics"
    for route in routes:
        for method in route.methods:
            owner = taken.get((shape(route.path), method))
            if owner is not None:
                report.error(f"{route.key_path}.path", f'"{route.path}" conflicts with {owner} for {method}')
