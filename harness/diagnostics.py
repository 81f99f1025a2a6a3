"""The text a failing test's report shows about its app."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from harness.logs import format_record
from harness.recorder import Exchange

__all__ = ["Diagnosable", "render_diagnostics", "table_counts"]

LOG_TAIL = 40
LAST_REQUESTS = 20


class Diagnosable(Protocol):
    """What the report reads from an app: a :class:`harness.TestApp` is one."""

    name: str
    url: str
    remote: bool

    @property
    def logs(self) -> Sequence[logging.LogRecord]: ...

    @property
    def requests(self) -> Sequence[Exchange]: ...

    @property
    def db_path(self) -> Path | None: ...

    @property
    def data_dir(self) -> Path: ...


def render_diagnostics(app: Diagnosable) -> str:
    """Four parts: the log tail, the last requests, every table with its row count, the data directory."""
    parts = [f"app: {app.name} at {app.url}{' (remote)' if app.remote else ''}"]

    if app.remote:
        parts.append("log tail: not available in remote mode")
    else:
        records = app.logs[-LOG_TAIL:]
        lines = [format_record(record) for record in records] or ["(no log records)"]
        parts.append(f"log tail (last {len(records)} of {len(app.logs)}):\n" + _indent(lines))

    exchanges = app.requests[-LAST_REQUESTS:]
    lines = [str(exchange) for exchange in exchanges] or ["(no requests)"]
    parts.append(f"last requests ({len(exchanges)}):\n" + _indent(lines))

    if app.remote:
        parts.append("tables: not available in remote mode")
        parts.append("data directory: on the remote server")
    else:
        db_path = app.db_path
        if db_path is None:
            parts.append("tables: the app has no database")
        else:
            counts = table_counts(db_path)
            lines = [f"{name}: {count}" for name, count in counts.items()] or ["(no tables)"]
            parts.append(f"tables in {db_path.name}:\n" + _indent(lines))
        parts.append(f"data directory: {app.data_dir}")
    return "\n\n".join(parts)


def table_counts(db_path: Path) -> dict[str, int | str]:
    """Row count of every table, read through a separate read-only connection."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        return {"(database)": f"cannot open: {exc}"}
    try:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        names = [row[0] for row in conn.execute(query)]
        counts: dict[str, int | str] = {}
        for name in names:
            try:
                quoted = name.replace('"', '""')
                counts[name] = conn.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()[0]
            except sqlite3.Error as exc:
                counts[name] = f"unreadable: {exc}"
        return counts
    except sqlite3.Error as exc:
        return {"(database)": f"unreadable: {exc}"}
    finally:
        conn.close()


def _indent(lines: list[str]) -> str:
    return "\n".join("  " + line.replace("\n", "\n  ") for line in lines)
