"""Eager loading with ``?with=author,comments.author``: one query per relation per level.

Every record at one level is loaded together, with its ids passed as one JSON array, so the number
of queries depends on the ``with`` paths, never on the number of rows. Nested records are made by
the same :class:`~kiln.records.Shape` as top-level ones, so their JSON types are identical.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from kiln.entities.deletes import ids_param
from kiln.errors import BadRequest
from kiln.manifest.model import Entity, Manifest
from kiln.manifest.report import did_you_mean
from kiln.records import Shape
from kiln.store.schema import quote

__all__ = ["Tree", "load_relations", "parse_with"]

Tree = dict[str, "Tree"]
_MAX_DEPTH = 4


def parse_with(manifest: Manifest, entity: Entity, raw: str) -> Tree:
    """``"author,comments.author"`` as a tree of relation names; 400 for an unknown relation."""
    tree: Tree = {}
    for path in (part.strip() for part in raw.split(",")):
        if not path:
            continue
        names = path.split(".")
        if len(names) > _MAX_DEPTH:
            raise BadRequest(f'"{path}" nests more than {_MAX_DEPTH} relations')
        current, node = entity, tree
        for name in names:
            relation = current.relations.get(name)
            if relation is None:
                known = sorted(current.relations)
                hint = did_you_mean(name, known) or (
                    f" (it has: {', '.join(known)})" if known else " (it has no relations)"
                )
                raise BadRequest(f'unknown relation "{name}" on {current.name}{hint}')
            node = node.setdefault(name, {})
            current = manifest.entities[relation.target]
    return tree


def load_relations(
    conn: sqlite3.Connection,
    manifest: Manifest,
    shapes: Mapping[str, Shape],
    entity: Entity,
    records: list[dict[str, Any]],
    tree: Tree,
) -> None:
    """Attach the relations in ``tree`` to ``records`` (in place), level by level."""
    if not records:
        return
    for name, subtree in tree.items():
        relation = entity.relations[name]
        target = manifest.entities[relation.target]
        shape = shapes[target.name]
        if relation.kind == "one":
            wanted = {record[relation.field] for record in records if record[relation.field] is not None}
            found = {row["id"]: row for row in _select(conn, shape, "id", wanted)}
            for record in records:
                record[name] = found.get(record[relation.field])
            loaded = list(found.values())
        else:
            groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
            loaded = _select(conn, shape, relation.field, {record["id"] for record in records})
            for row in loaded:
                groups[row[relation.field]].append(row)
            for record in records:
                record[name] = groups.get(record["id"], [])
        load_relations(conn, manifest, shapes, target, loaded, subtree)


def _select(conn: sqlite3.Connection, shape: Shape, column: str, ids: set[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    where = f"{quote(column)} IN (SELECT value FROM json_each(?))"
    sql = f"SELECT {shape.columns} FROM {shape.table} WHERE {where} ORDER BY id"
    return [shape.to_json(row) for row in conn.execute(sql, [ids_param(ids)])]
