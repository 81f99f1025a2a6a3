"""Validate a route's ``data`` bindings: the records a template gets, queried by name.

``data.posts = { entity = "Post", sort = "-created_at", limit = 10, with = ["author"],
where = { status = "published", views__gte = 10 } }`` gives the template ``posts``: a list of
records shaped as the REST API returns them. Every name is checked against the entities here,
so a typo is an error at compile time, never a page that fails:

- ``entity`` names a declared entity (``User`` has no collection);
- ``sort`` is the list query's: fields of the entity, ``-`` for descending;
- ``limit`` is 1 to 100 (default 20);
- ``with`` names relations, nested with dots;
- ``where`` is the list query's filters, ``field`` or ``field__operator``, with values of the
  field's type (a list for ``__in``, ``true``/``false`` for ``__isnull``).
"""

from __future__ import annotations

from typing import Any

from kiln.errors import Invalid
from kiln.fieldtypes import OPERATORS
from kiln.manifest.model import Binding, Entity, Field, Route
from kiln.manifest.report import Report, did_you_mean

__all__ = ["MAX_LIMIT", "RESERVED", "check_bindings", "read_bindings"]

MAX_LIMIT = 100
#: What every page gets already: a binding may not take these names.
RESERVED = ("request", "user", "path", "params", "query", "settings", "status")
_KEYS = {"entity", "sort", "limit", "with", "where"}
_SYSTEM = {
    "id": Field("id", "int"),
    "created_at": Field("created_at", "datetime"),
    "updated_at": Field("updated_at", "datetime"),
}


def read_bindings(raw: Any, at: str, report: Report) -> tuple[Binding, ...]:
    """The bindings of ``data``, their shapes checked; names are checked by :func:`check_bindings`."""
    table = report.table(raw, at, '{ posts = { entity = "Post", limit = 10 } }')
    if table is None:
        return ()
    bindings = []
    for name, spec in table.items():
        path = f"{at}.{name}"
        body = report.table(spec, path, '{ entity = "Post" }')
        if body is None:
            continue
        if not name.isidentifier():
            report.error(path, "must be a name a template can use: letters, digits and _")
            continue
        if name in RESERVED:
            report.error(path, f'"{name}" is what every page already gets ({", ".join(RESERVED)})')
            continue
        report.check_keys(body, path, _KEYS)
        entity = body.get("entity")
        if not isinstance(entity, str):
            report.error(f"{path}.entity", 'is required: the entity to list, such as "Post"')
            continue
        sort = body.get("sort", "")
        if not isinstance(sort, str):
            report.error(f"{path}.sort", 'must be fields to sort by, such as "-created_at,title"')
            continue
        limit = body.get("limit", 20)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            report.error(f"{path}.limit", f"must be a whole number from 1 to {MAX_LIMIT}")
            continue
        loads = body.get("with", [])
        loads = [loads] if isinstance(loads, str) else loads
        if not isinstance(loads, list) or not all(isinstance(item, str) and item for item in loads):
            report.error(f"{path}.with", 'must be relations to load, such as ["author", "comments.author"]')
            continue
        where = body.get("where", {})
        if not isinstance(where, dict):
            report.error(f"{path}.where", 'must be a table of filters, such as { status = "published" }')
            continue
        filters = tuple((key, _query_text(value)) for key, value in where.items())
        bindings.append(Binding(name, entity, sort, limit, tuple(loads), filters))
    return tuple(bindings)


def check_bindings(routes: tuple[Route, ...], entities: dict[str, Entity], report: Report) -> None:
    """Report each binding's unknown entity, field, relation or operator."""
    listed = {name: entity for name, entity in entities.items() if name != "User"}
    for route in routes:
        for binding in route.data:
            at = f"{route.key_path}.data.{binding.name}"
            entity = listed.get(binding.entity)
            if entity is None:
                report.error(
                    f"{at}.entity",
                    f'unknown entity "{binding.entity}"' + did_you_mean(binding.entity, listed),
                )
                continue
            _check_sort(entity, binding.sort, f"{at}.sort", report)
            for load in binding.with_:
                _check_with(entity, entities, load, f"{at}.with", report)
            for key, value in binding.where:
                _check_filter(entity, key, value, f"{at}.where.{key}", report)


def _query_text(value: Any) -> str:
    """A ``where`` value as a query string writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_query_text(item) for item in value)
    return str(value)


def _fields(entity: Entity) -> dict[str, Field]:
    return {**_SYSTEM, **entity.fields}


def _check_sort(entity: Entity, sort: str, at: str, report: Report) -> None:
    fields = _fields(entity)
    for part in (part.strip() for part in sort.split(",") if part.strip()):
        name = part.removeprefix("-")
        field = fields.get(name)
        if field is None:
            report.error(at, f'unknown field "{name}" of {entity.name}' + did_you_mean(name, fields))
        elif not field.kind.sortable:
            report.error(at, f"{entity.name}.{name} is a {field.type} field, which lists cannot sort by")


def _check_with(entity: Entity, entities: dict[str, Entity], load: str, at: str, report: Report) -> None:
    current = entity
    for name in load.split("."):
        relation = current.relations.get(name)
        if relation is None:
            report.error(
                at, f'unknown relation "{name}" of {current.name}' + did_you_mean(name, current.relations)
            )
            return
        current = entities[relation.target]


def _check_filter(entity: Entity, key: str, value: str, at: str, report: Report) -> None:
    name, _, operator = key.partition("__")
    operator = operator or "eq"
    fields = _fields(entity)
    field = fields.get(name)
    if field is None:
        report.error(at, f'unknown field "{name}" of {entity.name}' + did_you_mean(name, fields))
        return
    if operator not in field.kind.operators:
        takes = ", ".join(op for op in OPERATORS if op in field.kind.operators)
        report.error(at, f'"{operator}" does not apply to {field.type} fields (they take {takes})')
        return
    if operator == "isnull":
        if value not in ("true", "false"):
            report.error(at, "must be true or false")
        return
    if operator == "contains":
        return
    for item in value.split(",") if operator == "in" else [value]:
        try:
            field.kind.parse_query(item)
        except Invalid as exc:
            report.error(at, str(exc))
            return
