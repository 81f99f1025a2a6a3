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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from kiln.embeddings import embed
from kiln.entities.loading import load_relations, parse_with
from kiln.entities.query import ListQuery, parse_list_query
from kiln.entities.search_analytics import record_search
from kiln.entities.search_syntax import fts_query, is_query_error, syntax_error
from kiln.entities.semantic import fuse, rank_by_similarity, similarity_order
from kiln.errors import BadRequest
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Entity, Manifest
from kiln.records import Shape
from kiln.store.database import Database
from kiln.store.search_index import index_table
from kiln.store.sql import quote
from kiln.store.vectors import fill_vectors, vector_table

if TYPE_CHECKING:
    from numpy.typing import NDArray

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
        self._index = quote(index_table(entity.table))
        weights = ", ".join(repr(field.search) for field in self.fields)
        self._rank = f"bm25({self._index}, {weights})"
        self._snippets = ", ".join(
            f"snippet({self._index}, {i}, char(2), char(3), '…', {_SNIPPET_TOKENS})"
            for i in range(len(self.fields))
        )
        self._any_due = f"SELECT 1 FROM {quote(vector_table(entity.table))} WHERE vector IS NULL LIMIT 1"

    async def endpoint(self, request: Request, user: Any) -> Response:
        """Answer one search request; the caller has passed the entity's ``list`` guards."""
        q, mode, min_score, query = self._parse(request)
        tree = parse_with(self.manifest, self.entity, request.query_params.get("with", ""))
        where, params = query.visible_to(self.entity, user)
        db = _db(request)
        conn = db.conn
        limit = query.offset + query.per_page
        highlights: dict[int, dict[str, str]] = {}
        if mode == "keyword":
            total, ids, scores, highlights = self._keyword_page(conn, q, where, params, query)
        else:  # the best ``limit``, then this page of them
            if mode == "semantic":
                ids, scores, total = self._semantic(db, q, where, params, min_score, limit)
            else:
                keyword = self._keyword_ranking(conn, q, where, params)
                candidates, vectors, vector = self._vectors(db, q, where, params)
                semantic = similarity_order(candidates, vectors, vector, min_score)
                ids, scores, total = fuse(keyword, semantic, limit=limit)
            ids, scores = ids[query.offset :], scores[query.offset :]
            if mode == "hybrid":
                highlights = self._highlights(conn, q, where, params, ids)
        records = self._records(conn, ids)
        load_relations(conn, self.manifest, self.shapes, self.entity, records, tree)
        items = [
            {"record": record, "score": score, "highlights": highlights.get(record["id"], {})}
            for record, score in zip(records, scores, strict=True)
        ]
        record_search(request, self.entity.name, q, mode, total)
        return JSONResponse({"items": items, "page": query.page, "per_page": query.per_page, "total": total})

    def _matching(self, where: str) -> str:
        """``FROM … WHERE …`` over the index: the matches of the query that pass the filters.

        The filters run on the entity's own table, in a subquery, where its column names are not
        confused with the index's columns of the same names.
        """
        clause = f"FROM {self._index} WHERE {self._index} MATCH ?"
        if where == "1":
            return clause
        table = self.shape.table
        passes = f"SELECT 1 FROM {table} WHERE {table}.id = {self._index}.rowid AND ({where})"
        return f"{clause} AND EXISTS ({passes})"

    def _run(self, conn: sqlite3.Connection, q: str, sql: str, params: list[Any]) -> list[Any]:
        try:
            return conn.execute(sql, [fts_query(q), *params]).fetchall()
        except sqlite3.OperationalError as exc:
            if not is_query_error(exc):  # a locked database, say: not the query's fault
                raise
            raise syntax_error(q, exc) from None

    def _keyword_page(
        self, conn: sqlite3.Connection, q: str, where: str, params: list[Any], query: ListQuery
    ) -> tuple[int, list[int], list[float], dict[int, dict[str, str]]]:
        """The total, and one page of the BM25 ranking with its highlights."""
        matching = self._matching(where)
        rows = self._run(
            conn,
            q,
            f"SELECT rowid, {self._rank} AS _kiln_rank, {self._snippets} {matching} "
            "ORDER BY _kiln_rank, rowid LIMIT ? OFFSET ?",
            [*params, query.per_page, query.offset],
        )
        if 0 < len(rows) < query.per_page:  # the last page: the total is what came before and on it
            total = query.offset + len(rows)
        else:
            total = self._run(conn, q, f"SELECT count(*) {matching}", params)[0][0]
        return (
            total,
            [row[0] for row in rows],
            [-row[1] for row in rows],
            {row[0]: self._marked(row[2:]) for row in rows},
        )

    def _keyword_ranking(
        self, conn: sqlite3.Connection, q: str, where: str, params: list[Any]
    ) -> NDArray[np.int64]:
        """Every keyword match's id, best first."""
        rows = self._run(
            conn, q, f"SELECT rowid {self._matching(where)} ORDER BY {self._rank}, rowid", params
        )
        return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def _semantic(
        self, db: Database, q: str, where: str, params: list[Any], min_score: float, limit: int
    ) -> tuple[list[int], list[float], int]:
        """The best ``limit`` records by cosine with ``q`` above ``min_score``, their scores, and
        how many are above it."""
        return rank_by_similarity(*self._vectors(db, q, where, params), min_score, limit)

    def _vectors(
        self, db: Database, q: str, where: str, params: list[Any]
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32]]:
        """The ids and embeddings of the records that pass the filters, and the embedding of ``q``."""
        conn = db.conn
        if conn.execute(self._any_due).fetchone() is not None:  # written with plain SQL since
            with db.write() as writing:
                fill_vectors(writing, self.entity)
        matrix = db.vectors.matrix(conn, self.entity.table)
        ids, vectors = matrix.ids, matrix.vectors
        if where == "1" and not matrix.alive.all():  # records deleted since the matrix was read
            alive = np.flatnonzero(matrix.alive)
            ids, vectors = ids[alive], vectors[alive]
        elif where != "1":
            sql = f"SELECT id FROM {self.shape.table} WHERE {where} ORDER BY id"
            passing = np.array([row[0] for row in conn.execute(sql, params)], dtype=np.int64)
            positions = np.searchsorted(ids, passing)
            ids, vectors = ids[positions], vectors[positions]
        return ids, vectors, embed([q])[0]

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

    def _highlights(
        self, conn: sqlite3.Connection, q: str, where: str, params: list[Any], ids: list[int]
    ) -> dict[int, dict[str, str]]:
        """The highlights of those of ``ids`` that match the query by keyword."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        sql = f"SELECT rowid, {self._snippets} {self._matching(where)} AND rowid IN ({marks})"
        return {row[0]: self._marked(row[1:]) for row in self._run(conn, q, sql, [*params, *ids])}

    def _marked(self, snippets: Sequence[str | None]) -> dict[str, str]:
        """A snippet of each field that matched, escaped, the matches in ``<mark>``."""
        return {
            field.name: html.escape(text).replace(_MARK, "<mark>").replace(_END, "</mark>")
            for field, text in zip(self.fields, snippets, strict=True)
            if text and _MARK in text
        }


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
