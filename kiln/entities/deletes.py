"""What deleting a record does to the records that refer to it: cascade, restrict or set null.

The plan is worked out inside the delete's transaction, before the ``DELETE``:

1. the cascade closure: every record that ``on_delete = "cascade"`` would take with it, level by
   level, one query per relation per level whatever the number of rows;
2. then, against that closure, the ``restrict`` references (any left means 409, and nothing is
   deleted) and the ``set_null`` references that would be cleared.

SQLite's own foreign-key actions then do the deleting and clearing, so the counts in the response
are exactly what happened.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from kiln.errors import DeleteRestricted
from kiln.manifest.model import Entity, Manifest
from kiln.store.schema import quote

__all__ = ["DeletePlan", "ids_param", "plan_delete"]

_SHOWN_IDS = 10


def ids_param(ids: set[int] | list[int]) -> str:
    """One SQL parameter holding many ids, read with ``IN (SELECT value FROM json_each(?))``."""
    return json.dumps(sorted(ids))


@dataclass(frozen=True)
class DeletePlan:
    """Counts by entity name of the records a delete removes and the references it clears."""

    cascaded: dict[str, int]
    nulled: dict[str, int]
    #: The ids the cascade deletes, and those whose reference it clears, by entity name.
    cascaded_ids: dict[str, set[int]] = field(default_factory=dict)
    nulled_ids: dict[str, set[int]] = field(default_factory=dict)


def plan_delete(conn: sqlite3.Connection, manifest: Manifest, entity: Entity, record_id: int) -> DeletePlan:
    """What deleting ``entity`` ``record_id`` does; 409 ``delete_restricted`` if a restrict ref blocks it."""
    doomed: dict[str, set[int]] = defaultdict(set)
    doomed[entity.name].add(record_id)
    frontier: dict[str, set[int]] = {entity.name: {record_id}}
    while frontier:
        following: dict[str, set[int]] = defaultdict(set)
        for name, ids in frontier.items():
            for relation in manifest.entities[name].relations.values():
                if relation.kind != "many" or relation.on_delete != "cascade":
                    continue
                found = (
                    _referring(conn, manifest.entities[relation.target], relation.field, ids)
                    - doomed[relation.target]
                )
                doomed[relation.target] |= found
                following[relation.target] |= found
        frontier = {name: ids for name, ids in following.items() if ids}

    nulled: dict[str, int] = {}
    nulled_ids: dict[str, set[int]] = defaultdict(set)
    for name, ids in list(doomed.items()):
        for relation in manifest.entities[name].relations.values():
            if relation.kind != "many" or relation.on_delete == "cascade":
                continue
            child = manifest.entities[relation.target]
            blocking = _referring(conn, child, relation.field, ids) - doomed.get(child.name, set())
            if not blocking:
                continue
            if relation.on_delete == "restrict":
                raise _restricted(entity, record_id, name, child, relation.field, blocking)
            nulled[child.name] = nulled.get(child.name, 0) + len(blocking)
            nulled_ids[child.name] |= blocking
    cascaded = {name: len(ids) for name, ids in doomed.items() if name != entity.name and ids}
    if len(doomed[entity.name]) > 1:  # a self-reference cascaded to more records of the same entity
        cascaded[entity.name] = len(doomed[entity.name]) - 1
    cascaded_ids = {name: set(ids) for name, ids in doomed.items() if ids}
    cascaded_ids[entity.name] = cascaded_ids[entity.name] - {record_id}
    return DeletePlan(
        cascaded=cascaded,
        nulled=nulled,
        cascaded_ids={name: ids for name, ids in cascaded_ids.items() if ids},
        nulled_ids=dict(nulled_ids),
    )


def _referring(conn: sqlite3.Connection, child: Entity, field: str, ids: set[int]) -> set[int]:
    sql = f"SELECT id FROM {quote(child.table)} WHERE {quote(field)} IN (SELECT value FROM json_each(?))"
    return {row[0] for row in conn.execute(sql, [ids_param(ids)])}


def _restricted(
    entity: Entity, record_id: int, referred: str, child: Entity, field: str, blocking: set[int]
) -> DeleteRestricted:
    shown = sorted(blocking)[:_SHOWN_IDS]
    more = f" and {len(blocking) - len(shown)} more" if len(blocking) > len(shown) else ""
    refer = "record refers" if len(blocking) == 1 else "records refer"
    target = "it" if referred == entity.name else f"{referred} records the delete would cascade to"
    message = (
        f"{entity.name} {record_id} cannot be deleted: {len(blocking)} {child.name} {refer} to {target} "
        f"through {field}, which is on_delete = restrict (ids {', '.join(map(str, shown))}{more})"
    )
    return DeleteRestricted(message, fields={child.name: f"{len(blocking)} {refer} to it"})
