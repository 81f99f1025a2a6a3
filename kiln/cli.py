"""The ``kiln`` command: ``serve``, ``check``, ``routes``, ``openapi``, ``reindex`` and ``gc``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from kiln.clock import Clock
from kiln.compiler import CompiledApp, app_folder, compile_app
from kiln.errors import KilnError, ManifestError
from kiln.files.gc import collect_garbage
from kiln.logs import serve_log_config
from kiln.manifest.auth import USER
from kiln.manifest.routes import dispatch_key
from kiln.openapi import openapi_document
from kiln.store import DB_NAME, connect
from kiln.store.search_index import rebuild

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kiln`` command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # `kiln openapi APP | head`: the reader left, which is no error of ours
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiln", description="A declarative app server on embedded SQLite.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve an app folder with uvicorn")
    serve.add_argument("app", type=Path, help="the app folder, or its app.toml")
    serve.add_argument("--data", type=Path, help="data directory (default: APP/.kiln/data)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8000, help="port to bind, 0 for any free one (default: 8000)"
    )
    serve.add_argument("--debug", action="store_true", help="show tracebacks in error responses")
    serve.add_argument(
        "--mode", choices=["dev", "prod"], default="dev", help="reported by /health (default: dev)"
    )
    serve.set_defaults(run=_serve)

    check = commands.add_parser("check", help="validate an app folder and list every problem")
    check.add_argument("app", help="the app folder, or its app.toml")
    check.set_defaults(run=_check)

    routes = commands.add_parser("routes", help="list every route in dispatch order")
    routes.add_argument("app", help="the app folder, or its app.toml")
    routes.set_defaults(run=_routes)

    openapi = commands.add_parser("openapi", help="print the app's OpenAPI 3.1 document")
    openapi.add_argument("app", help="the app folder, or its app.toml")
    openapi.set_defaults(run=_openapi)

    reindex = commands.add_parser("reindex", help="rebuild the search index from the tables")
    reindex.add_argument("app", type=Path, help="the app folder, or its app.toml")
    reindex.add_argument("--data", type=Path, help="data directory (default: APP/.kiln/data)")
    reindex.set_defaults(run=_reindex)

    gc = commands.add_parser(
        "gc", help="remove orphaned uploads, unreferenced blobs and stale temporary files"
    )
    gc.add_argument("app", type=Path, help="the app folder, or its app.toml")
    gc.add_argument("--data", type=Path, help="data directory (default: APP/.kiln/data)")
    gc.set_defaults(run=_gc)
    return parser


def _compile(folder: str | Path) -> CompiledApp | None:
    try:
        return compile_app(folder)
    except ManifestError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{folder}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    compiled = _compile(args.app)
    if compiled is None:
        return 1
    for warning in compiled.manifest.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.app}: ok ({compiled.name})")
    return 0


def _routes(args: argparse.Namespace) -> int:
    compiled = _compile(args.app)
    if compiled is None:
        return 1
    header = ("METHODS", "PATH", "TARGET")
    rows = [("GET", "/health", "built in: health"), ("GET", "/openapi.json", "built in: OpenAPI document")]
    for entity in compiled.manifest.entities.values():
        if entity.name == USER:  # users are served by /auth, not a collection
            continue
        rows.append(("GET POST", entity.path, f"{entity.name} collection"))
        rows.append(("GET PATCH PUT DELETE", entity.path + "/{id:int}", f"{entity.name} record"))
        if entity.search_fields:
            rows.append(("GET", entity.path + "/search", f"{entity.name} search"))
    manifest = compiled.manifest
    if manifest.has_files:
        rows.append(("POST" + (" GET" if manifest.auth else ""), "/api/_files", "files: upload, list"))
        if manifest.auth:
            rows.append(("DELETE", "/api/_files/{id:int}", "files: delete"))
        if manifest.files.presign:
            rows.append(("POST", "/api/_files/presign", "files: presign"))
            rows.append(("GET PUT", "/files/presigned/{name:path}", "files: presigned"))
        rows.append(("GET", "/files/{id:int}/{name:path}", "files: download"))
    if manifest.realtime is not None:
        rows.append(("WS", "/ws", "realtime: rooms and record events"))
    for route in sorted(compiled.manifest.routes, key=dispatch_key):
        rows.append((" ".join(route.methods), route.path, route.target))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in (0, 1)]  # the last is not padded
    for methods, path, target in [header, *rows]:
        print(f"{methods:<{widths[0]}}  {path:<{widths[1]}}  {target}")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    compiled = _compile(args.app)
    if compiled is None:
        return 1
    print(json.dumps(openapi_document(compiled.manifest), indent=2))
    return 0


def _reindex(args: argparse.Namespace) -> int:
    compiled = _compile(args.app)
    if compiled is None:
        return 1
    searched = compiled.manifest.searched
    if not searched:
        print(f"{args.app}: no entity has search fields; nothing to index")
        return 0
    with _database(compiled, args) as opened:
        if opened is None:
            return 1
        conn, _ = opened
        for entity in searched:
            with conn:  # pragma: no mutate (one transaction per entity either way)
                count = rebuild(conn, entity)
            print(f"{entity.name}: reindexed {count} record(s)")
    return 0


def _gc(args: argparse.Namespace) -> int:
    compiled = _compile(args.app)
    if compiled is None:
        return 1
    if not compiled.manifest.has_files:
        print(f"{args.app}: the app serves no files; nothing to collect")
        return 0
    with _database(compiled, args) as opened:
        if opened is None:
            return 1
        conn, data_dir = opened
        collected = collect_garbage(conn, compiled.manifest, data_dir, Clock().now())
    for line in collected.removed:
        print(f"removed {line}")
    print(f"{len(collected.removed)} removed, {collected.freed} bytes freed")
    return 0


@contextlib.contextmanager
def _database(
    compiled: CompiledApp, args: argparse.Namespace
) -> Iterator[tuple[sqlite3.Connection, Path] | None]:
    """A connection to the app's database and its data directory, made or migrated; ``None``
    after printing why it cannot be."""
    data_dir = _prepare(compiled, args)
    if data_dir is None:
        yield None
        return
    conn = connect(data_dir / DB_NAME)
    try:
        yield conn, data_dir
    finally:
        conn.close()


def _prepare(compiled: CompiledApp, args: argparse.Namespace) -> Path | None:
    """The data directory (``--data``, or the app folder's ``.kiln/data``), its database made or
    migrated; ``None`` after printing why it cannot be."""
    data_dir: Path = args.data if args.data is not None else app_folder(args.app) / ".kiln" / "data"
    try:
        compiled.prepare(data_dir)
    except KilnError as exc:
        print(f"error: {data_dir}: {exc}", file=sys.stderr)
        return None
    return data_dir


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    compiled = _compile(args.app)
    if compiled is None:
        return 1
    data_dir = _prepare(compiled, args)
    if data_dir is None:
        return 1
    app = compiled.build(data_dir, debug=args.debug or None, mode=args.mode)
    print(f"kiln: serving {compiled.name} from {data_dir}", file=sys.stderr)  # stderr is line-buffered
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=serve_log_config(),
        log_level="info",
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
