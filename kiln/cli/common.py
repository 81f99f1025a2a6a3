"""What every ``kiln`` command that works on an app shares: the app and ``--data`` arguments,
compiling the folder, preparing its data directory, and printing tables and JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kiln.compiler import CompiledApp, app_folder, compile_app
from kiln.errors import KilnError, ManifestError
from kiln.store import DB_NAME, connect

__all__ = [
    "add_app_arguments",
    "compile_folder",
    "data_dir",
    "database",
    "fail",
    "prepare",
    "print_json",
    "print_table",
]


def add_app_arguments(parser: argparse.ArgumentParser, *, data: bool = True, as_json: bool = False) -> None:
    """The APP argument, and ``--data`` and ``--json`` when the command takes them."""
    parser.add_argument("app", type=Path, help="the app folder, or its app.toml")
    if data:
        parser.add_argument("--data", type=Path, help="data directory (default: APP/.kiln/data)")
    if as_json:
        parser.add_argument("--json", action="store_true", help="print the data as one JSON document")


def compile_folder(folder: str | Path) -> CompiledApp | None:
    """The compiled app, or ``None`` after printing each problem of its manifest."""
    try:
        return compile_app(folder)
    except ManifestError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{folder}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return None


def data_dir(args: argparse.Namespace) -> Path:
    """``--data``, or the app folder's ``.kiln/data``."""
    given: Path | None = args.data
    return given if given is not None else app_folder(args.app) / ".kiln" / "data"


def prepare(compiled: CompiledApp, args: argparse.Namespace) -> Path | None:
    """The data directory, its database made or migrated; ``None`` after printing why it cannot be."""
    directory = data_dir(args)
    try:
        compiled.prepare(directory)
    except KilnError as exc:
        print(f"error: {directory}: {exc}", file=sys.stderr)
        return None
    return directory


@contextlib.contextmanager
def database(
    compiled: CompiledApp, args: argparse.Namespace
) -> Iterator[tuple[sqlite3.Connection, Path] | None]:
    """A connection to the app's database and its data directory, made or migrated; ``None``
    after printing why it cannot be."""
    directory = prepare(compiled, args)
    if directory is None:
        yield None
        return
    conn = connect(directory / DB_NAME)
    try:
        yield conn, directory
    finally:
        conn.close()


def fail(message: str) -> int:
    """Print ``error: message`` on stderr; returns exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def print_json(data: Any) -> None:
    """``data`` as one indented JSON document on stdout."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """An aligned plain-text table; ``None`` prints as ``-`` and the last column is not padded."""
    cells = [[str(c) for c in header], *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    for row in cells:
        padded = [f"{cell:<{widths[i]}}" for i, cell in enumerate(row[:-1])]
        print("  ".join([*padded, row[-1]]))
