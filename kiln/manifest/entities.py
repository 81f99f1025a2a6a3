"""Validate ``[entities.<Name>]`` tables into :class:`Entity` models."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from kiln.errors import Invalid
from kiln.fieldtypes import NOT_BUILT_YET, TYPES
from kiln.manifest.files import read_file_options
from kiln.manifest.model import SYSTEM_FIELDS, Entity, Field
from kiln.manifest.report import Report, did_you_mean

__all__ = ["RESERVED_FIELDS", "read_entities", "read_fields"]

_ENTITY_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PLURAL = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_ENTITY_KEYS = {"fields", "plural", "owner", "access"}
_ENTITY_LATER: set[str] = set()
_COMMON_OPTIONS = {"type", "required", "unique", "default"}
#: Names a field cannot take: the system fields, and the list endpoint's own query parameters.
RESERVED_FIELDS = (*SYSTEM_FIELDS, "page", "per_page", "sort", "with", "q")
_ALL_OPTIONS = {option for kind in TYPES.values() for option in kind.options} | {
    option for options in NOT_BUILT_YET.values() for option in options
}
_BUILT_IN_ENTITIES = {
    "User": "the User entity is built in: turn it on with [auth], and add fields under [auth.user_fields]"
}


def read_entities(raw: Any, report: Report) -> dict[str, Entity]:
    """Every valid entity; problems go to ``report``."""
    table = report.table(raw, "entities", '[entities.Post.fields] title = { type = "text" }')
    if table is None:
        return {}
    entities: dict[str, Entity] = {}
    plurals: dict[str, str] = {}
    for name, spec in table.items():
        path = f"entities.{name}"
        if not _ENTITY_NAME.match(name):
            report.error(path, "must be a PascalCase name of letters and digits, such as Post")
            continue
        if name in _BUILT_IN_ENTITIES:
            report.error(path, _BUILT_IN_ENTITIES[name])
            continue
        body = report.table(spec, path, '{ fields = { title = { type = "text" } } }')
        if body is None:
            continue
        report.check_keys(body, path, _ENTITY_KEYS, _ENTITY_LATER)
        plural = body.get("plural", name.lower() + "s")
        if not isinstance(plural, str) or not _PLURAL.match(plural):
            report.error(
                f"{path}.plural", "must be lower-case letters, digits, '-' and '_', starting with a letter"
            )
            continue
        if plural in plurals:
            report.error(f"{path}.plural", f'"{plural}" is already the collection of {plurals[plural]}')
            continue
        plurals[plural] = name
        fields = read_fields(body.get("fields", {}), f"{path}.fields", report)
        entities[name] = Entity(name=name, plural=plural, fields=fields)
    return entities


def read_fields(raw: Any, path: str, report: Report, reserved: tuple[str, ...] = ()) -> dict[str, Field]:
    """The valid fields of a ``fields`` table; ``reserved`` names more names it may not use."""
    table = report.table(raw, path, '{ title = { type = "text", required = true } }')
    if table is None:
        return {}
    fields: dict[str, Field] = {}
    for name, spec in table.items():
        field_path = f"{path}.{name}"
        if not _FIELD_NAME.match(name):
            report.error(
                field_path, "must be a lower-case name of letters, digits and '_', starting with a letter"
            )
            continue
        if name in RESERVED_FIELDS or name in reserved:
            names = ", ".join((*RESERVED_FIELDS, *reserved))
            report.error(field_path, f'"{name}" is reserved ({names})')
            continue
        body = report.table(spec, field_path, '{ type = "text" }')
        if body is None:
            continue
        field = _read_field(name, body, field_path, report)
        if field is not None:
            fields[name] = field
    return fields


def _read_field(name: str, spec: dict[str, Any], path: str, report: Report) -> Field | None:
    type_name = spec.get("type")
    if type_name is None:
        report.error(f"{path}.type", "is required: one of " + ", ".join([*TYPES, *NOT_BUILT_YET]))
        return None
    if type_name in NOT_BUILT_YET:
        report.check_keys(spec, path, _COMMON_OPTIONS | NOT_BUILT_YET[type_name] | {"search"})
        report.warn(f"{path}.type", f'"{type_name}" fields are not supported yet; the field is left out')
        return None
    if type_name not in TYPES:
        report.error(
            f"{path}.type",
            f'unknown type "{type_name}"' + did_you_mean(str(type_name), [*TYPES, *NOT_BUILT_YET]),
        )
        return None
    kind = TYPES[type_name]
    before = len(report.errors)
    allowed = _COMMON_OPTIONS | kind.options
    for key in [k for k in spec if k not in allowed and k in _ALL_OPTIONS]:
        takes = ", ".join(sorted(kind.options)) or "no options beyond type, required, unique and default"
        report.error(f"{path}.{key}", f"does not apply to {type_name} fields (they take {takes})")
    report.check_keys({k: v for k, v in spec.items() if k not in _ALL_OPTIONS}, path, allowed)
    options: dict[str, Any] = {}
    for flag in ("required", "unique"):
        if flag in spec:
            if isinstance(spec[flag], bool):
                options[flag] = spec[flag]
            else:
                report.error(f"{path}.{flag}", "must be true or false")
    _bounds(spec, path, report, options, ("min", "max"), integer=False)
    _bounds(spec, path, report, options, ("min_length", "max_length"), integer=True)
    if "pattern" in spec:
        _pattern(spec["pattern"], f"{path}.pattern", report, options)
    if type_name == "enum":
        _choices(spec.get("choices"), f"{path}.choices", report, options)
    if "search" in spec:
        _search(spec["search"], f"{path}.search", report, options)
    if type_name == "ref":
        _ref_options(name, spec, path, report, options)
    if type_name == "file":
        read_file_options(spec, path, report, options)
    if len(report.errors) > before:
        return None
    field = Field(name=name, type=type_name, **options)
    if "default" not in spec:
        return field
    try:
        return replace(field, default=kind.coerce(spec["default"], field))
    except Invalid as exc:
        report.error(f"{path}.default", str(exc))
        return None


def _bounds(
    spec: dict[str, Any],
    path: str,
    report: Report,
    options: dict[str, Any],
    names: tuple[str, str],
    integer: bool,
) -> None:
    for name in names:
        if name not in spec:
            continue
        value = spec[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (integer and not isinstance(value, int))
        ):
            report.error(f"{path}.{name}", "must be a whole number" if integer else "must be a number")
        elif integer and value < 0:
            report.error(f"{path}.{name}", "must not be negative")
        else:
            options[name] = value
    low, high = (options.get(name) for name in names)
    if low is not None and high is not None and low > high:
        report.error(f"{path}.{names[0]}", f"must not be greater than {names[1]} ({high})")


def _pattern(value: Any, path: str, report: Report, options: dict[str, Any]) -> None:
    if not isinstance(value, str):
        report.error(path, "must be a regular expression string")
        return
    try:
        re.compile(value)
    except re.error as exc:
        report.error(path, f"is not a valid regular expression: {exc}")
        return
    options["pattern"] = value


def _choices(value: Any, path: str, report: Report, options: dict[str, Any]) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) and c for c in value):
        report.error(path, 'is required for enum fields: a list of strings, such as ["draft", "published"]')
    elif len(set(value)) != len(value):
        report.error(path, "must not repeat a choice")
    else:
        options["choices"] = tuple(value)


ON_DELETE = ("cascade", "restrict", "set_null")


def _ref_options(name: str, spec: dict[str, Any], path: str, report: Report, options: dict[str, Any]) -> None:
    if not name.endswith("_id") or name == "_id":
        report.error(
            path, f'a ref field is named after its relation plus "_id", such as "author_id" (not "{name}")'
        )
    to = spec.get("to")
    if not isinstance(to, str) or not to:
        report.error(f"{path}.to", 'is required for ref fields: the entity referred to, such as "Author"')
    else:
        options["to"] = to
    on_delete = spec.get("on_delete", "restrict")
    if on_delete not in ON_DELETE:
        report.error(
            f"{path}.on_delete",
            "must be one of " + ", ".join(ON_DELETE) + did_you_mean(str(on_delete), ON_DELETE),
        )
    elif on_delete == "set_null" and spec.get("required") is True:
        report.error(
            f"{path}.on_delete", "cannot be set_null on a required field: the reference could not be cleared"
        )
    else:
        options["on_delete"] = on_delete
    if "related_name" in spec:
        related = spec["related_name"]
        if not isinstance(related, str) or not _FIELD_NAME.match(related):
            report.error(f"{path}.related_name", "must be a lower-case name of letters, digits and '_'")
        else:
            options["related_name"] = related


def _search(value: Any, path: str, report: Report, options: dict[str, Any]) -> None:
    if value is True:
        options["search"] = 1.0
    elif value is False:
        pass
    elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        options["search"] = float(value)
    else:
        report.error(path, "must be true, false or a positive weight")
