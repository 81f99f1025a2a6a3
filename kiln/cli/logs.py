"""``kiln logs``: read the JSON lines ``kiln serve`` wrote, filtered, and ``--follow`` new ones."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiln.cli.common import add_app_arguments, data_dir, fail
from kiln.logs import LEVELS, LOG_FILE, LogFilter, log_files, parse_line, parse_since, read_log, read_log_file

__all__ = ["add_commands"]

#: How often ``--follow`` looks for new lines, in seconds.
FOLLOW_INTERVAL = 0.2


def add_commands(commands: Any) -> None:
    """Add ``logs`` to the ``kiln`` parser's ``commands``."""
    logs = commands.add_parser("logs", help="show the app's log, filtered; --follow for new lines")
    add_app_arguments(logs, as_json=True)
    logs.add_argument("--since", help="from this long ago (30s, 5m, 1h, 2d) or this ISO datetime")
    logs.add_argument("--level", choices=LEVELS, help="this level and above")
    logs.add_argument("--request-id", help="only the lines of this request")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines as they come")
    logs.set_defaults(run=_logs)


def _logs(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since, datetime.now(UTC)) if args.since else None
    except ValueError as exc:
        return fail(str(exc))
    keep = LogFilter(since=since, level=args.level, request_id=args.request_id)
    log_file = data_dir(args) / LOG_FILE
    if not log_file.exists() and not args.follow:
        print(f"kiln: no log at {log_file} yet: `kiln serve` writes it", file=sys.stderr)
        return 0
    if not args.follow:
        lines = list(read_log(log_file, keep))
        if args.json:
            print(json.dumps(lines, indent=2, ensure_ascii=False))
        for line in [] if args.json else lines:
            _print(line, as_json=False)
        return 0
    # the rotated files, then the live one read from its start on, so no line falls between
    for path in log_files(log_file):
        if path != log_file:
            for line in read_log_file(path, keep):
                _print(line, as_json=args.json)
    try:
        for line in _follow(log_file):
            if keep(line):
                _print(line, as_json=args.json)
    except KeyboardInterrupt:
        return 0
    return 0


def _print(line: dict[str, Any], *, as_json: bool) -> None:
    if as_json:  # with --follow, one JSON object per line
        print(json.dumps(line, ensure_ascii=False), flush=True)
        return
    level = str(line.get("level", "")).upper()
    request_id = line.get("request_id") or "-"
    print(
        f"{line.get('time')} {level:<7} {line.get('logger')} [{request_id}] {line.get('message')}", flush=True
    )


def _follow(log_file: Path) -> Iterator[dict[str, Any]]:
    """The lines of ``log_file`` from its start, then each one written to it, across rotations,
    until interrupted."""
    handle = None
    position = 0
    identity = None
    pending = ""
    while True:
        if handle is None and log_file.exists():
            handle = log_file.open(encoding="utf-8", errors="replace")
            handle.seek(position)
            identity = log_file.stat().st_ino
        if handle is not None:
            chunk = handle.read()
            pending += chunk
            *complete, pending = pending.split("\n")
            for raw in complete:
                line = parse_line(raw)
                if line is not None:
                    yield line
            if not chunk and _rotated(log_file, identity):
                handle.close()
                handle, position, pending = None, 0, ""
                continue
        time.sleep(FOLLOW_INTERVAL)


def _rotated(log_file: Path, identity: int | None) -> bool:
    """Whether ``log_file`` is now another file than the one open (the handler rotated it)."""
    try:
        return log_file.stat().st_ino != identity
    except FileNotFoundError:
        return True
