"""``kiln users create|roles|list``: an app's users from the command line, its first admin included.

A password comes from standard input (``--password-stdin``) or ``KILN_PASSWORD``, never from an
argument, so it stays out of the shell's history and the process list.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kiln.auth.accounts import add_user, list_users, set_roles
from kiln.auth.passwords import Passwords
from kiln.cli.common import add_app_arguments, compile_folder, database, fail, print_json, print_table
from kiln.clock import Clock
from kiln.errors import KilnError
from kiln.manifest.auth import USER
from kiln.manifest.model import Entity

__all__ = ["PASSWORD_VARIABLE", "add_commands"]

#: The environment variable ``kiln users create`` reads the password from.
PASSWORD_VARIABLE = "KILN_PASSWORD"


def add_commands(commands: Any) -> None:
    """Add ``users`` and its subcommands to the ``kiln`` parser's ``commands``."""
    group = commands.add_parser("users", help="create users, set their roles and list them")
    actions = group.add_subparsers(required=True, metavar="ACTION")

    create = actions.add_parser(
        "create", help=f"create a verified user (password: stdin or {PASSWORD_VARIABLE})"
    )
    add_app_arguments(create, as_json=True)
    create.add_argument("email", help="the user's email address")
    create.add_argument(
        "--role", action="append", default=[], dest="roles", help="a role to give (repeat for several)"
    )
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(run=_create)

    roles = actions.add_parser("roles", help="give a user exactly these roles (none: no roles)")
    add_app_arguments(roles, as_json=True)
    roles.add_argument("email", help="the user's email address")
    roles.add_argument("roles", nargs="*", metavar="ROLE", help="the roles the user has from now on")
    roles.set_defaults(run=_roles)

    listing = actions.add_parser("list", help="every user with their roles")
    add_app_arguments(listing, as_json=True)
    listing.set_defaults(run=_list)


@contextmanager
def _users(args: argparse.Namespace) -> Iterator[tuple[Any, Entity] | None]:
    """An open connection to the app's database and its User entity; ``None`` after saying why not."""
    compiled = compile_folder(args.app)
    if compiled is None:
        yield None
        return
    if compiled.manifest.auth is None:
        fail(f"{compiled.name} has no [auth]: it has no users")
        yield None
        return
    with database(compiled, args) as opened:
        yield None if opened is None else (opened[0], compiled.manifest.entities[USER])


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return os.environ.get(PASSWORD_VARIABLE)


def _create(args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return fail(f"give the password on standard input with --password-stdin, or in {PASSWORD_VARIABLE}")
    with _users(args) as opened:
        if opened is None:
            return 1
        conn, user = opened
        try:
            created = add_user(
                conn,
                user,
                email=args.email,
                password=password,
                roles=args.roles,
                now=Clock().now(),
                passwords=Passwords(),
            )
        except KilnError as exc:
            return fail(_explain(exc))
    _show(args, [created], single=True)
    return 0


def _roles(args: argparse.Namespace) -> int:
    with _users(args) as opened:
        if opened is None:
            return 1
        conn, user = opened
        try:
            changed = set_roles(conn, user, email=args.email, roles=args.roles, now=Clock().now())
        except KilnError as exc:
            return fail(_explain(exc))
    _show(args, [changed], single=True)
    return 0


def _list(args: argparse.Namespace) -> int:
    with _users(args) as opened:
        if opened is None:
            return 1
        conn, user = opened
        users = list_users(conn, user)
    _show(args, users, single=False)
    return 0


def _show(args: argparse.Namespace, users: list[dict[str, Any]], *, single: bool) -> None:
    if args.json:
        print_json(users[0] if single else {"items": users})
        return
    rows = [
        (u["id"], u["email"], " ".join(u["roles"]) or "-", "yes" if u["verified"] else "no") for u in users
    ]
    print_table(("ID", "EMAIL", "ROLES", "VERIFIED"), rows)


def _explain(error: KilnError) -> str:
    details = "; ".join(f"{name} {problem}" for name, problem in (error.fields or {}).items())
    return f"{error.message}: {details}" if details else error.message
