"""Each TestApp has a fresh data directory: removed on success, kept (and printed) on failure."""

from __future__ import annotations

from pathlib import Path

import pytest
import sample_apps

from harness import NoDatabase, TestApp


def test_data_dir_is_fresh_and_removed_on_success(data_root: Path) -> None:
    with TestApp(sample_apps.counter_factory, data_root=data_root) as app:
        assert app.data_dir.parent == data_root
        assert sorted(p.name for p in app.data_dir.iterdir()) == ["app.db"]
        path = app.data_dir
    assert not path.exists()


def test_data_dir_is_kept_and_printed_when_block_raises(
    data_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = TestApp(sample_apps.counter_factory, data_root=data_root)
    app.post("/hit")
    with pytest.raises(ZeroDivisionError), app:
        raise ZeroDivisionError
    assert (app.data_dir / "app.db").exists()
    assert f"kept data directory of counter_factory: {app.data_dir}" in capsys.readouterr().err


def test_keep_data_keeps_directory_after_success(data_root: Path) -> None:
    with TestApp(sample_apps.app, data_root=data_root, keep_data=True) as app:
        pass
    assert app.data_dir.is_dir()


def test_close_keep_data_overrides_constructor(data_root: Path) -> None:
    app = TestApp(sample_apps.app, data_root=data_root, keep_data=True)
    app.close(keep_data=False)
    assert not app.data_dir.exists()


def test_db_path_names_a_custom_database(data_root: Path) -> None:
    def factory(data_dir: Path) -> object:
        import sqlite3

        sqlite3.connect(data_dir / "custom.db").execute("CREATE TABLE t (x)").connection.close()
        return sample_apps.app

    with TestApp(factory, data_root=data_root, db_path="custom.db") as app:
        assert app.db.table_names() == ["t"]


def test_db_without_database_raises_clear_error() -> None:
    with TestApp(sample_apps.app) as app, pytest.raises(NoDatabase, match="has no database"):
        app.db  # noqa: B018
