"""``kiln serve``, ``check``, ``routes``, ``openapi``, ``reindex`` and ``gc``: an app folder served,
checked, listed and maintained."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiln.cli.common import add_app_arguments, compile_folder, database, prepare, print_table
from kiln.cli.routes import route_rows
from kiln.clock import Clock
from kiln.files.gc import collect_garbage
from kiln.logs import LOG_FILE, serve_log_config
from kiln.openapi import openapi_document
from kiln.store.search_index import rebuild

__all__ = ["add_commands"]

#: ``kiln serve --smtp-port``'s default, where an app with ``[mail] inbound`` takes mail.
SMTP_PORT = 2525


def add_commands(commands: Any) -> None:
    """Add this module's subcommands to the ``kiln`` parser's ``commands``."""
    serve = commands.add_parser("serve", help="serve an app folder with uvicorn")
    add_app_arguments(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8000, help="port to bind, 0 for any free one (default: 8000)"
    )
    serve.add_argument(
        "--smtp-port",
        type=int,
        default=SMTP_PORT,
        help=f"port for inbound mail, with [mail] inbound; 0 for any free one (default: {SMTP_PORT})",
    )
    serve.add_argument("--debug", action="store_true", help="show tracebacks in error responses")
    serve.add_argument(
        "--mode", choices=["dev", "prod"], default="dev", help="reported by /health (default: dev)"
    )
    serve.set_defaults(run=_serve)

    check = commands.add_parser("check", help="validate an app folder and list every problem")
    add_app_arguments(check, data=False)
    check.set_defaults(run=_check)

    routes = commands.add_parser("routes", help="list every route in dispatch order")
    add_app_arguments(routes, data=False)
    routes.set_defaults(run=_routes)

    openapi = commands.add_parser("openapi", help="print the app's OpenAPI 3.1 document")
    add_app_arguments(openapi, data=False)
    openapi.set_defaults(run=_openapi)

    reindex = commands.add_parser("reindex", help="rebuild the search index from the tables")
    add_app_arguments(reindex)
    reindex.set_defaults(run=_reindex)

    gc = commands.add_parser(
        "gc", help="remove orphaned uploads, unreferenced blobs and stale temporary files"
    )
    add_app_arguments(gc)
    gc.set_defaults(run=_gc)


def _check(args: argparse.Namespace) -> int:
    compiled = compile_folder(args.app)
    if compiled is None:
        return 1
    for warning in compiled.manifest.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.app}: ok ({compiled.name})")
    return 0


def _routes(args: argparse.Namespace) -> int:
    compiled = compile_folder(args.app)
    if compiled is None:
        return 1
    print_table(("METHODS", "PATH", "TARGET"), route_rows(compiled))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    compiled = compile_folder(args.app)
    if compiled is None:
        return 1
    print(json.dumps(openapi_document(compiled.manifest), indent=2))
    return 0


def _reindex(args: argparse.Namespace) -> int:
    compiled = compile_folder(args.app)
    if compiled is None:
        return 1
    searched = compiled.manifest.searched
    if not searched:
        print(f"{args.app}: no entity has search fields; nothing to index")
        return 0
    with database(compiled, args) as opened:
        if opened is None:
            return 1
        conn, _ = opened
        for entity in searched:
            with conn:  # pragma: no mutate (one transaction per entity either way)
                count = rebuild(conn, entity)
            print(f"{entity.name}: reindexed {count} record(s)")
    return 0


def _gc(args: argparse.Namespace) -> int:
    compiled = compile_folder(args.app)
    if compiled is None:
        return 1
    if not compiled.manifest.has_files:
        print(f"{args.app}: the app serves no files; nothing to collect")
        return 0
    with database(compiled, args) as opened:
        if opened is None:
            return 1
        conn, data_dir = opened
        collected = collect_garbage(conn, compiled.manifest, data_dir, Clock().now())
    for line in collected.removed:
        print(f"removed {line}")
    print(f"{len(collected.removed)} removed, {collected.freed} bytes freed")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    compiled = compile_folder(args.app)
    if compiled is None:
        return 1
    data_dir = prepare(compiled, args)
    if data_dir is None:
        return 1
    app = compiled.build(data_dir, debug=args.debug or None, mode=args.mode, smtp=(args.host, args.smtp_port))
    print(f"kiln: serving {compiled.name} from {data_dir}", file=sys.stderr)  # stderr is line-buffered
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=serve_log_config(log_file=data_dir / LOG_FILE),
        log_level="info",
        proxy_headers=False,
    )
    return 0
