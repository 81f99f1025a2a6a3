"""Validate guards: ``public``, ``auth``, ``verified``, ``role:<name>``, ``owner``, ``handlers:<fn>``.

Guards are checked when the manifest is compiled: an unknown name is an error with a suggestion,
``owner`` only applies where there is a record (and an owner field), and ``handlers:<fn>`` must
name a function in ``handlers.py``.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from kiln.handlers import UNIMPORTABLE
from kiln.manifest.report import Report, did_you_mean

__all__ = ["OPERATIONS", "apply_access", "read_guards"]

OPERATIONS = ("list", "read", "create", "update", "delete")
_SIMPLE = ("public", "auth", "verified", "owner")
_ROLE = re.compile(r"^role:([a-z][a-z0-9_-]{0,63})$")
_HANDLER = re.compile(r"^handlers:([A-Za-z_][A-Za-z0-9_]*)$")


def read_guards(
    value: Any, at: str, report: Report, *, handlers: ModuleType | None, owner_allowed: bool, has_auth: bool
) -> tuple[str, ...]:
    """The guards in ``value`` (a string or a list of strings), or ``()`` after reporting problems."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        report.error(at, 'must be a guard or a list of guards, such as "auth" or ["auth", "role:admin"]')
        return ()
    before = len(report.errors)
    for name in names:
        if name in ("auth", "verified", "owner") or _ROLE.match(name):
            if not has_auth:
                report.error(at, f'"{name}" needs users: add [auth] to app.toml')
            if name == "owner" and not owner_allowed:
                report.error(
                    at, '"owner" needs a record with an owner field: set owner = "<field>" on the entity'
                )
        elif name.startswith("role:"):
            report.error(at, f'"{name}" is not a role guard: use role:<name> with a lower-case name')
        elif name.startswith("handlers:"):
            _check_handler(name, at, report, handlers)
        elif name != "public":
            report.error(
                at, f'unknown guard "{name}"' + did_you_mean(name, [*_SIMPLE, "role:admin", "handlers:"])
            )
    if "public" in names and len(names) > 1:
        report.error(at, '"public" cannot be combined with other guards')
    return tuple(names) if len(report.errors) == before else ()


def _check_handler(name: str, at: str, report: Report, handlers: ModuleType | None) -> None:
    found = _HANDLER.match(name)
    if found is None:
        report.error(at, f'"{name}" must name a function: handlers:<function>')
    elif handlers is None:
        report.error(at, f'"{name}" needs a handlers.py next to app.toml')
    elif handlers is UNIMPORTABLE:
        return
    elif not callable(getattr(handlers, found.group(1), None)):
        report.error(at, f'handlers.py has no function "{found.group(1)}"')


def apply_access(
    entities: dict[str, Any], raw: Any, report: Report, *, handlers: ModuleType | None, has_auth: bool
) -> dict[str, Any]:
    """Entities with ``owner`` and ``access`` from their tables in ``raw``, checked."""
    from dataclasses import replace

    if not isinstance(raw, dict):
        return entities
    result = dict(entities)
    for name, entity in entities.items():
        table = raw.get(name)
        if not isinstance(table, dict):
            continue
        at = f"entities.{name}"
        owner = table.get("owner")
        if owner is not None:
            field = entity.fields.get(owner) if isinstance(owner, str) else None
            if field is None or field.type != "ref" or field.to != "User":
                report.error(f"{at}.owner", "must name a ref field of this entity that points to User")
                owner = None
        access: dict[str, tuple[str, ...]] = {}
        table_access = table.get("access", {})
        if not isinstance(table_access, dict):
            report.error(f"{at}.access", 'must be a table of operations, such as { create = "auth" }')
            table_access = {}
        report.check_keys(table_access, f"{at}.access", OPERATIONS)
        for operation in OPERATIONS:
            if operation in table_access:
                guards = read_guards(
                    table_access[operation],
                    f"{at}.access.{operation}",
                    report,
                    handlers=handlers,
                    owner_allowed=owner is not None and operation != "create",
                    has_auth=has_auth,
                )
                if guards:
                    access[operation] = guards
        result[name] = replace(entity, owner=owner, access=access)
    return result
