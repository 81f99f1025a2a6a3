"""``GET /api/<plural>/search``: BM25 keyword search over an entity's ``search`` fields.

``?q=bread OR butter&status=published&page=2&with=author`` answers
``{"items": [{"record", "score", "highlights"}], "page", "per_page", "total"}``, best match first.
The index is the FTS5 table of :mod:`kiln.store.search_index`; each field's ``search`` weight is
its column weight in ``bm25()``, and ``score`` is the negated BM25 rank, so higher is better. The
list's filters, paging, ``with`` and ``owner`` scoping apply as they do to ``GET /api/<plural>``.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kiln.entities.loading import load_relations, parse_with
from kiln.entities.query import ListQuery, parse_list_query
from kiln.entities.search_syntax import fts_query, syntax_error
from kiln.errors import BadRequest
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Entity, Manifest
from kiln.records import Shape
from kiln.store.database import Database
from kiln.store.search_index import index_table, search_fields
from kiln.store.sql import quote

__all__ = ["MODES", "Search"]

#: The values ``mode`` takes.
MODES = ("keyword",)
#: Query parameters that are the search's own, not filters.
_OWN = frozenset({"q", "mode"})
_MARK, _END = "\x02", "\x03"  # snippet() markers, turned into <mark> after the text is escaped
_SNIPPET_TOKENS = 24


class Search:
    """The search endpoint of one entity; built once per compiled app, like its collection."""

    def __init__(self, entity: Entity, manifest: Manifest, shapes: Mapping[str, Shape]) -> None:
        self.entity = entity
        self.manifest = manifest
        self.shapes = shapes
        self.shape = shapes[entity.name]
        self.fields = search_fields(entity)
        index = quote(index_table(entity.table))
        weights = ", ".join(repr(field.search) for field in self.fields)
        table = self.shape.table
        matches = (
            f"SELECT rowid AS _kiln_rowid, bm25({index}, {weights}) AS _kiln_rank "
            f"FROM {index} WHERE {index} MATCH ?"
        )
        self._from = f"{table} JOIN ({matches}) AS _kiln_match ON _kiln_match._kiln_rowid = {table}.id"
        self._columns = ", ".join(f"{table}.{column.strip()}" for column in self.shape.columns.split(","))
        snippets = ", ".join(
            f"snippet({index}, {i}, char(2), char(3), '…', {_SNIPPET_TOKENS})"
            for i in range(len(self.fields))
        )
        self._snippets = f"SELECT rowid, {snippets} FROM {index} WHERE {index} MATCH ? AND rowid IN "

    async def endpoint(self, request: Request, user: Any) -> Response:
        """Answer one search request; the caller has passed the entity's ``list`` guards."""
        q, _mode, query = self._parse(request)
        tree = parse_with(self.manifest, self.entity, request.query_params.get("with", ""))
        where, params = query.visible_to(self.entity, user)
        conn = _db(request).conn
        match = fts_query(q)
        try:
            total = conn.execute(
                f"SELECT count(*) FROM {self._from} WHERE {where}", [match, *params]
            ).fetchone()[0]
            rows = conn.execute(
                f"SELECT {self._columns}, _kiln_match._kiln_rank FROM {self._from} WHERE {where} "
                f"ORDER BY _kiln_match._kiln_rank, {self.shape.table}.id LIMIT ? OFFSET ?",
                [match, *params, query.per_page, query.offset],
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise syntax_error(q, exc) from None
        records = [self.shape.to_json(row[:-1]) for row in rows]
        highlights = self._highlights(conn, match, [record["id"] for record in records])
        load_relations(conn, self.manifest, self.shapes, self.entity, records, tree)
        items = [
            {"record": record, "score": -row[-1], "highlights": highlights.get(record["id"], {})}
            for record, row in zip(records, rows, strict=True)
        ]
        return JSONResponse({"items": items, "page": query.page, "per_page": query.per_page, "total": total})

    def _parse(self, request: Request) -> tuple[str, str, ListQuery]:
        items = request.query_params.multi_items()
        params = dict(items)
        for name in _OWN:
            if sum(key == name for key, _ in items) > 1:
                raise BadRequest(f'"{name}" is given more than once')
        q = " ".join(params.get("q", "").split())
        if not q:
            raise BadRequest("q is required: the words to search for, such as ?q=bread")
        mode = params.get("mode", "keyword")
        if mode not in MODES:
            raise BadRequest(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
        if "sort" in params:
            raise BadRequest("search results are ordered by score, best first: sort is not accepted")
        query = parse_list_query(self.manifest, self.entity, [(k, v) for k, v in items if k not in _OWN])
        return q, mode, query

    def _highlights(self, conn: sqlite3.Connection, match: str, ids: list[int]) -> dict[int, dict[str, str]]:
        """For each record, a snippet of each field that matched, escaped, matches in ``<mark>``."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        found: dict[int, dict[str, str]] = {}
        for rowid, *snippets in conn.execute(f"{self._snippets}({marks})", [match, *ids]):
            found[rowid] = {
                field.name: html.escape(text).replace(_MARK, "<mark>").replace(_END, "</mark>")
                for field, text in zip(self.fields, snippets, strict=True)
                if text and _MARK in text
            }
        return found


def _db(request: Request) -> Database:
    db: Database = request.app.state.kiln.db
    return db
