"""The docs name everything users can touch: a new command, key or attribute must be documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

import harness
from harness import TestApp
from kiln.cli import _parser
from kiln.fieldtypes import NOT_BUILT_YET, TYPES
from kiln.manifest import auth, entities, loader, routes, runtime

ROOT = Path(__file__).parents[2]
HARNESS_DOC = (ROOT / "docs" / "harness.md").read_text()
KILN_DOC = (ROOT / "docs" / "kiln.md").read_text()


def _subcommands(parser: argparse.ArgumentParser | None = None, prefix: str = "") -> list[str]:
    """Every command, groups spelled out: ``serve``, ``cron list``, ``cron trigger``, ..."""
    actions = [a for a in (parser or _parser())._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        return [prefix.strip()]
    return sorted(
        name for choice, sub in actions[0].choices.items() for name in _subcommands(sub, f"{prefix}{choice} ")
    )


@pytest.mark.parametrize("command", _subcommands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert re.search(rf"`kiln {command} (APP|ROOT|EMAIL)\b", KILN_DOC), command


MANIFEST_KEYS = (
    loader._TOP
    | loader._APP_KEYS
    | loader._APP_LATER
    | entities._ENTITY_KEYS
    | entities._ENTITY_LATER
    | entities._COMMON_OPTIONS
    | routes._KEYS
    | routes._LATER
    | auth._KEYS
    | auth._LATER
    | runtime._CRON_KEYS
    | runtime._MAIL_KEYS
    | {option for kind in TYPES.values() for option in kind.options}
    | {option for options in NOT_BUILT_YET.values() for option in options}
)


@pytest.mark.parametrize("key", sorted(MANIFEST_KEYS))
def test_every_manifest_key_is_documented(key: str) -> None:
    assert f"`{key}`" in KILN_DOC or f"{key} =" in KILN_DOC, key


@pytest.mark.parametrize("type_name", sorted([*TYPES, *NOT_BUILT_YET]))
def test_every_field_type_is_documented(type_name: str) -> None:
    assert f"| `{type_name}` |" in KILN_DOC, type_name


@pytest.mark.parametrize("name", sorted(n for n in dir(TestApp) if not n.startswith("_")))
def test_every_testapp_attribute_is_documented(name: str) -> None:
    assert f"`{name}" in HARNESS_DOC or f", `{name}`" in HARNESS_DOC or f"`{name}(" in HARNESS_DOC, name


@pytest.mark.parametrize("name", sorted(set(harness.__all__) - {"TestApp"}))
def test_every_public_harness_name_is_documented(name: str) -> None:
    assert name in HARNESS_DOC, name


@pytest.mark.parametrize("option", ["--base-url", "--keep-data", "kiln_fixtures", "test_app", "local_only"])
def test_every_plugin_option_and_fixture_is_documented(option: str) -> None:
    assert f"`{option}" in HARNESS_DOC


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- readme-test-command -->\n```sh\n(.+)\n```", readme)
    assert found is not None
    assert "pytest -n auto --cov" in found.group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme-test-command" in ci
    # the README's command runs last, so the run ends on pytest's summary of the whole suite
    assert ci.rindex('eval "$test_command"') > ci.rindex("python .ci/remote") > ci.rindex(".ci/schemathesis")


LATER_KEYS = loader._APP_LATER | entities._ENTITY_LATER | routes._LATER | auth._LATER
NOT_BUILT_OPTIONS = {option for options in NOT_BUILT_YET.values() for option in options}
BUILT_KEYS = MANIFEST_KEYS - LATER_KEYS - NOT_BUILT_OPTIONS


def _lines_naming(key: str) -> list[str]:
    return [line for line in KILN_DOC.splitlines() if f"`{key}`" in line]


@pytest.mark.parametrize("key", sorted(BUILT_KEYS))
def test_built_manifest_keys_are_not_documented_as_unbuilt(key: str) -> None:
    for line in _lines_naming(key):
        assert "not built" not in line, line
        assert "with a warning" not in line, line


@pytest.mark.parametrize("key", sorted(LATER_KEYS))
def test_unbuilt_manifest_keys_are_documented_as_warning(key: str) -> None:
    assert any("warn" in line or "not built" in line for line in _lines_naming(key)), key
