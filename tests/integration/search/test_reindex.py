"""``kiln reindex APP``: an index that disagrees with its table is rebuilt from the tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp
from kiln.cli import main

BLOG = Path(__file__).parents[2] / "fixtures" / "blog-app"


@pytest.mark.local_only("empties the index with SQL and runs kiln reindex on the data directory")
def test_reindex_rebuilds_an_index_that_lost_its_entries(
    blog_app: TestApp,
    post: Callable[..., dict[str, Any]],
    found: Callable[..., list[int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = post("sourdough loaf"), post("rye loaf")
    blog_app.db.execute("INSERT INTO _kiln_search_posts (_kiln_search_posts) VALUES ('delete-all')")
    assert found("loaf") == []  # the index disagrees with the table
    assert main(["reindex", str(BLOG), "--data", str(blog_app.data_dir)]) == 0
    assert capsys.readouterr().out == "Post: reindexed 2 record(s)\nComment: reindexed 0 record(s)\n"
    assert found("loaf") == [first["id"], second["id"]]
    assert found("sourdough") == [first["id"]]


def test_reindex_of_an_app_without_search_fields_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    todo = Path(__file__).parents[2] / "fixtures" / "todo-app"
    assert main(["reindex", str(todo), "--data", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{todo}: no entity has search fields; nothing to index\n"
    assert list(tmp_path.iterdir()) == []  # nothing was made


def test_reindex_of_a_broken_app_is_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.toml").write_text("[app]\n")
    assert main(["reindex", str(tmp_path), "--data", str(tmp_path / "data")]) == 1
    assert "app.toml: app.name: is required" in capsys.readouterr().err
