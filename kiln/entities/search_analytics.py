"""Search analytics: every search request is logged, and ``GET /api/_search/analytics`` sums them up.

Each answered search (any entity, mode or page) adds a row to ``_kiln_search_log``: when (on
kiln's clock), the entity, ``q`` normalised (lower case, trimmed, whitespace collapsed), the mode,
how many results it had in all, and its latency in milliseconds, from the request's arrival to
its answer. The endpoint, for ``role:admin``, answers for the rows since ``since`` (default: 7
days before now)::

    {"since": "...Z", "searches": 42,
     "top_queries": [{"q": "bread", "entity": "Note", "count": 9}],
     "zero_result_queries": [{"q": "baguette", "entity": "Note", "count": 2}],
     "latency_ms": {"p50": 0.8, "p95": 2.1, "p99": 3.0}}

Lists are ordered by count, highest first, then by ``q`` (then entity), and hold at most 20
entries. Percentiles are nearest-rank: the p-th is the smallest latency with at least p% of the
searches at or below it; they are ``null`` when there were no searches.
"""

from __future__ import annotations

import math
import sqlite3
import time
from datetime import timedelta
from types import ModuleType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiln.auth.guards import enforce
from kiln.clock import Clock
from kiln.errors import BadRequest, Invalid
from kiln.fieldtypes import TYPES, format_datetime
from kiln.http.requestid import arrived
from kiln.http.responses import JSONResponse
from kiln.manifest.model import Field
from kiln.store.database import Database

__all__ = ["MAX_ENTRIES", "PATH", "analytics_route", "normalise", "record_search"]

PATH = "/api/_search/analytics"
#: The most entries ``top_queries`` and ``zero_result_queries`` hold.
MAX_ENTRIES = 20
_WINDOW = timedelta(days=7)
_SINCE = Field("since", "datetime")
_PERCENTILES = (50, 95, 99)


def normalise(q: str) -> str:
    """``q`` as analytics counts it: lower case, trimmed, runs of whitespace made one space."""
    return " ".join(q.lower().split())


def record_search(request: Request, entity: str, q: str, mode: str, results: int) -> None:
    """Log one answered search; its latency runs from the request's arrival until now."""
    state = request.app.state.kiln
    latency_ms = (time.perf_counter() - arrived(request.scope)) * 1000
    db: Database = state.db
    db.conn.execute(
        "INSERT INTO _kiln_search_log (at, entity, q, mode, results, latency_ms) VALUES (?, ?, ?, ?, ?, ?)",
        [format_datetime(state.clock.now()), entity, normalise(q), mode, results, latency_ms],
    )


def analytics_route(handlers: ModuleType | None) -> Route:
    """``GET /api/_search/analytics``, for ``role:admin``."""

    async def analytics(request: Request) -> Response:
        await enforce(request, ("auth", "role:admin"), handlers)
        state = request.app.state.kiln
        since = _since(request, state.clock)
        return JSONResponse(summary(state.db.conn, since))

    return Route(PATH, analytics, methods=["GET"], name="search-analytics")


def summary(conn: sqlite3.Connection, since: str) -> dict[str, Any]:
    """The analytics of the searches logged at or after ``since`` (a UTC datetime string)."""
    searches: int = conn.execute("SELECT count(*) FROM _kiln_search_log WHERE at >= ?", [since]).fetchone()[0]
    latencies = [
        row[0]
        for row in conn.execute(
            "SELECT latency_ms FROM _kiln_search_log WHERE at >= ? ORDER BY latency_ms", [since]
        )
    ]
    return {
        "since": since,
        "searches": searches,
        "top_queries": _counted(conn, since, ""),
        "zero_result_queries": _counted(conn, since, "AND results = 0"),
        "latency_ms": {f"p{p}": _nearest_rank(latencies, p) for p in _PERCENTILES},
    }


def _counted(conn: sqlite3.Connection, since: str, condition: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT q, entity, count(*) AS n FROM _kiln_search_log WHERE at >= ? {condition} "
        "GROUP BY q, entity ORDER BY n DESC, q, entity LIMIT ?",
        [since, MAX_ENTRIES],
    )
    return [{"q": q, "entity": entity, "count": count} for q, entity, count in rows]


def _nearest_rank(ordered: list[float], percent: int) -> float | None:
    if not ordered:
        return None
    return round(ordered[math.ceil(percent / 100 * len(ordered)) - 1], 3)


def _since(request: Request, clock: Clock) -> str:
    raw = request.query_params.get("since")
    if raw is None:
        return format_datetime(clock.now() - _WINDOW)
    try:
        value: str = TYPES["datetime"].coerce(raw, _SINCE)
    except Invalid as exc:
        raise BadRequest(f"since {exc}: {raw!r}") from None
    return value
