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


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "'https://a.example'",
            'app.toml: app.cors_origins: must be a list of origins, such as ["https://example.com"]',
        ),
        (
            "['a.example']",
            'app.toml: app.cors_origins: "a.example" is not an origin: scheme and host, such as "https://example.com"',
        ),
        (
            "['https://a.example/path']",
            'app.toml: app.cors_origins: "https://a.example/path" is not an origin',
        ),
        ("[3]", "app.toml: app.cors_origins: must be a list of origins"),
    ],
    ids=["not-a-list", "no-scheme", "a-path", "not-text"],
)
def test_bad_cors_origins_are_reported(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / "app.toml").write_text(f"[app]\nname = 'x'\ncors_origins = {value}\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert str(info.value).startswith(message)


def test_cors_origins_are_read(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(
        "[app]\nname = 'x'\ncors_origins = ['https://a.example', 'http://localhost:3000']\n"
    )
    assert load_manifest(tmp_path).cors_origins == ("https://a.example", "http://localhost:3000")
