"""kiln reads app.toml and reports every problem as one line naming the file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError, compile_app
from kiln.cli import main
from kiln.manifest import load_manifest

FIXTURES = Path(__file__).parents[1] / "fixtures"

BROKEN = [
    ("", ["app.toml: app: is required: a table with at least `name`"]),
    (
        "[app\nname='x'",
        ["app.toml: invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 5)"],
    ),
    ("[app]\n", ["app.toml: app.name: is required"]),
    ("[app]\nname = 3\n", ["app.toml: app.name: must be a name of letters"]),
    ("[app]\nname = '9lives'\n", ["app.toml: app.name: must be a name of letters"]),
    ("[app]\nname = 'x'\nnmae = 'y'\n", ['app.toml: app.nmae: unknown key "nmae" (did you mean "name"?)']),
    ("[app]\nname = 'x'\ndebug = 'yes'\n", ["app.toml: app.debug: must be true or false"]),
    ("app = 'x'\n", ["app.toml: app: is required"]),
    (
        "[ap]\nname = 'x'\n[entitys]\n",
        [
            'app.toml: ap: unknown key "ap" (did you mean "app"?)',
            'app.toml: entitys: unknown key "entitys" (did you mean "entities"?)',
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN, ids=[f"broken-{i}" for i in range(len(BROKEN))])
def test_broken_manifest_lists_every_problem(tmp_path: Path, text: str, expected: list[str]) -> None:
    (tmp_path / "app.toml").write_text(text)
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    lines = str(info.value).splitlines()
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, lines)


def test_missing_manifest_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=f"app.toml: not found in {tmp_path}"):
        load_manifest(tmp_path)


def test_features_not_built_yet_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text("[app]\nname = 'x'\n[entities.Post.fields]\ntitle = {type = 'text'}\n")
    manifest = load_manifest(tmp_path)
    assert [str(w) for w in manifest.warnings] == [
        "app.toml: entities: is not supported yet and has no effect"
    ]


def test_compile_app_is_cached_until_manifest_changes(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text("[app]\nname = 'one'\n")
    first = compile_app(tmp_path)
    assert compile_app(tmp_path) is first
    (tmp_path / "app.toml").write_text("[app]\nname = 'two'\n")
    second = compile_app(tmp_path)
    assert second.name == "two"
    assert second.template_db != first.template_db


def test_prepare_copies_template_database(tmp_path: Path) -> None:
    compiled = compile_app(FIXTURES / "todo-app")
    db_path = compiled.prepare(tmp_path / "data")
    assert db_path.read_bytes()[:16] == b"SQLite format 3\x00"
    db_path.write_bytes(db_path.read_bytes())  # an existing database is left alone
    assert compiled.prepare(tmp_path / "data") == db_path


def test_kiln_check_prints_errors_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.toml").write_text("[app]\nname = 'x'\ncolour = 1\n")
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert 'error: app.toml: app.colour: unknown key "colour"' in err
    assert "1 problem(s)" in err
    assert "Traceback" not in err


def test_kiln_check_accepts_todo_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "todo-app")]) == 0
    assert "ok (todo)" in capsys.readouterr().out


def test_kiln_check_warns_about_features_not_built_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.toml").write_text("[app]\nname = 'x'\n[[routes]]\npath = '/'\n")
    assert main(["check", str(tmp_path)]) == 0
    assert "warning: app.toml: routes: is not supported yet" in capsys.readouterr().err


def test_kiln_serve_refuses_broken_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.toml").write_text("[app]\n")
    assert main(["serve", str(tmp_path)]) == 1
    assert "app.name: is required" in capsys.readouterr().err
