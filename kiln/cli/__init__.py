"""The ``kiln`` command line. Each module adds one group of subcommands to the parser:

- :mod:`kiln.cli.apps`: ``serve``, ``check``, ``routes``, ``openapi``, ``reindex`` and ``gc``;
- :mod:`kiln.cli.secrets`: ``secrets set|unset|list``;
- :mod:`kiln.cli.cron`: ``cron list|trigger|history``;
- :mod:`kiln.cli.users`: ``users create|roles|list``;
- :mod:`kiln.cli.logs`: ``logs``;
- :mod:`kiln.cli.workflows`: ``workflow list|show|start``;
- :mod:`kiln.cli.hosting`: ``host``;
- :mod:`kiln.cli.deploy`: ``login`` and ``deploy``.

A command exits 0 on success, 1 when what it ran failed, and 2 on a usage error (argparse's).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kiln.cli import apps, cron, deploy, hosting, logs, secrets, users, workflows

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
    for group in (apps, secrets, cron, users, logs, workflows, hosting, deploy):
        group.add_commands(commands)
    return parser
