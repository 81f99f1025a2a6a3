"""``kiln login`` and ``kiln deploy``: sign in to a ``kiln host`` and push an app folder to it."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from kiln.cli.common import compile_folder, fail
from kiln.hosting.bundles import make_bundle
from kiln.hosting.credentials import load_token, save_token

__all__ = ["add_commands"]

PASSWORD_VARIABLE = "KILN_PASSWORD"
TIMEOUT = 60.0


def add_commands(commands: Any) -> None:
    """Add ``login`` and ``deploy`` to the ``kiln`` parser's ``commands``."""
    login = commands.add_parser("login", help="sign in to a kiln host and keep its token")
    login.add_argument("email", help="your address on the host")
    login.add_argument("--host", required=True, help="the host's URL, such as http://localhost:8000")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (else a prompt)"
    )
    login.set_defaults(run=_login)

    deploy = commands.add_parser("deploy", help="bundle an app folder and deploy it to a kiln host")
    deploy.add_argument("app", type=Path, help="the app folder")
    deploy.add_argument("--host", required=True, help="the host's URL, such as http://localhost:8000")
    deploy.add_argument("--slug", help="the project's name (default: the folder's name)")
    deploy.set_defaults(run=_deploy)


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {args.email} on {args.host}: ")
    return None  # never a prompt nobody can answer


def _login(args: argparse.Namespace) -> int:
    password = _password(args)
    if not password:
        return fail(f"give the password on standard input with --password-stdin, or in {PASSWORD_VARIABLE}")
    try:
        with httpx.Client(base_url=args.host, timeout=TIMEOUT, trust_env=False) as client:
            response = client.post("/_host/auth/login", json={"email": args.email, "password": password})
    except httpx.HTTPError as exc:
        return fail(f"cannot reach {args.host}: {exc}")
    if response.status_code != 200:
        return fail(_reason(response))
    stored = save_token(args.host, args.email, response.json()["token"])
    print(f"logged in to {args.host} as {args.email}; the token is in {stored}")
    return 0


def _slug(folder: Path) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")
    return name[:63].rstrip("-") or "app"


def _deploy(args: argparse.Namespace) -> int:
    token = load_token(args.host)
    if token is None:
        return fail(f"log in first: kiln login --host {args.host} EMAIL")
    if compile_folder(args.app) is None:  # the host would refuse it: say why here, sending nothing
        return 1
    slug = args.slug or _slug(args.app)
    bundle = make_bundle(args.app)
    files = {"bundle": (f"{slug}.tar.gz", bundle, "application/gzip")}
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=args.host, timeout=TIMEOUT, trust_env=False) as client:
            response = client.post("/_host/projects", data={"slug": slug}, files=files, headers=headers)
    except httpx.HTTPError as exc:
        return fail(f"cannot reach {args.host}: {exc}")
    if response.status_code not in (200, 201):
        return fail(_reason(response))
    verb = "deployed" if response.status_code == 201 else "redeployed"
    print(f"{verb} {args.app} as {slug} ({len(bundle)} bytes): {response.json()['url']}")
    return 0


def _reason(response: httpx.Response) -> str:
    """The host's error message, with its field messages, or the status."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"the host answered {response.status_code}"
    fields = "; ".join(f"{name}: {message}" for name, message in (error.get("fields") or {}).items())
    said = f"{error.get('message')} ({response.status_code} {error.get('code')})"
    return f"{said} - {fields}" if fields else said
