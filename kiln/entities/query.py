"""Turn a list request's query string into SQL: filters, sorting and pagination.

``?status=open&priority__gte=3&sort=-due,title&page=2&per_page=50``. Anything unknown (a field, an
operator, a sort field, a relation in ``with``) is a 400 naming it, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kiln.errors import BadRequest, Invalid
from kiln.fieldtypes import OPERATORS, FieldType
from kiln.http.paging import DEFAULT_PER_PAGE, MAX_PER_PAGE, page_and_size
from kiln.manifest.model import Entity, Field, Manifest
from kiln.manifest.report import did_you_mean
from kiln.store.schema import quote

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "ListQuery", "parse_list_query"]

_COMPARE = {"eq": "=", "ne": "IS NOT", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_RESERVED = ("page", "per_page", "sort", "with")
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

    def visible_to(self, entity: Entity, user: Any) -> tuple[str, list[Any]]:
        """The ``WHERE`` clause and its parameters, narrowed to ``user``'s own records when the
        entity's ``list`` guard is ``owner`` (anonymous callers then see nothing)."""
        if "owner" in entity.guards("list") and entity.owner is not None:
            return f"({self.where}) AND {quote(entity.owner)} = ?", [
                *self.params,
                user["id"] if user else None,
            ]
        return self.where, list(self.params)


def parse_list_query(manifest: Manifest, entity: Entity, items: Iterable[tuple[str, str]]) -> ListQuery:
    """Parse ``(name, value)`` query items for ``entity``'s collection (``with`` is parsed elsewhere).

    A name may go through one to-one relation: ``author.name=Juste`` filters, and
    ``sort=author.name`` sorts, by the field of the related record.
    """
    seen: dict[str, str] = {}
    for name, value in items:
        if name in seen:
            raise BadRequest(f'"{name}" is given more than once')
        seen[name] = value
    page, per_page = page_and_size(seen)
    clauses: list[str] = []
    params: list[Any] = []
    for name, raw in seen.items():
        if name in _RESERVED:
            continue
        path, _, operator = name.partition("__")
        column = _column(manifest, entity, path, f'unknown filter "{name}"')
        clause, values = _filter(column.field, operator or "eq", raw, column.sql)
        clauses.append(column.wrap(clause))
        params.extend(values)
    return ListQuery(
        page=page,
        per_page=per_page,
        where=" AND ".join(clauses) if clauses else "1",
        params=params,
        order_by=_order_by(seen.get("sort", ""), manifest, entity),
    )


@dataclass(frozen=True)
class _Column:
    """A field as SQL: on the entity itself, or on the record a to-one relation points at."""

    field: Field
    sql: str  # the column as a condition reads it
    relation_sql: str = ""  # a related field's condition goes inside this ``… IN (SELECT …)``
    sort_sql: str = ""  # a related field sorts by this correlated subquery

    def wrap(self, clause: str) -> str:
        return self.relation_sql.format(clause) if self.relation_sql else clause


def _column(manifest: Manifest, entity: Entity, path: str, problem: str) -> _Column:
    relation_name, dot, field_name = path.rpartition(".")
    if not dot:
        fields = {**_SYSTEM, **entity.fields}
        field = fields.get(path)
        if field is None:
            raise BadRequest(f'{problem}: {entity.name} has no field "{path}"' + did_you_mean(path, fields))
        return _Column(field, quote(field.name))
    relation = entity.relations.get(relation_name)
    if relation is None or relation.kind != "one":
        to_one = sorted(name for name, r in entity.relations.items() if r.kind == "one")
        hint = did_you_mean(relation_name, to_one) or (f" (it has: {', '.join(to_one)})" if to_one else "")
        raise BadRequest(f'{problem}: {entity.name} has no to-one relation "{relation_name}"{hint}')
    target = manifest.entities[relation.target]
    fields = {**_SYSTEM, **target.fields}
    field = fields.get(field_name)
    if field is None:
        raise BadRequest(
            f'{problem}: {target.name} has no field "{field_name}"' + did_you_mean(field_name, fields)
        )
    table, column, fk = quote(target.table), quote(field.name), quote(relation.field)
    return _Column(
        field,
        column,
        relation_sql=f"{fk} IN (SELECT id FROM {table} WHERE {{}})",
        sort_sql=f"(SELECT {column} FROM {table} WHERE {table}.id = {quote(entity.table)}.{fk})",
    )


def _filter(field: Field, operator: str, raw: str, column: str) -> tuple[str, list[Any]]:
    kind = field.kind
    allowed = sorted(kind.operators)
    if operator not in OPERATORS:
        raise BadRequest(f'unknown operator "{operator}" on {field.name}: use ' + ", ".join(allowed))
    if operator not in allowed:
        raise BadRequest(
            f'{field.name} is a {field.type} field and cannot use "{operator}": use ' + ", ".join(allowed)
        )
    if operator == "isnull":
        if raw not in ("true", "false"):
            raise BadRequest(f"{field.name}__isnull must be true or false")
        return f"{column} IS {'' if raw == 'true' else 'NOT '}NULL", []  # pragma: no mutate (SQL case)
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
        return kind.parse_query(raw)
    except Invalid as exc:
        raise BadRequest(f"filter value for {field.name} {exc}: {raw!r}") from None


def _order_by(sort: str, manifest: Manifest, entity: Entity) -> str:
    terms: list[str] = []
    names: set[str] = set()
    for part in sort.split(","):
        if not part:
            continue
        descending = part.startswith("-")
        name = part.removeprefix("-")
        column = _column(manifest, entity, name, f'cannot sort by "{name}"')
        if not column.field.kind.sortable:
            raise BadRequest(f"cannot sort by {name}: it is a {column.field.type} field")
        if name in names:
            raise BadRequest(f"sort lists {name} twice")
        names.add(name)
        terms.append(f"{column.sort_sql or column.sql} {'DESC' if descending else 'ASC'}")
    if "id" not in names:
        terms.append("id ASC")  # a unique tie-breaker keeps pages stable
    return ", ".join(terms)
