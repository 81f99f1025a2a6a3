"""The docs name everything users can touch: a new command, key or attribute must be documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

import harness
from harness import TestApp
from kiln import manifest
from kiln.cli import _parser

ROOT = Path(__file__).parents[2]
HARNESS_DOC = (ROOT / "docs" / "harness.md").read_text()
KILN_DOC = (ROOT / "docs" / "kiln.md").read_text()


def _subcommands() -> list[str]:
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"kiln {command} APP" in KILN_DOC


@pytest.mark.parametrize("key", sorted(manifest._APP_KEYS | manifest._BUILT | manifest._NOT_BUILT_YET))
def test_every_manifest_key_is_documented(key: str) -> None:
    assert re.search(rf"(^|\W){key}\b", KILN_DOC), key


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
    assert "coverage run -m pytest -n auto" in found.group(1)
    assert "readme-test-command" in (ROOT / ".ci" / "run").read_text()
