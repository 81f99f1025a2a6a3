"""``kiln host ROOT``: many projects served from one process (see :mod:`kiln.hosting`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from kiln.logs import serve_log_config

__all__ = ["add_commands"]

#: Where the host's own log goes, under ROOT.
HOST_LOG = Path("host") / "logs" / "host.jsonl"


def add_commands(commands: Any) -> None:
    """Add ``host`` to the ``kiln`` parser's ``commands``."""
    host = commands.add_parser("host", help="serve many projects from one process, deployed with kiln deploy")
    host.add_argument("root", type=Path, help="the folder of the host's users, projects and their data")
    host.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    host.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    host.add_argument(
        "--domain", default="localhost", help="projects are served at <slug>.DOMAIN (default: localhost)"
    )
    host.add_argument("--mode", choices=["dev", "prod"], default="dev", help="dev or prod (default: dev)")
    host.add_argument(
        "--smtp-port",
        type=int,
        help="take mail for the projects on this port (0: any free one; default: none)",
    )
    host.add_argument("--outbound", help="where the host's mail goes, such as smtp://127.0.0.1:2525")
    host.add_argument(
        "--admin-token", help="the administrator's token (default: the KILN_HOST_ADMIN_TOKEN variable)"
    )
    host.set_defaults(run=_host)


def _host(args: argparse.Namespace) -> int:
    import uvicorn

    from kiln.hosting import Host

    root: Path = args.root
    root.mkdir(parents=True, exist_ok=True)
    admin_token = args.admin_token or os.environ.get("KILN_HOST_ADMIN_TOKEN") or None
    smtp = (args.host, args.smtp_port) if args.smtp_port is not None else None
    app = Host(
        root, domain=args.domain, mode=args.mode, admin_token=admin_token, outbound=args.outbound, smtp=smtp
    )
    print(
        f"kiln: hosting {root} at http://{args.domain}:{args.port}/_host/ ({args.mode} mode)", file=sys.stderr
    )
    log_file = root / HOST_LOG
    log_file.parent.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=serve_log_config(log_file=log_file),
        log_level="info",
        proxy_headers=False,
    )
    return 0
