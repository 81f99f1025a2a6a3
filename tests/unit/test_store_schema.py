"""The store builds tables from the manifest and migrates without ever losing data silently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiln import compile_app
from kiln.store import SchemaError, connect, migrate

BASE = """
[app]
name = "shop"
[entities.Item.fields]
title = { type = "text", required = true }
price = { type = "float" }
"""


def _app(folder: Path, toml: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "app.toml").write_text(toml)
    return folder


def _columns(db: Path, table: str) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


def test_schema_has_system_fields_declared_columns_and_indexes(tmp_path: Path) -> None:
    manifest = BASE + "sku = { type = 'text', unique = true }\n"
    db = compile_app(_app(tmp_path / "app", manifest)).prepare(tmp_path / "data")
    assert _columns(db, "items") == {
        "id": "INTEGER",
        "created_at": "TEXT",
        "updated_at": "TEXT",
        "title": "TEXT",
        "price": "REAL",
        "sku": "TEXT",
    }
    conn = connect(db)
    indexes = {row[1]: row[2] for row in conn.execute("PRAGMA index_list(items)")}
    assert indexes["ux_items_sku"] == 1  # unique
    assert indexes["ix_items_created_at"] == 0
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()


def test_existing_database_gains_new_entity_and_field(tmp_path: Path) -> None:
    folder = _app(tmp_path / "app", BASE)
    db = compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    conn.execute("INSERT INTO items (created_at, updated_at, title) VALUES ('t', 't', 'kept')")
    conn.close()
    _app(folder, BASE + "stock = { type = 'int' }\n[entities.Shelf.fields]\nlabel = { type = 'text' }\n")
    compile_app(folder).prepare(tmp_path / "data")
    assert "stock" in _columns(db, "items")
    assert "label" in _columns(db, "shelfs")
    conn = connect(db)
    assert conn.execute("SELECT title, stock FROM items").fetchall() == [("kept", None)]
    conn.close()


@pytest.mark.parametrize(
    ("new_manifest", "message"),
    [
        (
            '[app]\nname = "shop"\n[entities.Item.fields]\ntitle = { type = "text" }\n',
            "field Item.price was removed, but it holds values",
        ),
        (
            BASE.replace('"float"', '"text"'),
            "field Item.price changed type from float to text, but it holds values",
        ),
        ('[app]\nname = "shop"\n', "entity Item was removed, but its table items has records"),
        (
            BASE.replace(
                "[entities.Item.fields]", "[entities.Item]\nplural = 'goods'\n[entities.Item.fields]"
            ),
            "entity Item changed its collection from items to goods",
        ),
    ],
    ids=["field-removed", "field-retyped", "entity-removed", "plural-changed"],
)
def test_lossy_change_is_refused_and_nothing_changes(tmp_path: Path, new_manifest: str, message: str) -> None:
    folder = _app(tmp_path / "app", BASE)
    db = compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    conn.execute("INSERT INTO items (created_at, updated_at, title, price) VALUES ('t', 't', 'x', 2.5)")
    conn.close()
    before = db.read_bytes()
    _app(folder, new_manifest)
    with pytest.raises(SchemaError, match=message):
        compile_app(folder).prepare(tmp_path / "data")
    assert _columns(db, "items")["price"] == "REAL"
    conn = connect(db)
    assert conn.execute("SELECT title, price FROM items").fetchall() == [("x", 2.5)]
    conn.close()
    assert len(db.read_bytes()) == len(before)


def test_removing_empty_field_or_entity_is_allowed(tmp_path: Path) -> None:
    folder = _app(tmp_path / "app", BASE + "[entities.Shelf.fields]\nlabel = { type = 'text' }\n")
    db = compile_app(folder).prepare(tmp_path / "data")
    _app(folder, '[app]\nname = "shop"\n[entities.Item.fields]\ntitle = { type = "text" }\n')
    compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "shelfs" not in tables
    assert "items" in tables


def test_making_a_field_unique_over_duplicates_is_refused(tmp_path: Path) -> None:
    folder = _app(tmp_path / "app", BASE)
    db = compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    conn.executemany(
        "INSERT INTO items (created_at, updated_at, title) VALUES ('t', 't', ?)", [("same",), ("same",)]
    )
    conn.close()
    _app(
        folder,
        BASE.replace(
            'title = { type = "text", required = true }', 'title = { type = "text", unique = true }'
        ),
    )
    with pytest.raises(SchemaError, match="a field made unique holds duplicates"):
        compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2
    conn.close()


def test_prepare_refuses_a_file_that_is_not_a_kiln_database(tmp_path: Path) -> None:
    folder = _app(tmp_path / "app", BASE)
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "kiln.db").execute("CREATE TABLE other (x)").connection.close()
    with pytest.raises(SchemaError, match="not a kiln database"):
        compile_app(folder).prepare(tmp_path / "data")


SHOP_WITH_SHELF = (
    BASE
    + """
