"""A route's ``data`` bindings are checked against the entities when the manifest is compiled."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError
from kiln.manifest import load_manifest
from kiln.manifest.model import Binding

APP = """
[app]
name = "x"
[auth]
[entities.Author.fields]
name = { type = "text" }
[entities.Post.fields]
title = { type = "text" }
views = { type = "int" }
status = { type = "enum", choices = ["draft", "published"] }
meta = { type = "json" }
author_id = { type = "ref", to = "Author", on_delete = "cascade" }
[[routes]]
path = "/"
template = "index.html"
"""


def _load(tmp_path: Path, data: str) -> object:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "index.html").write_text("ok")
    (tmp_path / "app.toml").write_text(APP + data)
    return load_manifest(tmp_path)


def test_a_binding_is_read(tmp_path: Path) -> None:
    manifest = _load(
        tmp_path,
        'data.posts = { entity = "Post", sort = "-created_at,title", limit = 5, with = ["author"], '
        'where = { status = "published", views__gte = 10, status__in = ["draft", "published"], title__isnull = false } }\n',
    )
    assert manifest.routes[0].data == (  # type: ignore[attr-defined]
        Binding(
            "posts",
            "Post",
            "-created_at,title",
            5,
            ("author",),
            (
                ("status", "published"),
                ("views__gte", "10"),
                ("status__in", "draft,published"),
                ("title__isnull", "false"),
            ),
        ),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            'data.p = { entity = "Psot" }',
            'routes[0].data.p.entity: unknown entity "Psot" (did you mean "Post"?)',
        ),
        ('data.p = { entity = "User" }', 'routes[0].data.p.entity: unknown entity "User"'),
        (
            "data.p = { limit = 3 }",
            'routes[0].data.p.entity: is required: the entity to list, such as "Post"',
        ),
        (
            'data.p = { entity = "Post", sort = "-tilte" }',
            'routes[0].data.p.sort: unknown field "tilte" of Post (did you mean "title"?)',
        ),
        (
            'data.p = { entity = "Post", sort = "meta" }',
            "routes[0].data.p.sort: Post.meta is a json field, which lists cannot sort by",
        ),
        (
            'data.p = { entity = "Post", with = ["auther"] }',
            'routes[0].data.p.with: unknown relation "auther" of Post (did you mean "author"?)',
        ),
        (
            'data.p = { entity = "Post", with = ["author.nope"] }',
            'routes[0].data.p.with: unknown relation "nope" of Author',
        ),
        (
            'data.p = { entity = "Post", where = { colour = "red" } }',
            'routes[0].data.p.where.colour: unknown field "colour" of Post',
        ),
        (
            'data.p = { entity = "Post", where = { views__near = 3 } }',
            'routes[0].data.p.where.views__near: "near" does not apply to int fields',
        ),
        (
            'data.p = { entity = "Post", where = { views = "many" } }',
            "routes[0].data.p.where.views: must be an integer",
        ),
        (
            'data.p = { entity = "Post", where = { views__in = [1, "x"] } }',
            "routes[0].data.p.where.views__in: must be an integer",
        ),
        (
            'data.p = { entity = "Post", where = { views__isnull = "maybe" } }',
            "routes[0].data.p.where.views__isnull: must be true or false",
        ),
        (
            'data.p = { entity = "Post", limit = 0 }',
            "routes[0].data.p.limit: must be a whole number from 1 to 100",
        ),
        (
            'data.p = { entity = "Post", limit = 101 }',
            "routes[0].data.p.limit: must be a whole number from 1 to 100",
        ),
        (
            'data.p = { entity = "Post", with = "author" , wehre = {} }',
            'routes[0].data.p.wehre: unknown key "wehre" (did you mean "where"?)',
        ),
        ('data.user = { entity = "Post" }', 'routes[0].data.user: "user" is what every page already gets'),
        ('data.p = { entity = "Post", where = 3 }', "routes[0].data.p.where: must be a table of filters"),
        ('data.p = { entity = "Post", with = [3] }', "routes[0].data.p.with: must be relations to load"),
        ('data.p = { entity = "Post", sort = 3 }', "routes[0].data.p.sort: must be fields to sort by"),
        ("data.p = 3", "routes[0].data.p: must be a table"),
    ],
    ids=[
        "entity-typo",
        "users",
        "no-entity",
        "sort-typo",
        "sort-json",
        "with-typo",
        "with-nested",
        "where-field",
        "where-operator",
        "where-value",
        "where-in-value",
        "where-isnull",
        "limit-zero",
        "limit-over",
        "key-typo",
        "reserved-name",
        "where-not-a-table",
        "with-not-text",
        "sort-not-text",
        "not-a-table",
    ],
)
def test_bad_bindings_are_reported(tmp_path: Path, data: str, message: str) -> None:
    with pytest.raises(ManifestError) as info:
        _load(tmp_path, data + "\n")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"app.toml: {message}") for line in lines), lines


def test_data_is_only_for_template_routes(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(
        "[app]\nname = 'x'\n[entities.Post.fields]\ntitle = {type = 'text'}\n"
        "[[routes]]\npath = '/'\nredirect = '/x'\ndata.p = { entity = 'Post' }\n"
    )
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)
    assert str(info.value).splitlines() == ["app.toml: routes[0].data: is only for template routes"]
