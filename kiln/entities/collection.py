"""The REST collection of one entity at ``/api/<plural>``."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiln.auth.guards import check_owner, enforce
from kiln.clock import Clock
from kiln.entities.deletes import ids_param, plan_delete
from kiln.entities.forms import read_body
from kiln.entities.loading import load_relations, parse_with
from kiln.entities.query import parse_list_query
from kiln.entities.search import Search
from kiln.errors import BadRequest, NotFound, PreconditionFailed, UniqueViolation, ValidationFailed
from kiln.fieldtypes import format_datetime
from kiln.files import Form, check_file_references
from kiln.files.endpoints import insert_file
from kiln.http.etags import IF_MATCH, matches_strongly, matches_weakly
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Entity, Manifest
from kiln.records import Shape, etag, validate
from kiln.store.database import Database
from kiln.store.schema import quote
from kiln.store.vectors import fill_vectors

__all__ = ["Collection"]

_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
#: RFC 9110: ``*`` or a comma-separated list of (possibly weak) quoted entity tags.
_LARGEST_ID = 2**63 - 1


class Collection:
    """List, create, read, update (``PATCH``/``PUT``) and delete the records of one entity.

    A collection is built once per compiled app and shared by every app instance serving it:
    the instance's database and clock are found through ``request.app.state.kiln``.
    """

    def __init__(self, entity: Entity, manifest: Manifest, shapes: Mapping[str, Shape]) -> None:
        self.entity = entity
        self.manifest = manifest
        self.shapes = shapes
        self.shape = shapes[entity.name]
        self._refs = [field for field in entity.fields.values() if field.type == "ref"]
        self._files = any(field.type == "file" for field in entity.fields.values())
        table, columns = self.shape.table, self.shape.columns
        self._select_one = f"SELECT {columns} FROM {table} WHERE id = ?"
        self._returning = f"RETURNING {columns}"
        self._search = Search(entity, manifest, shapes) if entity.search_fields else None

    def routes(self) -> list[Route]:
        """One route per path, so a wrong method gets a 405 listing every allowed one."""
        path = self.entity.path
        routes = [
            Route(path, self._collection, methods=["GET", "POST"], name=f"{self.entity.plural}-collection"),
            Route(
                path + "/{id:int}",
                self._item,
                methods=["GET", "PATCH", "PUT", "DELETE"],
                name=f"{self.entity.plural}-item",
            ),
        ]
        if self._search is not None:
            routes.append(
                Route(path + "/search", self._searching, methods=["GET"], name=f"{self.entity.plural}-search")
            )
        return routes

    async def _collection(self, request: Request) -> Response:
        if request.method == "POST":
            user = await self._enforce(request, "create")
            return await self.create(request, user)
        user = await self._enforce(request, "list")
        return self.list(request, user)

    async def _searching(self, request: Request) -> Response:
        assert self._search is not None  # the route exists only for entities with search fields
        return await self._search.endpoint(request, await self._enforce(request, "list"))

    async def _item(self, request: Request) -> Response:
        record_id: int = request.path_params["id"]
        method = request.method
        if method in ("GET", "HEAD"):
            return self.read(request, record_id, await self._enforce(request, "read"))
        if method == "DELETE":
            return self.delete(request, record_id, await self._enforce(request, "delete"))
        user = await self._enforce(request, "update")
        body, form = await read_body(request, self.entity, self.manifest)
        try:
            return self.update(request, record_id, body, user, partial=method == "PATCH", form=form)
        finally:
            if form is not None:
                form.discard()

    async def _enforce(self, request: Request, operation: str) -> dict[str, Any] | None:
        """Every guard of ``operation`` but ``owner``, which needs the record; authentication first."""
        return await enforce(request, self.entity.guards(operation), self.manifest.handlers)

    def _owned(self, operation: str, record: dict[str, Any], user: Any) -> None:
        check_owner(self.entity.guards(operation), self.entity.owner, record, user)

    def list(self, request: Request, user: Any = None) -> Response:
        """``GET /api/<plural>``: ``{"items", "page", "per_page", "total"}``.

        With ``list = "owner"``, only the caller's records.
        """
        query = parse_list_query(self.manifest, self.entity, request.query_params.multi_items())
        tree = parse_with(self.manifest, self.entity, request.query_params.get("with", ""))
        where, params = query.visible_to(self.entity, user)
        conn = _db(request).conn
        table = self.shape.table
        total = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
        select = f"SELECT {self.shape.columns} FROM {table} WHERE {where} ORDER BY {query.order_by}"
        rows = conn.execute(f"{select} LIMIT ? OFFSET ?", [*params, query.per_page, query.offset]).fetchall()
        items = [self.shape.to_json(row) for row in rows]
        load_relations(conn, self.manifest, self.shapes, self.entity, items, tree)
        return JSONResponse({"items": items, "page": query.page, "per_page": query.per_page, "total": total})

    async def create(self, request: Request, user: Any = None) -> Response:
        """``POST /api/<plural>``: 201 with the record, ``Location`` and ``ETag``.

        The owner field, if any, is the caller.
        """
        body, form = await read_body(request, self.entity, self.manifest)
        try:
            return self._create(request, body, user, form)
        finally:
            if form is not None:
                form.discard()

    def _create(self, request: Request, body: Any, user: Any, form: Form | None) -> Response:
        self._refuse_owner(body)
        values = validate(self.entity, body, partial=False)
        if self.entity.owner is not None:
            values[self.entity.owner] = user["id"] if user is not None else None
        now = format_datetime(_clock(request).now())
        columns = {"created_at": now, "updated_at": now, **values}
        names = ", ".join(quote(name) for name in columns)
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {self.shape.table} ({names}) VALUES ({marks}) {self._returning}"
        with self._unique_violations(), _db(request).write() as conn:
            self._take_uploads(request, conn, columns, user, form)
            self._check_references(conn, columns, user, None)
            row = conn.execute(sql, list(columns.values())).fetchall()[0]
            self._embed(conn)
            self._keep_uploads(request, form)
        record = self.shape.to_json(row)
        _events(request).created(self.entity, record)
        headers = {"Location": f"{self.entity.path}/{record['id']}", "ETag": etag(record)}
        return JSONResponse(record, 201, headers=headers)

    def read(self, request: Request, record_id: int, user: Any = None) -> Response:
        """``GET /api/<plural>/{id}``: the record with its ``ETag``; 304 for a matching ``If-None-Match``.

        The ``ETag`` covers the record itself, not relations loaded with ``with``, so it serves
        as ``If-Match`` whatever was loaded alongside.
        """
        tree = parse_with(self.manifest, self.entity, request.query_params.get("with", ""))
        conn = _db(request).conn
        record = self._fetch(conn, record_id)
        self._owned("read", record, user)
        tag = etag(record)
        if matches_weakly(request.headers.get("if-none-match"), tag):  # pragma: no mutate (names ignore case)
            return Response(status_code=304, headers={"ETag": tag})
        load_relations(conn, self.manifest, self.shapes, self.entity, [record], tree)
        return JSONResponse(record, headers={"ETag": tag})

    def update(
        self,
        request: Request,
        record_id: int,
        body: Any,
        user: Any = None,
        *,
        partial: bool,
        form: Form | None = None,
    ) -> Response:
        """``PATCH`` (the fields given) or ``PUT`` (the whole record); 412 when ``If-Match`` is stale.

        The uploads of a multipart body become files in the same transaction.
        """
        self._refuse_owner(body)
        values = validate(self.entity, body, partial=partial)
        with self._unique_violations(), _db(request).write() as conn:
            current = self._fetch(conn, record_id)
            self._owned("update", current, user)
            self._check_if_match(request, current)
            self._take_uploads(request, conn, values, user, form)
            self._check_references(conn, values, user, current)
            if self.entity.owner is not None:
                values.pop(self.entity.owner, None)  # PUT keeps the owner it has
            if not values:  # an empty PATCH changes nothing, not even updated_at
                record = current
            else:
                values["updated_at"] = format_datetime(_clock(request).now())
                assignments = ", ".join(f"{quote(name)} = ?" for name in values)
                sql = f"UPDATE {self.shape.table} SET {assignments} WHERE id = ? {self._returning}"
                row = conn.execute(sql, [*values.values(), record_id]).fetchall()[0]
                record = self.shape.to_json(row)
                self._embed(conn)
                self._keep_uploads(request, form)
        if values:
            _events(request).updated(self.entity, [record])
        return JSONResponse(record, headers={"ETag": etag(record)})  # pragma: no mutate (names ignore case)

    def delete(self, request: Request, record_id: int, user: Any = None) -> Response:
        """``DELETE /api/<plural>/{id}``: what was deleted, cascaded and cleared, in one transaction.

        A ``restrict`` reference anywhere in the cascade answers 409 and deletes nothing.
        """
        events = _events(request)
        with _db(request).write() as conn:
            current = self._fetch(conn, record_id)
            self._owned("delete", current, user)
            self._check_if_match(request, current)
            plan = plan_delete(conn, self.manifest, self.entity, record_id)
            gone = events.records(conn, self.shapes, plan.cascaded_ids)  # as they were, for guards
            conn.execute(f"DELETE FROM {self.shape.table} WHERE id = ?", [record_id])
        events.deleted(self.entity, [current, *gone.get(self.entity.name, [])])
        for name, records in gone.items():
            if name != self.entity.name:
                events.deleted(self.manifest.entities[name], records)
        for name, cleared in events.records(_db(request).conn, self.shapes, plan.nulled_ids).items():
            events.updated(self.manifest.entities[name], cleared)
        deleted = {
            "entity": self.entity.name,
            "id": record_id,
            "cascaded": plan.cascaded,
            "nulled": plan.nulled,
        }
        return JSONResponse({"deleted": deleted})

    def _embed(self, conn: sqlite3.Connection) -> None:
        """Store the embedding of what was just written, in its transaction (searched entities only)."""
        if self._search is not None:
            fill_vectors(conn, self.entity)

    def _take_uploads(
        self, request: Request, conn: sqlite3.Connection, values: dict[str, Any], user: Any, form: Form | None
    ) -> None:
        """Write the file row of each upload and set its field to it (a blob once committed)."""
        if form is None:
            return
        state = request.app.state.kiln
        now = format_datetime(state.clock.now())
        for name, upload in form.files.items():
            values[name] = insert_file(conn, upload, user, now)["id"]

    def _keep_uploads(self, request: Request, form: Form | None) -> None:
        """Make the uploads blobs: the last step of a write's transaction, once nothing can fail."""
        if form is not None:
            for upload in form.files.values():
                request.app.state.kiln.blobs.keep(upload)

    def _refuse_owner(self, body: Any) -> None:
        """The owner field is the signed-in user's; a client may not set or change it."""
        owner = self.entity.owner
        if owner is not None and isinstance(body, dict) and owner in body:
            fields = {owner: "is set from your token and cannot be sent"}
            raise ValidationFailed(f"{self.entity.name} is invalid", fields=fields)

    def _check_references(
        self, conn: sqlite3.Connection, values: dict[str, Any], user: Any, current: dict[str, Any] | None
    ) -> None:
        """422 naming each ref field whose record does not exist, and each file field set to a
        file the caller may not use."""
        missing = check_file_references(conn, self.entity, values, user, current) if self._files else {}
        for field in self._refs:
            value = values.get(field.name)
            if value is None:
                continue
            target = self.manifest.entities[field.to or ""]
            if conn.execute(f"SELECT 1 FROM {quote(target.table)} WHERE id = ?", [value]).fetchone() is None:
                missing[field.name] = f"{target.name} {value} does not exist"
        if missing:
            raise ValidationFailed(f"{self.entity.name} is invalid", fields=missing)

    def _fetch(self, conn: sqlite3.Connection, record_id: int) -> dict[str, Any]:
        # the path's int convertor has no upper bound; SQLite does
        row = conn.execute(self._select_one, [record_id]).fetchone() if record_id <= _LARGEST_ID else None
        if row is None:
            raise NotFound(f"{self.entity.name} {record_id} not found")
        return self.shape.to_json(row)

    def _check_if_match(self, request: Request, current: dict[str, Any]) -> None:
        header = request.headers.get("if-match")
        if header is None:
            return
        if not IF_MATCH.match(header):
            raise BadRequest('If-Match must be * or a list of quoted ETags, such as "a1b2"')
        if not matches_strongly(header, etag(current)):
            raise PreconditionFailed(
                f"{self.entity.name} {current['id']} has changed since you read it: fetch it again",
                headers={"ETag": etag(current)},  # pragma: no mutate (header names ignore case)
            )

    def _unique_violations(self) -> _UniqueViolations:
        return _UniqueViolations(self.entity)