[entities.Shelf.fields]
label = { type = "text" }
"""
)


def test_migration_adds_a_reference_with_its_foreign_key(tmp_path: Path) -> None:
    folder = _app(tmp_path / "app", SHOP_WITH_SHELF)
    db = compile_app(folder).prepare(tmp_path / "data")
    _app(
        folder,
        SHOP_WITH_SHELF.replace(
            'price = { type = "float" }',
            'price = { type = "float" }\nshelf_id = { type = "ref", to = "Shelf", on_delete = "set_null" }',
        ),
    )
    compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    assert [(row[3], row[2], row[6]) for row in conn.execute("PRAGMA foreign_key_list(items)")] == [
        ("shelf_id", "shelfs", "SET NULL")
    ]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO items (created_at, updated_at, title, shelf_id) VALUES ('t', 't', 'x', 5)")
    assert "ix_items_shelf_id" in {row[1] for row in conn.execute("PRAGMA index_list(items)")}
    conn.close()


STOCK = """
[app]
name = "stock"
[entities.Shelf.fields]
label = { type = "text" }
[entities.Rack.fields]
label = { type = "text" }
[entities.Item.fields]
title = { type = "text", unique = true }
shelf_id = { type = "ref", to = "Shelf", on_delete = "set_null" }
[entities.Tag.fields]
item_id = { type = "ref", to = "Item", on_delete = "cascade" }
"""


def _stocked(tmp_path: Path) -> tuple[Path, Path]:
    """STOCK with shelves 1 and 2, items 1-3 (item 3 deleted, so the next id is 4) and a tag on each."""
    folder = _app(tmp_path / "app", STOCK)
    db = compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    conn.executescript(
        "INSERT INTO shelfs (created_at, updated_at, label) VALUES ('t', 't', 'a'), ('t', 't', 'b');"
        "INSERT INTO items (created_at, updated_at, title, shelf_id)"
        " VALUES ('t', 't', 'one', 1), ('t', 't', 'two', 2), ('t', 't', 'three', NULL);"
        "INSERT INTO tags (created_at, updated_at, item_id) VALUES ('t', 't', 1), ('t', 't', 2);"
        "DELETE FROM items WHERE id = 3;"
    )
    conn.close()
    return folder, db


def test_changing_on_delete_rebuilds_the_table_and_keeps_every_row(tmp_path: Path) -> None:
    folder, db = _stocked(tmp_path)
    _app(folder, STOCK.replace('to = "Shelf", on_delete = "set_null"', 'to = "Shelf", on_delete = "cascade"'))
    compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    assert [(row[3], row[2], row[6]) for row in conn.execute("PRAGMA foreign_key_list(items)")] == [
        ("shelf_id", "shelfs", "CASCADE")
    ]
    assert conn.execute("SELECT id, title, shelf_id FROM items ORDER BY id").fetchall() == [
        (1, "one", 1),
        (2, "two", 2),
    ]
    assert conn.execute("SELECT item_id FROM tags ORDER BY id").fetchall() == [(1,), (2,)]  # no cascade fired
    assert {row[1] for row in conn.execute("PRAGMA index_list(items)")} == {
        "ix_items_created_at",
        "ix_items_shelf_id",
        "ux_items_title",
    }
    conn.execute("INSERT INTO items (created_at, updated_at, title) VALUES ('t', 't', 'four')")
    assert conn.execute("SELECT id FROM items WHERE title = 'four'").fetchone() == (4,)  # ids never reused
    conn.execute("DELETE FROM shelfs WHERE id = 1")  # the new rule: the item and its tag go with it
    assert conn.execute("SELECT title FROM items ORDER BY id").fetchall() == [("two",), ("four",)]
    assert conn.execute("SELECT item_id FROM tags").fetchall() == [(2,)]
    assert migrate(conn, compile_app(folder).manifest) == []  # migrating again changes nothing
    conn.close()


def test_changing_a_reference_to_another_entity_keeps_ids_that_exist_there(tmp_path: Path) -> None:
    folder, db = _stocked(tmp_path)
    conn = connect(db)
    conn.execute(
        "INSERT INTO racks (created_at, updated_at, label) VALUES ('t', 't', 'r1'), ('t', 't', 'r2')"
    )
    conn.close()
    _app(folder, STOCK.replace('to = "Shelf", on_delete = "set_null"', 'to = "Rack", on_delete = "set_null"'))
    compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    assert [(row[3], row[2], row[6]) for row in conn.execute("PRAGMA foreign_key_list(items)")] == [
        ("shelf_id", "racks", "SET NULL")
    ]
    assert conn.execute("SELECT id, shelf_id FROM items ORDER BY id").fetchall() == [(1, 1), (2, 2)]
    conn.close()


def test_changing_a_reference_whose_values_are_not_ids_of_the_new_target_is_refused(tmp_path: Path) -> None:
    folder, db = _stocked(tmp_path)
    conn = connect(db)
    conn.execute("INSERT INTO racks (created_at, updated_at, label) VALUES ('t', 't', 'only rack 1')")
    conn.close()
    _app(folder, STOCK.replace('to = "Shelf", on_delete = "set_null"', 'to = "Rack", on_delete = "set_null"'))
    with pytest.raises(
        SchemaError,
        match=r"field Item\.shelf_id now refers to Rack, but 1 of its values are not ids of a Rack",
    ):
        compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    assert [(row[3], row[2], row[6]) for row in conn.execute("PRAGMA foreign_key_list(items)")] == [
        ("shelf_id", "shelfs", "SET NULL")
    ]
    assert conn.execute("SELECT id, shelf_id FROM items ORDER BY id").fetchall() == [(1, 1), (2, 2)]
    conn.close()


def test_a_reference_to_a_new_entity_is_refused_while_it_holds_values(tmp_path: Path) -> None:
    folder, _ = _stocked(tmp_path)
    with_bin = STOCK + '[entities.Bin.fields]\nlabel = { type = "text" }\n'
    _app(
        folder, with_bin.replace('to = "Shelf", on_delete = "set_null"', 'to = "Bin", on_delete = "set_null"')
    )
    with pytest.raises(SchemaError, match=r"now refers to Bin, but 2 of its values are not ids of a Bin"):
        compile_app(folder).prepare(tmp_path / "data")


def _migrate(tmp_path: Path, before: str, after: str, rows: str = "") -> tuple[Path, list[str]]:
    """Build ``before``, run ``rows`` (SQL) in it, then migrate to ``after``; the database and changes."""
    db = compile_app(_app(tmp_path / "before", before)).prepare(tmp_path / "data")
    conn = connect(db)
    try:
        conn.executescript(rows)
        return db, migrate(conn, compile_app(_app(tmp_path / "after", after)).manifest)
    finally:
        conn.close()


def test_migrate_says_what_it_changed(tmp_path: Path) -> None:
    before = BASE + "[entities.Old.fields]\nnote = { type = 'text' }\n"
    after = (
        BASE.replace('price = { type = "float" }', 'price = { type = "int" }')
        + "stock = { type = 'int' }\n"
        + "shelf_id = { type = 'ref', to = 'Shelf', on_delete = 'set_null' }\n"
        + "[entities.Shelf.fields]\nlabel = { type = 'text' }\n"
    )
    db, changes = _migrate(tmp_path, before, after)
    assert changes == [
        "dropped empty entity Old",
        "retyped empty field Item.price to int",  # the manifest's order of fields
        "added field Item.stock",
        "added field Item.shelf_id",
        "added entity Shelf",
    ]
    conn = connect(db)
    assert {row[1] for row in conn.execute("PRAGMA index_list(items)")} >= {"ix_items_shelf_id"}
    assert "ix_items_stock" not in {row[1] for row in conn.execute("PRAGMA index_list(items)")}
    conn.close()


def test_migrate_says_which_references_it_rebuilt(tmp_path: Path) -> None:
    after = STOCK.replace('on_delete = "set_null"', 'on_delete = "cascade"')
    _, changes = _migrate(tmp_path, STOCK, after)
    assert changes == ["changed the reference of Item.shelf_id"]


def test_a_field_of_nulls_in_a_table_with_rows_may_be_removed(tmp_path: Path) -> None:
    without_price = (
        '[app]\nname = "shop"\n[entities.Item.fields]\ntitle = { type = "text", required = true }\n'
    )
    rows = "INSERT INTO items (created_at, updated_at, title) VALUES ('t', 't', 'no price');"
    db, changes = _migrate(tmp_path, BASE, without_price, rows)
    assert changes == []  # the column stays in SQLite, unread, until a rebuild
    conn = connect(db)
    assert conn.execute("SELECT title FROM items").fetchall() == [("no price",)]
    conn.close()


def test_a_field_of_nulls_may_change_its_type(tmp_path: Path) -> None:
    rows = "INSERT INTO items (created_at, updated_at, title) VALUES ('t', 't', 'no price');"
    _, changes = _migrate(tmp_path, BASE, BASE.replace('"float"', '"text"'), rows)
    assert changes == ["retyped empty field Item.price to text"]


def test_a_refused_collection_change_does_not_hide_the_next_refusal(tmp_path: Path) -> None:
    before = BASE + "[entities.Alpha.fields]\nnote = { type = 'text' }\n"
    after = (
        '[app]\nname = "shop"\n[entities.Item.fields]\ntitle = { type = "text", required = true }\n'
        "[entities.Alpha]\nplural = 'alphabet'\n[entities.Alpha.fields]\nnote = { type = 'text' }\n"
    )
    rows = "INSERT INTO items (created_at, updated_at, title, price) VALUES ('t', 't', 'x', 2.5);"
    with pytest.raises(SchemaError) as refused:
        _migrate(tmp_path, before, after, rows)
    assert str(refused.value).splitlines()[1:3] == [
        "  entity Alpha changed its collection from alphas to alphabet",
        "  field Item.price was removed, but it holds values",
    ]


def test_every_refusal_is_listed_in_one_message(tmp_path: Path) -> None:
    before = BASE + "[entities.Alpha.fields]\nnote = { type = 'text' }\n"
    rows = (
        "INSERT INTO alphas (created_at, updated_at, note) VALUES ('t', 't', 'a');"
        "INSERT INTO items (created_at, updated_at, title, price) VALUES ('t', 't', 'x', 2.5);"
    )
    after = '[app]\nname = "shop"\n[entities.Item.fields]\ntitle = { type = "text", required = true }\n'
    with pytest.raises(SchemaError) as refused:
        _migrate(tmp_path, before, after, rows)
    assert str(refused.value) == (
        "the database cannot follow app.toml without losing data:\n"
        "  entity Alpha was removed, but its table alphas has records\n"
        "  field Item.price was removed, but it holds values\n"
        "move or delete that data first, or serve the app with a new data directory"
    )


def test_a_database_that_lost_its_record_of_entities_is_refused(tmp_path: Path) -> None:
    """It was taken for an empty one, and migrating then failed on creating tables that exist."""
    folder = _app(tmp_path / "app", BASE)
    db = compile_app(folder).prepare(tmp_path / "data")
    conn = connect(db)
    conn.execute("DELETE FROM _kiln_meta WHERE key = 'entities'")
    conn.close()
    with pytest.raises(
        SchemaError, match=r"^not a kiln database: it has no record of the entities it was built for$"
    ):
        compile_app(folder).prepare(tmp_path / "data")
