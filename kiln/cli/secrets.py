"""``kiln secrets set|unset|list``: the secrets stored in an app's data directory (mode 0600).

``list`` shows names, never values, and says which ones ``KILN_SECRET_<NAME>`` overrides.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from kiln.cli.common import add_app_arguments, compile_folder, data_dir, fail, print_json, print_table
from kiln.secrets import ENV_PREFIX, check_name, read_stored, set_secret, unset_secret

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add ``secrets`` and its subcommands to the ``kiln`` parser's ``commands``."""
    group = commands.add_parser("secrets", help="set, unset and list the app's secrets")
    actions = group.add_subparsers(required=True, metavar="ACTION")

    setting = actions.add_parser("set", help="store a secret (a VALUE of '-' is read from standard input)")
    add_app_arguments(setting)
    setting.add_argument("name", help="the secret's name: letters, digits and '_'")
    setting.add_argument("value", help="its value, or '-' to read it from standard input")
    setting.set_defaults(run=_set)

    unsetting = actions.add_parser("unset", help="forget a stored secret")
    add_app_arguments(unsetting)
    unsetting.add_argument("name", help="the secret's name")
    unsetting.set_defaults(run=_unset)

    listing = actions.add_parser("list", help="list the secrets' names (never their values)")
    add_app_arguments(listing, as_json=True)
    listing.set_defaults(run=_list)


def _set(args: argparse.Namespace) -> int:
    if compile_folder(args.app) is None:  # a typo in APP must not make a data directory somewhere
        return 1
    problem = check_name(args.name)
    if problem:
        return fail(f"{args.name!r}: {problem}")
    value = sys.stdin.read().rstrip("\r\n") if args.value == "-" else args.value
    if not value:
        return fail(f"{args.name}: a secret needs a value")
    set_secret(data_dir(args), args.name, value)
    print(f"{args.name}: set")
    return 0


def _unset(args: argparse.Namespace) -> int:
    if not unset_secret(data_dir(args), args.name):
        return fail(f"{args.name}: no such secret is stored")
    print(f"{args.name}: unset")
    return 0


def _list(args: argparse.Namespace) -> int:
    stored = read_stored(data_dir(args))
    environment = {
        key.removeprefix(ENV_PREFIX) for key in os.environ if key.startswith(ENV_PREFIX) and key != ENV_PREFIX
    }
    items = [
        {"name": name, "stored": name in stored, "environment": name in environment}
        for name in sorted(set(stored) | environment)
    ]
    if args.json:
        print_json({"items": items})
        return 0
    print_table(("NAME", "SOURCE"), [(item["name"], _source(item)) for item in items])
    return 0


def _source(item: dict[str, Any]) -> str:
    if item["environment"]:
        return "environment, over the stored value" if item["stored"] else "environment"
    return "stored"