class _UniqueViolations:
    """Turns SQLite's unique-constraint error into a 409 naming the fields."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if not isinstance(exc, sqlite3.IntegrityError):
            return
        found = _UNIQUE.search(str(exc))
        if found is None:
            return
        names = [part.strip().split(".", 1)[-1] for part in found.group(1).split(",")]
        raise UniqueViolation(
            f"another {self.entity.name} already has this {' and '.join(names)}",
            fields=dict.fromkeys(names, "is already taken"),
        ) from None


def _db(request: Request) -> Database:
    db: Database = request.app.state.kiln.db
    return db


class _Events:
    """Tells the app's WebSocket hub what a write did, once it has committed (no hub: nothing)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def records(
        self, conn: sqlite3.Connection, shapes: Mapping[str, Shape], ids: Mapping[str, set[int]]
    ) -> dict[str, list[dict[str, Any]]]:
        """The records with these ids, by entity (nothing is read without a hub)."""
        if self.hub is None:
            return {}
        found: dict[str, list[dict[str, Any]]] = {}
        for name, wanted in ids.items():
            shape = shapes[name]
            where = "id IN (SELECT value FROM json_each(?))"
            sql = f"SELECT {shape.columns} FROM {shape.table} WHERE {where} ORDER BY id"
            found[name] = [shape.to_json(row) for row in conn.execute(sql, [ids_param(wanted)])]
        return found

    def created(self, entity: Entity, record: dict[str, Any]) -> None:
        if self.hub is not None:
            self.hub.publish(entity.name, "created", record, record)

    def updated(self, entity: Entity, records: list[dict[str, Any]]) -> None:
        if self.hub is not None:
            for record in records:
                self.hub.publish(entity.name, "updated", record, record)

    def deleted(self, entity: Entity, records: list[dict[str, Any]]) -> None:
        if self.hub is not None:
            for record in records:
                self.hub.publish(entity.name, "deleted", record, {"id": record["id"]})


def _events(request: Request) -> _Events:
    return _Events(getattr(request.app.state.kiln, "hub", None))


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.kiln.clock
    return clock
