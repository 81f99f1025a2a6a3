"""Validate the options of ``file`` fields and the ``[files]`` table.

``[files]`` sets what ``POST /api/_files`` takes and who may use the file endpoints::

    [files]
    max_size = "25MB"          # the largest upload to /api/_files
    accept = ["image/*"]       # content types it takes, judged by magic bytes; default: any
    upload = "auth"            # guards of POST /api/_files (default "auth"; "public" without [auth])
    presign = "role:admin"     # guards of POST /api/_files/presign (needs [auth])
    orphan_ttl = "24h"         # an upload no record took is removed by ``kiln gc`` after this
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from kiln.errors import Invalid
from kiln.fieldtypes import parse_duration, parse_size
from kiln.manifest.guards import read_guards
from kiln.manifest.model import FilesConfig
from kiln.manifest.report import Report

__all__ = ["read_file_options", "read_files"]

_KEYS = {"max_size", "accept", "upload", "presign", "orphan_ttl"}
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/([a-z0-9][a-z0-9!#$&^_.+-]{0,126}|\*)$")
_THUMB = re.compile(r"^([1-9][0-9]{0,3})x([1-9][0-9]{0,3})$")
_LARGEST_THUMB = 4096


def read_file_options(spec: dict[str, Any], path: str, report: Report, options: dict[str, Any]) -> None:
    """``max_size``, ``accept`` and ``thumbs`` of a ``file`` field, into ``options``."""
    if "default" in spec:
        report.error(f"{path}.default", "does not apply to file fields: a file is set by an upload")
    if "max_size" in spec:
        size = _size(spec["max_size"], f"{path}.max_size", report)
        if size is not None:
            options["max_size"] = size
    if "accept" in spec:
        accept = _accept(spec["accept"], f"{path}.accept", report)
        if accept is not None:
            options["accept"] = accept
    if "thumbs" in spec:
        thumbs = _thumbs(spec["thumbs"], f"{path}.thumbs", report)
        if thumbs is not None:
            options["thumbs"] = thumbs


def read_files(raw: Any, report: Report, *, handlers: ModuleType | None, has_auth: bool) -> FilesConfig:
    """The ``[files]`` settings, defaults filled in."""
    defaults = FilesConfig(
        upload=("auth",) if has_auth else ("public",),
        presign=("role:admin",) if has_auth else (),
    )
    if raw is None:
        return defaults
    table = report.table(raw, "files", '[files] max_size = "25MB"')
    if table is None:
        return defaults
    report.check_keys(table, "files", _KEYS)
    settings: dict[str, Any] = {}
    if "max_size" in table:
        size = _size(table["max_size"], "files.max_size", report)
        if size is not None:
            settings["max_size"] = size
    if "accept" in table:
        accept = _accept(table["accept"], "files.accept", report)
        if accept is not None:
            settings["accept"] = accept
    for key in ("upload", "presign"):
        if key in table:
            guards = read_guards(
                table[key], f"files.{key}", report, handlers=handlers, owner_allowed=False, has_auth=has_auth
            )
            if guards:
                settings[key] = guards
    if "orphan_ttl" in table:
        try:
            settings["orphan_ttl"] = parse_duration(table["orphan_ttl"])
        except Invalid as exc:
            report.error("files.orphan_ttl", str(exc))
    return FilesConfig(**{**defaults.__dict__, **settings})


def _size(value: Any, path: str, report: Report) -> int | None:
    try:
        return parse_size(value)
    except Invalid as exc:
        report.error(path, str(exc))
        return None


def _accept(value: Any, path: str, report: Report) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        report.error(path, 'must be a list of content types, such as ["image/png", "image/*"]')
        return None
    bad = [item for item in value if not _MEDIA_TYPE.match(item)]
    if bad:
        report.error(path, f'"{bad[0]}" is not a content type such as "image/png" or "image/*"')
        return None
    return tuple(dict.fromkeys(value))


def _thumbs(value: Any, path: str, report: Report) -> tuple[tuple[int, int], ...] | None:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        report.error(path, 'must be a list of sizes WIDTHxHEIGHT, such as ["100x100", "640x480"]')
        return None
    sizes: list[tuple[int, int]] = []
    for item in value:
        found = _THUMB.match(item)
        if found is None or max(int(found.group(1)), int(found.group(2))) > _LARGEST_THUMB:
            report.error(path, f'"{item}" is not a size WIDTHxHEIGHT of 1 to {_LARGEST_THUMB} pixels each')
            return None
        sizes.append((int(found.group(1)), int(found.group(2))))
    return tuple(dict.fromkeys(sizes))
