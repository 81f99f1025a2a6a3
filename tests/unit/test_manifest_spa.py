"""``[app] spa`` names a file under ``static/`` that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError
from kiln.manifest import load_manifest


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'index.html'", "app.toml: app.spa: static/index.html does not exist"),
        ("'../app.toml'", 'app.toml: app.spa: must be a file under static/, such as "index.html"'),
        ("'/etc/passwd'", 'app.toml: app.spa: must be a file under static/, such as "index.html"'),
        ("'a\\\\b.html'", 'app.toml: app.spa: must be a file under static/, such as "index.html"'),
        ("true", 'app.toml: app.spa: must be a file under static/, such as "index.html"'),
        ("''", 'app.toml: app.spa: must be a file under static/, such as "index.html"'),
    ],
    ids=["missing", "up", "absolute", "backslash", "not-text", "empty"],
)
def test_a_bad_spa_is_reported(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / "app.toml").write_text(f"[app]\nname = 'x'\nspa = {value}\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert str(info.value).splitlines() == [message]


def test_a_spa_under_static_is_read(tmp_path: Path) -> None:
    (tmp_path / "static" / "app").mkdir(parents=True)
    (tmp_path / "static" / "app" / "shell.html").write_text("<!doctype html>")
    (tmp_path / "app.toml").write_text("[app]\nname = 'x'\nspa = 'app/shell.html'\n")
    assert load_manifest(tmp_path).spa == "app/shell.html"
