"""``kiln check`` follows a routed template's ``extends``, ``include`` and ``import`` by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError
from kiln.manifest import load_manifest

ROUTE = "[app]\nname = 'x'\n[[routes]]\npath = '/'\ntemplate = 'page.html'\n"


def _problems(tmp_path: Path, templates: dict[str, str]) -> list[str]:
    (tmp_path / "app.toml").write_text(ROUTE)
    (tmp_path / "templates").mkdir()
    for name, text in templates.items():
        (tmp_path / "templates" / name).write_text(text)
    try:
        load_manifest(tmp_path)
    except ManifestError as exc:
        return str(exc).splitlines()
    return []


@pytest.mark.parametrize(
    ("templates", "problems"),
    [
        (
            {"page.html": '{% extends "base.html" %}'},
            ["templates/page.html: refers to a template that does not exist: base.html"],
        ),
        (
            {"page.html": '{% include "part.html" %}'},
            ["templates/page.html: refers to a template that does not exist: part.html"],
        ),
        (
            {"page.html": '{% import "macros.html" as m %}'},
            ["templates/page.html: refers to a template that does not exist: macros.html"],
        ),
        (
            {"page.html": '{% extends "base.html" %}', "base.html": '{% include "deep.html" %}'},
            ["templates/page.html: refers to a template that does not exist: deep.html"],
        ),
        (
            {"page.html": '{% include "part.html" %}', "part.html": "{% if %}"},
            ["templates/page.html: part.html: line 1: Expected an expression, got 'end of statement block'"],
        ),
        (
            {"page.html": "{% for %}"},
            ["templates/page.html: line 1: Expected an expression, got 'end of statement block'"],
        ),
        (
            {"page.html": '{% extends "base.html" %}', "base.html": '{% include "page.html" %}'},
            [],
        ),  # a cycle ends
        ({"page.html": "{% include name %}"}, []),  # a computed name is checked when it renders
    ],
    ids=["extends", "include", "import", "deeper", "syntax-below", "syntax", "cycle", "computed"],
)
def test_missing_and_broken_templates_are_reported(
    tmp_path: Path, templates: dict[str, str], problems: list[str]
) -> None:
    assert _problems(tmp_path, templates) == problems
