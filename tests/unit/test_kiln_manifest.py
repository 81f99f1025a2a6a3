"""kiln reads app.toml and reports every problem as one line naming the file and key path."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from kiln import ManifestError, compile_app
from kiln.cli import main
from kiln.manifest import load_manifest
from kiln.manifest.model import MISSING

FIXTURES = Path(__file__).parents[1] / "fixtures"
APP = "[app]\nname = 'x'\n"

# (id, app.toml after [app], expected error lines, each a prefix of one line of the message)
BROKEN: list[tuple[str, str, list[str]]] = [
    ("no-app-table", "\x00", ["app.toml: app: is required: a table with at least `name`"]),
    ("bad-toml", "[entities\n", ["app.toml: invalid TOML: Expected ']' at the end of a table declaration"]),
    ("app-not-table", "\x00app = 'x'\n", ["app.toml: app: must be a table"]),
    ("name-missing", "\x00[app]\n", ["app.toml: app.name: is required"]),
    ("name-not-string", "\x00[app]\nname = 3\n", ["app.toml: app.name: must be a name of letters"]),
    ("app-key-typo", "nmae = 'y'\n", ['app.toml: app.nmae: unknown key "nmae" (did you mean "name"?)']),
    ("debug-not-bool", "debug = 'yes'\n", ["app.toml: app.debug: must be true or false"]),
    (
        "login-unverified-not-bool",
        "[auth]\nverify_email = true\nlogin_unverified = 1\n",
        ["app.toml: auth.login_unverified: must be true or false"],
    ),
    (
        "login-unverified-without-verification",
        "[auth]\nlogin_unverified = true\n",
        ["app.toml: auth.login_unverified: means something only with verify_email = true"],
    ),
    (
        "top-level-typo",
        "[entitys.Post.fields]\n",
        ['app.toml: entitys: unknown key "entitys" (did you mean "entities"?)'],
    ),
    (
        "entity-lowercase",
        "[entities.post.fields]\ntitle = {type = 'text'}\n",
        ["app.toml: entities.post: must be a PascalCase name"],
    ),
    (
        "entity-user-builtin",
        "[entities.User.fields]\nname = {type = 'text'}\n",
        ["app.toml: entities.User: the User entity is built in"],
    ),
    (
        "entity-key-typo",
        "[entities.Post]\nfeilds = {}\n",
        ['app.toml: entities.Post.feilds: unknown key "feilds" (did you mean "fields"?)'],
    ),
    (
        "plural-clash",
        "[entities.Post]\nplural = 'items'\n[entities.Item.fields]\n",
        ['app.toml: entities.Item.plural: "items" is already the collection of Post'],
    ),
    (
        "plural-bad",
        "[entities.Post]\nplural = 'My Posts'\n",
        ["app.toml: entities.Post.plural: must be lower-case"],
    ),
    (
        "field-no-type",
        "[entities.Post.fields]\ntitle = {required = true}\n",
        ["app.toml: entities.Post.fields.title.type: is required: one of text, int"],
    ),
    (
        "field-type-typo",
        "[entities.Post.fields]\ntitle = {type = 'txt'}\n",
        ['app.toml: entities.Post.fields.title.type: unknown type "txt" (did you mean "text"?)'],
    ),
    (
        "field-option-typo",
        "[entities.Post.fields]\ntitle = {type = 'text', max_lenght = 3}\n",
        [
            'app.toml: entities.Post.fields.title.max_lenght: unknown key "max_lenght" (did you mean "max_length"?)'
        ],
    ),
    (
        "option-wrong-type",
        "[entities.Post.fields]\nviews = {type = 'int', max_length = 3}\n",
        [
            "app.toml: entities.Post.fields.views.max_length: does not apply to int fields (they take max, min)"
        ],
    ),
    (
        "field-reserved",
        "[entities.Post.fields]\ncreated_at = {type = 'datetime'}\n",
        ['app.toml: entities.Post.fields.created_at: "created_at" is reserved'],
    ),
    (
        "field-query-name",
        "[entities.Post.fields]\npage = {type = 'int'}\n",
        ['app.toml: entities.Post.fields.page: "page" is reserved'],
    ),
    (
        "field-bad-name",
        "[entities.Post.fields]\nTitle = {type = 'text'}\n",
        ["app.toml: entities.Post.fields.Title: must be a lower-case name"],
    ),
    (
        "field-not-table",
        "[entities.Post.fields]\ntitle = 'text'\n",
        ['app.toml: entities.Post.fields.title: must be a table, such as { type = "text" }'],
    ),
    (
        "min-over-max",
        "[entities.Post.fields]\nviews = {type = 'int', min = 5, max = 1}\n",
        ["app.toml: entities.Post.fields.views.min: must not be greater than max (1)"],
    ),
    (
        "length-negative",
        "[entities.Post.fields]\ntitle = {type = 'text', min_length = -1}\n",
        ["app.toml: entities.Post.fields.title.min_length: must not be negative"],
    ),
    (
        "bad-pattern",
        "[entities.Post.fields]\nslug = {type = 'text', pattern = '[a-'}\n",
        ["app.toml: entities.Post.fields.slug.pattern: is not a valid regular expression"],
    ),
    (
        "enum-no-choices",
        "[entities.Post.fields]\nstatus = {type = 'enum'}\n",
        ["app.toml: entities.Post.fields.status.choices: is required for enum fields"],
    ),
    (
        "enum-default-not-choice",
        "[entities.Post.fields]\nstatus = {type = 'enum', choices = ['a', 'b'], default = 'c'}\n",
        ["app.toml: entities.Post.fields.status.default: must be one of a, b"],
    ),
    (
        "int-default-string",
        "[entities.Post.fields]\nviews = {type = 'int', default = 'many'}\n",
        ["app.toml: entities.Post.fields.views.default: must be an integer"],
    ),
    (
        "required-not-bool",
        "[entities.Post.fields]\ntitle = {type = 'text', required = 'yes'}\n",
        ["app.toml: entities.Post.fields.title.required: must be true or false"],
    ),
    (
        "search-negative",
        "[entities.Post.fields]\ntitle = {type = 'text', search = -1}\n",
        ["app.toml: entities.Post.fields.title.search: must be true, false or a positive weight"],
    ),
    (
        "routes-not-array",
        "\x00routes = 3\n[app]\nname = 'x'\n",
        ["app.toml: routes: must be an array of tables"],
    ),
    (
        "route-no-target",
        "[[routes]]\npath = '/'\n",
        ["app.toml: routes[0]: needs exactly one of template, handler or redirect (found none)"],
    ),
    (
        "route-two-targets",
        "[[routes]]\npath = '/'\nredirect = '/a'\nhandler = 'handlers:x'\n",
        [
            "app.toml: routes[0]: needs exactly one of template, handler or redirect (found handler and redirect)"
        ],
    ),
    ("route-no-path", "[[routes]]\nredirect = '/a'\n", ["app.toml: routes[0].path: is required"]),
    (
        "route-bad-convertor",
        "[[routes]]\npath = '/p/{id:integer}'\nredirect = '/'\n",
        ['app.toml: routes[0].path: unknown parameter type "integer" (did you mean "int"?)'],
    ),
    (
        "route-path-not-last",
        "[[routes]]\npath = '/p/{rest:path}/x'\nredirect = '/'\n",
        ['app.toml: routes[0].path: "{rest:path}" matches the rest of the path'],
    ),
    (
        "route-dup-param",
        "[[routes]]\npath = '/p/{a}/{a}'\nredirect = '/'\n",
        ['app.toml: routes[0].path: parameter "a" appears twice'],
    ),
    (
        "route-bad-method",
        "[[routes]]\npath = '/'\nmethods = ['GET', 'FETCH']\nredirect = '/x'\n",
        ['app.toml: routes[0].methods: unknown method "FETCH"'],
    ),
    (
        "route-head-listed",
        "[[routes]]\npath = '/'\nmethods = ['HEAD']\nredirect = '/x'\n",
        ["app.toml: routes[0].methods: HEAD is answered automatically"],
    ),
    (
        "route-missing-template",
        "[[routes]]\npath = '/'\ntemplate = 'nope.html'\n",
        ["app.toml: routes[0].template: templates/nope.html not found"],
    ),
    (
        "route-template-escape",
        "[[routes]]\npath = '/'\ntemplate = '../app.toml'\n",
        ['app.toml: routes[0].template: "../app.toml" is outside templates/'],
    ),
    (
        "route-handler-no-file",
        "[[routes]]\npath = '/'\nhandler = 'handlers:index'\n",
        ['app.toml: routes[0].handler: "handlers:index" needs a handlers.py'],
    ),
    (
        "route-handler-format",
        "[[routes]]\npath = '/'\nhandler = 'index'\n",
        ["app.toml: routes[0].handler: must name a function in handlers.py"],
    ),
    (
        "route-bad-status",
        "[[routes]]\npath = '/'\nredirect = '/x'\nstatus = 200\n",
        ["app.toml: routes[0].status: must be one of 301, 302, 303, 307, 308"],
    ),
    (
        "route-status-no-redirect",
        "[[routes]]\npath = '/'\ntemplate = 'x.html'\nstatus = 301\n",
        ["app.toml: routes[0].status: is only for redirects"],
    ),
    (
        "route-conflict",
        "[[routes]]\npath = '/p/{slug}'\nredirect = '/'\n[[routes]]\npath = '/p/{name}'\nredirect = '/'\n",
        ['app.toml: routes[1].path: "/p/{name}" conflicts with routes[0] ("/p/{slug}") for GET'],
    ),
    (
        "route-vs-collection",
        "[entities.Post.fields]\n[[routes]]\npath = '/api/posts/{n:int}'\nmethods = ['DELETE']\nredirect = '/'\n",
        ['app.toml: routes[0].path: "/api/posts/{n:int}" conflicts with the Post collection for DELETE'],
    ),
    (
        "route-vs-search",
        "[entities.Post.fields]\ntitle = {type = 'text', search = true}\n"
        "[[routes]]\npath = '/api/posts/search'\nredirect = '/'\n",
        ['app.toml: routes[0].path: "/api/posts/search" conflicts with the Post search for GET'],
    ),
    (
        "route-vs-search-analytics",
        "[auth]\n[entities.Post.fields]\ntitle = {type = 'text', search = true}\n"
        "[[routes]]\npath = '/api/_search/analytics'\nredirect = '/'\n",
        ['app.toml: routes[0].path: "/api/_search/analytics" conflicts with search analytics for GET'],
    ),
    (
        "route-builtin",
        "[[routes]]\npath = '/health'\nredirect = '/'\n",
        ['app.toml: routes[0].path: "/health" is served by kiln itself'],
    ),
    (
        "ref-unknown-entity",
        "[entities.Post.fields]\nauthor_id = {type = 'ref', to = 'Autor'}\n[entities.Author.fields]\n",
        ['app.toml: entities.Post.fields.author_id.to: unknown entity "Autor" (did you mean "Author"?)'],
    ),
    (
        "ref-no-to",
        "[entities.Post.fields]\nauthor_id = {type = 'ref'}\n",
        ["app.toml: entities.Post.fields.author_id.to: is required for ref fields"],
    ),
    (
        "ref-name-without-id",
        "[entities.Post.fields]\nauthor = {type = 'ref', to = 'Post'}\n",
        ['app.toml: entities.Post.fields.author: a ref field is named after its relation plus "_id"'],
    ),
    (
        "ref-bad-on-delete",
        "[entities.Post.fields]\nparent_id = {type = 'ref', to = 'Post', on_delete = 'casade'}\n",
        [
            'app.toml: entities.Post.fields.parent_id.on_delete: must be one of cascade, restrict, set_null (did you mean "cascade"?)'
        ],
    ),
    (
        "ref-set-null-required",
        "[entities.Post.fields]\nparent_id = {type = 'ref', to = 'Post', on_delete = 'set_null', required = true}\n",
        ["app.toml: entities.Post.fields.parent_id.on_delete: cannot be set_null on a required field"],
    ),
    (
        "ref-ambiguous-reverse",
        "[entities.Author.fields]\n[entities.Post.fields]\nauthor_id = {type = 'ref', to = 'Author'}\neditor_id = {type = 'ref', to = 'Author'}\n",
        [
            'app.toml: entities.Post.fields.editor_id: Author already has a relation "posts" (from entities.Post.fields.author_id); set related_name to tell them apart'
        ],
    ),
    (
        "ref-relation-shadows-field",
        "[entities.Post.fields]\nparent = {type = 'text'}\nparent_id = {type = 'ref', to = 'Post', related_name = 'children'}\n",
        [
            'app.toml: entities.Post.fields.parent_id: the relation "parent" on Post has the name of one of its fields'
        ],
    ),
    (
        "ref-bad-related-name",
        "[entities.Post.fields]\nparent_id = {type = 'ref', to = 'Post', related_name = 'Kids'}\n",
        ["app.toml: entities.Post.fields.parent_id.related_name: must be a lower-case name"],
    ),
    (
        "route-key-typo",
        "[[routes]]\npath = '/'\nredirct = '/x'\n",
        ['app.toml: routes[0].redirct: unknown key "redirct" (did you mean "redirect"?)'],
    ),
]


def _write(folder: Path, body: str) -> None:
    text = body[1:] if body.startswith("\x00") else APP + body  # \x00: no [app] prefix
    (folder / "app.toml").write_text(text)


@pytest.mark.parametrize(("body", "expected"), [row[1:] for row in BROKEN], ids=[row[0] for row in BROKEN])
def test_broken_manifest_lists_every_problem(tmp_path: Path, body: str, expected: list[str]) -> None:
    _write(tmp_path, body)
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    lines = str(info.value).splitlines()
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, lines)
    assert all(line.startswith("app.toml") for line in lines)


def test_broken_manifest_reports_all_problems_at_once(tmp_path: Path) -> None:
    _write(
        tmp_path, "colour = 1\n[entities.Post.fields]\na = {type = 'nope'}\nb = {type = 'int', min = 'x'}\n"
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        'app.toml: app.colour: unknown key "colour"',
        'app.toml: entities.Post.fields.a.type: unknown type "nope"',
        "app.toml: entities.Post.fields.b.min: must be a number",
    ]


def test_handlers_import_error_names_the_line_and_is_the_only_error(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "[[routes]]\npath = '/'\nhandler = 'handlers:index'\n"
        "[[routes]]\npath = '/admin'\nhandler = 'handlers:index'\nguards = ['handlers:is_admin']\n",
    )
    (tmp_path / "handlers.py").write_text("import os\n\nraise RuntimeError('no database')\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        "handlers.py: cannot be imported: line 3: RuntimeError: no database"
    ]  # not also "needs a handlers.py" for each reference to it


def test_handlers_syntax_error_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path, "")
    (tmp_path / "handlers.py").write_text("def f(:\n")
    with pytest.raises(ManifestError, match=r"handlers.py: cannot be imported: line 1: "):
        load_manifest(tmp_path)


def test_handler_must_exist_and_take_request_and_ctx(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "[[routes]]\npath = '/a'\nhandler = 'handlers:stat'\n[[routes]]\npath = '/b'\nhandler = 'handlers:one'\n",
    )
    (tmp_path / "handlers.py").write_text("def stats(request, ctx): ...\ndef one(request): ...\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        'app.toml: routes[0].handler: handlers.py has no function "stat" (did you mean "stats"?)',
        "app.toml: routes[1].handler: handlers.one must take two arguments: (request, ctx)",
    ]


def test_valid_manifest_builds_typed_model(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """
[entities.Post]
plural = "articles"
[entities.Post.fields]
title = { type = "text", required = true, max_length = 80, search = 2.0 }
status = { type = "enum", choices = ["draft", "published"], default = "draft" }
views = { type = "int", min = 0, default = 0 }
when = { type = "datetime", default = "2030-01-01T01:00:00+01:00" }
author_id = { type = "ref", to = "Author", on_delete = "cascade" }
[entities.Author.fields]
name = { type = "text" }
[[routes]]
path = "/old/{rest:path}"
redirect = "/new"
status = 301
""",
    )
    manifest = load_manifest(tmp_path)
    post = manifest.entities["Post"]
    assert (post.plural, post.table, post.path) == ("articles", "articles", "/api/articles")
    assert list(post.fields) == ["title", "status", "views", "when", "author_id"]
    assert post.fields["author_id"].on_delete == "cascade"
    author = post.relations["author"]
    assert (author.kind, author.target, author.field) == ("one", "Author", "author_id")
    posts = manifest.entities["Author"].relations["articles"]
    assert (posts.kind, posts.target, posts.field, posts.on_delete) == (
        "many",
        "Post",
        "author_id",
        "cascade",
    )
    assert post.fields["title"].search == 2.0
    assert post.fields["title"].default is MISSING
    assert post.fields["status"].default == "draft"
    assert post.fields["when"].default == "2030-01-01T00:00:00.000Z"
    route = manifest.routes[0]
    assert (route.redirect, route.status, route.params[0].convertor) == ("/new", 301, "path")
    assert manifest.warnings == ()


def test_missing_manifest_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=f"app.toml: not found in {tmp_path}"):
        load_manifest(tmp_path)


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


def test_kiln_check_accepts_the_path_of_app_toml(capsys: pytest.CaptureFixture[str]) -> None:
    manifest = FIXTURES / "todo-app" / "app.toml"
    assert main(["check", str(manifest)]) == 0
    assert capsys.readouterr().out == f"{manifest}: ok (todo)\n"
    assert main(["routes", str(manifest)]) == 0
    assert "/api/todos" in capsys.readouterr().out


def test_kiln_check_of_a_missing_app_toml_path_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path / "app.toml")]) == 1
    err = capsys.readouterr().err
    assert "is not a directory" not in err  # the folder exists; its app.toml is what is missing
    assert f"{tmp_path / 'app.toml'}: 1 problem(s)" in err
    assert "app.toml" in err.splitlines()[0]


def test_kiln_check_warns_about_features_not_built_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.toml").write_text(
        "[app]\nname = 'x'\n[entities.Note.fields]\nsecret = { type = 'password' }\nbody = { type = 'text' }\n"
    )
    assert main(["check", str(tmp_path)]) == 0
    assert 'warning: app.toml: entities.Note.fields.secret.type: "password" fields are not supported yet' in (
        capsys.readouterr().err
    )


def test_kiln_serve_refuses_broken_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.toml").write_text("[app]\n")
    assert main(["serve", str(tmp_path)]) == 1
    assert "app.name: is required" in capsys.readouterr().err


@pytest.mark.parametrize(("body", "expected"), [row[1:] for row in BROKEN], ids=[row[0] for row in BROKEN])
def test_broken_manifest_is_reported_by_check_and_testapp_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: list[str]
) -> None:
    from harness import StartError, TestApp

    _write(tmp_path, body)
    assert main(["check", str(tmp_path)]) == 1
    printed = capsys.readouterr().err
    with pytest.raises(StartError) as info:
        TestApp(tmp_path, data_root=tmp_path)
    for want in expected:
        assert f"error: {want}" in printed
        assert want in str(info.value)
    assert isinstance(info.value.cause, ManifestError)
    assert "Traceback" not in printed
    assert "Traceback" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.toml"]  # TestApp left no data directory


def test_handlers_calling_sys_exit_is_a_problem_not_an_exit(tmp_path: Path) -> None:
    _write(tmp_path, "")
    (tmp_path / "handlers.py").write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(ManifestError, match=r"handlers.py: cannot be imported: line 2: SystemExit: 3"):
        load_manifest(tmp_path)


def test_compile_app_notices_a_changed_handlers_file(tmp_path: Path) -> None:
    import os

    _write(tmp_path, "[[routes]]\npath = '/'\nhandler = 'handlers:page'\n")
    (tmp_path / "handlers.py").write_text("def page(request, ctx): return 1\n")
    first = compile_app(tmp_path)
    (tmp_path / "handlers.py").write_text("def page(request, ctx): return 2\n")
    stat = (tmp_path / "handlers.py").stat()
    os.utime(tmp_path / "handlers.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = compile_app(tmp_path)
    assert second is not first
    assert second.manifest.handlers.page(None, None) == 2  # type: ignore[union-attr]


def test_compile_app_is_cached_until_either_file_changes(tmp_path: Path) -> None:
    import os

    _write(tmp_path, "")
    (tmp_path / "handlers.py").write_text("")
    first = compile_app(tmp_path)
    assert compile_app(tmp_path) is first
    assert compile_app(tmp_path / "app.toml") is first
    for name in ("app.toml", "handlers.py"):
        stat = (tmp_path / name).stat()
        os.utime(tmp_path / name, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        again = compile_app(tmp_path)
        assert again is not first
        first = again


def test_template_databases_share_one_folder_per_process(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.toml").write_text(f"[app]\nname = '{name}'\n")
    one, two = compile_app(tmp_path / "one"), compile_app(tmp_path / "two")
    assert one.template_db.parent == two.template_db.parent
    assert one.template_db != two.template_db
    assert one.template_db.name.startswith("one-")


def test_ref_to_user_needs_auth(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "[entities.Post.fields]\ncreated_by_id = {type = 'ref', to = 'User', on_delete = 'set_null'}\n",
    )
    with pytest.raises(
        ManifestError, match=r"entities.Post.fields.created_by_id.to: refs to User need \[auth\] in app.toml"
    ):
        load_manifest(tmp_path)


def test_auth_adds_the_user_entity_with_its_fields_and_relations(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "[auth]\ntoken_ttl = 3600\n[auth.user_fields]\nnickname = {type = 'text', max_length = 20}\n"
        "[entities.Post.fields]\ncreated_by_id = {type = 'ref', to = 'User', on_delete = 'set_null'}\n",
    )
    manifest = load_manifest(tmp_path)
    assert manifest.auth is not None
    assert manifest.auth.token_ttl == 3600
    user = manifest.entities["User"]
    assert (user.plural, list(user.fields)) == ("users", ["email", "roles", "verified", "nickname"])
    assert [name for name, _ in user.hidden_columns] == ["password_hash", "token_version"]
    assert user.relations["posts"].target == "Post"
    assert manifest.entities["Post"].relations["created_by"].target == "User"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[auth]\ntoken_ttl = 5\n", "app.toml: auth.token_ttl: must be a whole number of seconds from 60"),
        ("[auth]\nttl = 60\n", 'app.toml: auth.ttl: unknown key "ttl"'),
        (
            "[auth.user_fields]\npassword = {type = 'text'}\n",
            'app.toml: auth.user_fields.password: "password" is reserved',
        ),
        (
            "[auth.user_fields]\nemail = {type = 'text'}\n",
            'app.toml: auth.user_fields.email: "email" is reserved',
        ),
        (
            "[entities.User.fields]\nname = {type = 'text'}\n",
            "app.toml: entities.User: the User entity is built in",
        ),
    ],
)
def test_bad_auth_settings_are_reported(tmp_path: Path, body: str, message: str) -> None:
    _write(tmp_path, body)
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert any(line.startswith(message) for line in str(info.value).splitlines()), str(info.value)


AUTH = "[auth]\n"
NOTE = "[entities.Note.fields]\ntext = {type = 'text'}\nauthor_id = {type = 'ref', to = 'User'}\n"

GUARD_PROBLEMS = [
    (
        "unknown-guard",
        AUTH + NOTE + "[entities.Note.access]\nread = 'autth'\n",
        'app.toml: entities.Note.access.read: unknown guard "autth" (did you mean "auth"?)',
    ),
    (
        "unknown-operation",
        AUTH + NOTE + "[entities.Note.access]\nview = 'auth'\n",
        'app.toml: entities.Note.access.view: unknown key "view"',
    ),
    (
        "access-not-table",
        AUTH
        + NOTE.replace("[entities.Note.fields]", "[entities.Note]\naccess = 'auth'\n[entities.Note.fields]"),
        "app.toml: entities.Note.access: must be a table of operations",
    ),
    (
        "guard-not-string",
        AUTH + NOTE + "[entities.Note.access]\nread = 3\n",
        "app.toml: entities.Note.access.read: must be a guard or a list of guards",
    ),
    (
        "owner-without-owner-field",
        AUTH + NOTE + "[entities.Note.access]\nread = 'owner'\n",
        'app.toml: entities.Note.access.read: "owner" needs a record with an owner field',
    ),
    (
        "owner-on-create",
        AUTH
        + NOTE.replace(
            "[entities.Note.fields]", "[entities.Note]\nowner = 'author_id'\n[entities.Note.fields]"
        )
        + "[entities.Note.access]\ncreate = 'owner'\n",
        'app.toml: entities.Note.access.create: "owner" needs a record with an owner field',
    ),
    (
        "owner-not-a-user-ref",
        AUTH
        + NOTE.replace("[entities.Note.fields]", "[entities.Note]\nowner = 'text'\n[entities.Note.fields]"),
        "app.toml: entities.Note.owner: must name a ref field of this entity that points to User",
    ),
    (
        "guard-needs-auth",
        "[entities.Post.fields]\n[entities.Post.access]\ncreate = 'auth'\n",
        'app.toml: entities.Post.access.create: "auth" needs users: add [auth] to app.toml',
    ),
    (
        "role-needs-auth",
        "[[routes]]\npath = '/a'\nredirect = '/'\nguards = 'role:admin'\n",
        'app.toml: routes[0].guards: "role:admin" needs users: add [auth] to app.toml',
    ),
    (
        "bad-role-name",
        AUTH + "[[routes]]\npath = '/a'\nredirect = '/'\nguards = 'role:Admin!'\n",
        'app.toml: routes[0].guards: "role:Admin!" is not a role guard',
    ),
    (
        "public-combined",
        AUTH + "[[routes]]\npath = '/a'\nredirect = '/'\nguards = ['public', 'auth']\n",
        'app.toml: routes[0].guards: "public" cannot be combined with other guards',
    ),
    (
        "owner-on-route",
        AUTH + "[[routes]]\npath = '/a'\nredirect = '/'\nguards = 'owner'\n",
        'app.toml: routes[0].guards: "owner" needs a record with an owner field',
    ),
    (
        "handler-guard-without-file",
        "[[routes]]\npath = '/a'\nredirect = '/'\nguards = 'handlers:can'\n",
        'app.toml: routes[0].guards: "handlers:can" needs a handlers.py',
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [row[1:] for row in GUARD_PROBLEMS], ids=[row[0] for row in GUARD_PROBLEMS]
)
def test_guards_are_checked_when_the_manifest_is_compiled(tmp_path: Path, body: str, expected: str) -> None:
    _write(tmp_path, body)
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert any(line.startswith(expected) for line in str(info.value).splitlines()), str(info.value)


def test_handler_guard_must_name_a_function(tmp_path: Path) -> None:
    _write(tmp_path, "[[routes]]\npath = '/a'\nredirect = '/'\nguards = 'handlers:can_enter'\n")
    (tmp_path / "handlers.py").write_text("def can_enter_now(request, ctx): return True\n")
    with pytest.raises(ManifestError, match=r'routes\[0\]\.guards: handlers\.py has no function "can_enter"'):
        load_manifest(tmp_path)


def test_an_import_error_raised_outside_handlers_py_is_described_without_a_line(tmp_path: Path) -> None:
    """When the loader itself fails, before a line of handlers.py runs, there is no line to name."""
    from kiln.handlers import _describe

    with pytest.raises(OSError) as raised:
        raise OSError("cannot read it")
    assert _describe(raised.value, tmp_path / "handlers.py") == "OSError: cannot read it"


@pytest.mark.parametrize(
    ("written", "weight"), [("true", 1.0), ("false", None), ("0.5", 0.5), ("3", 3.0)], ids=str
)
def test_search_weight_is_read_from_true_false_or_a_number(
    tmp_path: Path, written: str, weight: float | None
) -> None:
    _write(tmp_path, f"[entities.Post.fields]\ntitle = {{ type = 'text', search = {written} }}\n")
    field = load_manifest(tmp_path).entities["Post"].fields["title"]
    assert field.search == weight
    assert type(field.search) is type(weight)


@pytest.mark.parametrize("written", ["0", "-0.5", "'yes'", "[1]"])
def test_search_weight_must_be_positive(tmp_path: Path, written: str) -> None:
    _write(tmp_path, f"[entities.Post.fields]\ntitle = {{ type = 'text', search = {written} }}\n")
    with pytest.raises(ManifestError) as refused:
        load_manifest(tmp_path)
    assert [str(p) for p in refused.value.problems] == [
        "app.toml: entities.Post.fields.title.search: must be true, false or a positive weight"
    ]


@pytest.mark.regression
def test_compiling_again_after_clear_cache_builds_a_new_template(tmp_path: Path) -> None:
    """Template files were named by id(manifest), which a later manifest can reuse once the
    cache is cleared: building its template then failed on a table that already existed."""
    import gc

    from kiln.compiler import clear_cache

    _write(tmp_path, "")
    seen = set()
    for _ in range(20):
        clear_cache()
        gc.collect()
        compiled = compile_app(tmp_path)
        seen.add(compiled.template_db)
        assert compiled.prepare(tmp_path / f"data-{len(seen)}").is_file()
    assert len(seen) == 20


def _compile_and_send(folder: Path, sender: Any) -> None:
    """In a forked child: compile the app afresh and send back where its template is."""
    from kiln.compiler import clear_cache

    clear_cache()
    sender.send(str(compile_app(folder).template_db))


def test_a_forked_process_builds_its_templates_in_files_of_its_own(tmp_path: Path) -> None:
    """A forked process shares the folder of templates and the count that names them: two
    processes compiling at once (preforked servers, mutmut's runner) wrote one file."""
    from kiln.compiler import clear_cache

    _write(tmp_path, "")
    compile_app(tmp_path)  # the templates' folder exists before the fork
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_compile_and_send, args=(tmp_path, sender))
    child.start()
    assert receiver.poll(30)
    theirs = Path(receiver.recv())
    child.join(timeout=30)
    clear_cache()
    ours = compile_app(tmp_path).template_db
    assert child.exitcode == 0
    assert theirs.parent == ours.parent  # one folder
    assert theirs != ours


def test_search_paths_are_free_for_routes_when_nothing_is_searched(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "[entities.Post.fields]\ntitle = {type = 'text'}\n"
        "[[routes]]\npath = '/api/posts/search'\nredirect = '/'\n"
        "[[routes]]\npath = '/api/_search/analytics'\nredirect = '/'\n",
    )
    assert [route.path for route in load_manifest(tmp_path).routes] == [
        "/api/posts/search",
        "/api/_search/analytics",
    ]
