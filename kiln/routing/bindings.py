"""A template route's ``data``: each binding's records, through the REST API's own list query.

Each binding is parsed once, when the app is built, with the list query's parser, so its
records have exactly the shape ``GET /api/<plural>`` gives them, and ``with`` costs one query
per level. The entity's ``list`` guards apply to the viewer: one they refuse gets an empty list,
and with ``list = "owner"`` a viewer gets only their own records (nobody signed in, none).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from starlette.requests import Request

from kiln.auth.guards import enforce
from kiln.entities.loading import Tree, load_relations, parse_with
from kiln.entities.query import ListQuery, parse_list_query
from kiln.errors import Forbidden, Unauthorized
from kiln.manifest.model import Binding, Manifest
from kiln.records import Shape

__all__ = ["BoundData"]


class _Bound:
    def __init__(self, manifest: Manifest, shapes: Mapping[str, Shape], binding: Binding) -> None:
        self.name = binding.name
        self.entity = manifest.entities[binding.entity]
        self.shape = shapes[binding.entity]
        items = [("per_page", str(binding.limit)), *binding.where]
        if binding.sort:
            items.append(("sort", binding.sort))
        self.query: ListQuery = parse_list_query(manifest, self.entity, items)
        self.tree: Tree = parse_with(manifest, self.entity, ",".join(binding.with_))
        self.guards = tuple(guard for guard in self.entity.guards("list") if guard != "owner") or ("public",)


class BoundData:
    """The ``data`` of one template route, ready to load for each request."""

    def __init__(
        self, manifest: Manifest, shapes: Mapping[str, Shape], bindings: tuple[Binding, ...]
    ) -> None:
        self.manifest = manifest
        self.shapes = shapes
        self.bound = [_Bound(manifest, shapes, binding) for binding in bindings]

    async def load(
        self, request: Request, user: Any, handlers: ModuleType | None
    ) -> dict[str, list[dict[str, Any]]]:
        """Each binding's records, as the viewer may list them."""
        conn = request.app.state.kiln.db.conn
        loaded: dict[str, list[dict[str, Any]]] = {}
        for bound in self.bound:
            try:
                await enforce(request, bound.guards, handlers)
            except (Unauthorized, Forbidden):
                loaded[bound.name] = []
                continue
            where, params = bound.query.visible_to(bound.entity, user)
            shape, order = bound.shape, bound.query.order_by
            sql = f"SELECT {shape.columns} FROM {shape.table} WHERE {where} ORDER BY {order} LIMIT ?"
            records = [shape.to_json(row) for row in conn.execute(sql, [*params, bound.query.per_page])]
            load_relations(conn, self.manifest, self.shapes, bound.entity, records, bound.tree)
            loaded[bound.name] = records
        return loaded
