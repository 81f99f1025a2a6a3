"""``GET /api/<plural>/search``: keyword, semantic and hybrid search over the ``search`` fields.

``?q=bread OR butter&status=published&page=2&with=author`` answers
``{"items": [{"record", "score", "highlights"}], "page", "per_page", "total"}``, best match first.
The list's filters, paging, ``with`` and ``owner`` scoping apply as they do to ``GET /api/<plural>``.

- ``mode=keyword`` (the default) ranks with the FTS5 index of :mod:`kiln.store.search_index`:
  each field's ``search`` weight is its column weight in ``bm25()``, and ``score`` is the negated
  BM25 rank, so higher is better.
- ``mode=semantic`` ranks by the cosine of each record's embedding with ``q``'s
  (:mod:`kiln.store.vectors`), leaving out those at or below ``min_score``; ``highlights`` is ``{}``.
- ``mode=hybrid`` fuses both rankings by reciprocal rank (:func:`kiln.entities.semantic.fuse`);
  a record that matched by keyword keeps its highlights.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Mapping
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from kiln.embeddings import embed
from kiln.entities.loading import load_relations, parse_with
from kiln.entities.query import ListQuery, parse_list_query
from kiln.entities.search_analytics import record_search
from kiln.entities.search_syntax import fts_query, syntax_error
from kiln.entities.semantic import fuse, rank_by_similarity
from kiln.errors import BadRequest
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Entity, Manifest
from kiln.records import Shape
from kiln.store.database import Database
from kiln.store.search_index import index_table
from kiln.store.sql import quote
from kiln.store.vectors import fill_vectors, vector_table

__all__ = ["MODES", "Search"]

#: The values ``mode`` takes.
MODES = ("keyword", "semantic", "hybrid")
#: Query parameters that are the search's own, not filters.
_OWN = frozenset({"q", "mode", "min_score"})
_MARK, _END = "\x02", "\x03"  # snippet() markers, turned into <mark> after the text is escaped
_SNIPPET_TOKENS = 24


class Search:
    """The search endpoint of one entity; built once per compiled app, like its collection."""

    def __init__(self, entity: Entity, manifest: Manifest, shapes: Mapping[str, Shape]) -> None:
        self.entity = entity
        self.manifest = manifest
        self.shapes = shapes
        self.shape = shapes[entity.name]
        self.fields = entity.search_fields
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
        self._any_due = f"SELECT 1 FROM {quote(vector_table(entity.table))} WHERE vector IS NULL LIMIT 1"

    async def endpoint(self, request: Request, user: Any) -> Response:
        """Answer one search request; the caller has passed the entity's ``list`` guards."""
        q, mode, min_score, query = self._parse(request)
        tree = parse_with(self.manifest, self.entity, request.query_params.get("with", ""))
        where, params = query.visible_to(self.entity, user)
        db = _db(request)
        conn = db.conn
        matched: set[int]  # the records that matched by keyword, which get highlights
        if mode == "keyword":
            total, records, scores = self._keyword_page(conn, q, where, params, query)
            matched = {record["id"] for record in records}
        else:
            limit = None if mode == "hybrid" else query.offset + query.per_page
            semantic, similarity, total = self._semantic(db, q, where, params, min_score, limit)
            if mode == "semantic":
                scored = list(zip(semantic, similarity, strict=True))
                matched = set()
            else:
                keyword = self._keyword_ranking(conn, q, where, params)
                scored = fuse(keyword, semantic)
                total, matched = len(scored), set(keyword)
            page = scored[query.offset : query.offset + query.per_page]
            records = self._records(conn, [record_id for record_id, _ in page])
            scores = [score for _, score in page]
        highlights = self._highlights(conn, q, [r["id"] for r in records if r["id"] in matched])
        load_relations(conn, self.manifest, self.shapes, self.entity, records, tree)
        items = [
            {"record": record, "score": score, "highlights": highlights.get(record["id"], {})}
            for record, score in zip(records, scores, strict=True)
        ]
        record_search(request, self.entity.name, q, mode, total)
        return JSONResponse({"items": items, "page": query.page, "per_page": query.per_page, "total": total})

    def _keyword_page(
        self, conn: sqlite3.Connection, q: str, where: str, params: list[Any], query: ListQuery
    ) -> tuple[int, list[dict[str, Any]], list[float]]:
        """One page of the BM25 ranking, read in one query, and the total."""
        match = fts_query(q)
        try:
            total: int = conn.execute(
                f"SELECT count(*) FROM {self._from} WHERE {where}", [match, *params]
            ).fetchone()[0]
            rows = conn.execute(
                f"SELECT {self._columns}, _kiln_match._kiln_rank FROM {self._from} WHERE {where} "
                f"ORDER BY _kiln_match._kiln_rank, {self.shape.table}.id LIMIT ? OFFSET ?",
                [match, *params, query.per_page, query.offset],
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise syntax_error(q, exc) from None
        return total, [self.shape.to_json(row[:-1]) for row in rows], [-row[-1] for row in rows]

    def _keyword_ranking(self, conn: sqlite3.Connection, q: str, where: str, params: list[Any]) -> list[int]:
        """Every keyword match's id, best first."""
        try:
            rows = conn.execute(
                f"SELECT {self.shape.table}.id FROM {self._from} WHERE {where} "
                f"ORDER BY _kiln_match._kiln_rank, {self.shape.table}.id",
                [fts_query(q), *params],
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise syntax_error(q, exc) from None
        return [row[0] for row in rows]

    def _semantic(
        self, db: Database, q: str, where: str, params: list[Any], min_score: float, limit: int | None
    ) -> tuple[list[int], list[float], int]:
        """The records passing the filters whose cosine with ``q`` is above ``min_score``, best first."""
        conn = db.conn
        if conn.execute(self._any_due).fetchone() is not None:  # written with plain SQL since
            with db.write() as writing:
                fill_vectors(writing, self.entity)
        matrix = db.vectors.matrix(conn, self.entity.table)
        ids, vectors = matrix.ids, matrix.vectors
        if where != "1":
            passing = np.array(
                [row[0] for row in conn.execute(f"SELECT id FROM {self.shape.table} WHERE {where}", params)],
                dtype=np.int64,
            )
            positions = np.searchsorted(ids, passing)
            ids, vectors = ids[positions], vectors[positions]
        return rank_by_similarity(ids, vectors, embed([q])[0], min_score, limit)

    def _records(self, conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
        """The records with these ids, in this order."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = conn.execute(f"SELECT {self.shape.columns} FROM {self.shape.table} WHERE id IN ({marks})", ids)
        by_id = {row[0]: self.shape.to_json(row) for row in rows}
        return [by_id[record_id] for record_id in ids]

    def _parse(self, request: Request) -> tuple[str, str, float, ListQuery]:
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
        return q, mode, _min_score(params.get("min_score"), mode), query

    def _highlights(self, conn: sqlite3.Connection, q: str, ids: list[int]) -> dict[int, dict[str, str]]:
        """For each record, a snippet of each field that matched, escaped, matches in ``<mark>``."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        found: dict[int, dict[str, str]] = {}
        for rowid, *snippets in conn.execute(f"{self._snippets}({marks})", [fts_query(q), *ids]):
            found[rowid] = {
                field.name: html.escape(text).replace(_MARK, "<mark>").replace(_END, "</mark>")
                for field, text in zip(self.fields, snippets, strict=True)
                if text and _MARK in text
            }
        return found


def _min_score(raw: str | None, mode: str) -> float:
    """``min_score``: a cosine from -1 to 1, for the modes that rank by meaning (default 0)."""
    if raw is None:
        return 0.0
    if mode == "keyword":
        raise BadRequest("min_score applies to mode=semantic and mode=hybrid, not to keyword search")
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not -1.0 <= value <= 1.0:  # also refuses nan
        raise BadRequest(f"min_score must be a number from -1 to 1 (got {raw!r})")
    return value


def _db(request: Request) -> Database:
    db: Database = request.app.state.kiln.db
    return db
