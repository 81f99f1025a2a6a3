"""Turn a list request's query string into SQL: filters, sorting and pagination.

``?status=open&priority__gte=3&sort=-due,title&page=2&per_page=50``. Anything unknown (a field, an
operator, a sort field, a relation in ``with``) is a 400 naming it, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kiln.fieldtypes import TYPES, FieldType, Invalid
from kiln.http.errors import ApiError
from kiln.manifest.model import Entity, Field
from kiln.manifest.report import did_you_mean
from kiln.store.schema import quote

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "OPERATORS", "ListQuery", "parse_list_query"]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "isnull")
_COMPARE = {"eq": "=", "ne": "IS NOT", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_ORDERED = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"})
#: The operators each field type supports.
TYPE_OPERATORS: dict[str, frozenset[str]] = {
    "text": _ORDERED | {"contains"},
    "email": _ORDERED | {"contains"},
    "url": _ORDERED | {"contains"},
    "int": _ORDERED,
    "float": _ORDERED,
    "date": _ORDERED,
    "datetime": _ORDERED,
    "enum": frozenset({"eq", "ne", "in", "isnull"}),
    "bool": frozenset({"eq", "ne", "isnull"}),
    "json": frozenset({"isnull"}),
}
_RESERVED = ("page", "per_page", "sort", "with")
_LARGEST = 2**31 - 1  # keeps OFFSET inside SQLite's integers
_SYSTEM = {
    "id": Field("id", "int"),
    "created_at": Field("created_at", "datetime"),
    "updated_at": Field("updated_at", "datetime"),
}


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request: ``WHERE`` and ``ORDER BY`` clauses with their parameters, and the page."""

    page: int
    per_page: int
    where: str
    params: list[Any]
    order_by: str

    @property
    def offset(self) -> int:
        """Rows to skip for this page."""
        return (self.page - 1) * self.per_page


def parse_list_query(entity: Entity, items: Iterable[tuple[str, str]]) -> ListQuery:
    """Parse ``(name, value)`` query items for ``entity``'s collection."""
    fields = {**_SYSTEM, **entity.fields}
    seen: dict[str, str] = {}
    for name, value in items:
        if name in seen:
            raise _bad(f'"{name}" is given more than once')
        seen[name] = value
    page = _positive(seen, "page", 1)
    per_page = min(_positive(seen, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    relations = [r for r in seen.get("with", "").split(",") if r]
    if relations:
        raise _bad(f'unknown relation "{relations[0]}" on {entity.name} (it has no relations)')
    clauses: list[str] = []
    params: list[Any] = []
    for name, raw in seen.items():
        if name in _RESERVED:
            continue
        field_name, _, operator = name.partition("__")
        field = fields.get(field_name)
        if field is None:
            raise _bad(
                f'unknown filter "{name}": {entity.name} has no field "{field_name}"'
                + did_you_mean(field_name, fields)
            )
        operator = operator or "eq"
        clause, values = _filter(field, operator, raw)
        clauses.append(clause)
        params.extend(values)
    return ListQuery(
        page=page,
        per_page=per_page,
        where=" AND ".join(clauses) if clauses else "1",
        params=params,
        order_by=_order_by(seen.get("sort", ""), fields, entity),
    )


def _filter(field: Field, operator: str, raw: str) -> tuple[str, list[Any]]:
    kind: FieldType = TYPES[field.type]
    allowed = TYPE_OPERATORS[field.type]
    if operator not in OPERATORS:
        raise _bad(f'unknown operator "{operator}" on {field.name}: use ' + ", ".join(sorted(allowed)))
    if operator not in allowed:
        raise _bad(
            f'{field.name} is a {field.type} field and cannot use "{operator}": use '
            + ", ".join(sorted(allowed))
        )
    column = quote(field.name)
    if operator == "isnull":
        if raw not in ("true", "false"):
            raise _bad(f"{field.name}__isnull must be true or false")
        return f"{column} IS {'' if raw == 'true' else 'NOT '}NULL", []
    if operator == "in":
        if raw == "":
            return "0", []  # the empty list: nothing is in it
        values = [_value(kind, field, part) for part in raw.split(",")]
        return f"{column} IN ({', '.join('?' * len(values))})", values
    if operator == "contains":
        escaped = raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE ? ESCAPE '\\'", [f"%{escaped}%"]
    return f"{column} {_COMPARE[operator]} ?", [_value(kind, field, raw)]


def _value(kind: FieldType, field: Field, raw: str) -> Any:
    try:
        return kind.parse_query(raw, field)
    except Invalid as exc:
        raise _bad(f"filter value for {field.name} {exc}: {raw!r}") from None


def _order_by(sort: str, fields: dict[str, Field], entity: Entity) -> str:
    terms: list[str] = []
    names: set[str] = set()
    for part in sort.split(","):
        if not part:
            continue
        descending = part.startswith("-")
        name = part.removeprefix("-")
        field = fields.get(name)
        if field is None:
            raise _bad(
                f'cannot sort by "{name}": {entity.name} has no such field' + did_you_mean(name, fields)
            )
        if field.type == "json":
            raise _bad(f"cannot sort by {name}: it is a json field")
        if name in names:
            raise _bad(f"sort lists {name} twice")
        names.add(name)
        terms.append(f"{quote(name)} {'DESC' if descending else 'ASC'}")
    if "id" not in names:
        terms.append("id ASC")  # a unique tie-breaker keeps pages stable
    return ", ".join(terms)


def _positive(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= _LARGEST:
        raise _bad(f"{name} must be a whole number from 1 to {_LARGEST} (got {raw!r})")
    return int(raw)


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)
