"""``-k <category>`` selects exactly the tests ``-m <category>`` does, in the integration suite.

Users select a category with ``tox -e integration -- -k entity``. pytest's ``-k`` matches any part
of a test's name, so a test outside ``tests/integration/entity/`` whose name (or parameter id)
contains "entity" would be selected too: "author" contains "auth". This collects the suite once
and asks pytest's own keyword matcher what ``-k`` would select.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.mark import KeywordMatcher  # what -k uses; private, so a change here fails loudly

from harness.pytest_plugin import CATEGORIES

INTEGRATION = Path(__file__).parents[1] / "integration"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> list[pytest.Item]:
    """Every integration test, collected once with the plugin's category markers applied."""

    class Collector:
        @pytest.hookimpl(trylast=True)  # after the plugin has applied the category markers
        def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
            found.extend(items)

    found: list[pytest.Item] = []
    exit_code = pytest.main(
        [
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:faulthandler",  # see NESTED_SESSION_ARGS in tests/conftest.py
            "--rootdir",
            str(INTEGRATION.parents[1]),
            "--basetemp",
            str(tmp_path_factory.mktemp("collect")),
            str(INTEGRATION),
        ],
        plugins=[Collector()],
    )
    assert exit_code == 0
    assert len(found) > 500
    return found


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_dash_k_and_dash_m_select_the_same_tests(collected: list[pytest.Item], category: str) -> None:
    by_marker = {item.nodeid for item in collected if item.get_closest_marker(category)}
    by_keyword = {item.nodeid for item in collected if KeywordMatcher.from_item(item)(category)}
    assert by_keyword - by_marker == set(), "rename these: -k selects them but they are not in the category"
    assert by_marker == by_keyword
    in_folder = {item.nodeid for item in collected if f"/integration/{category}/" in f"/{item.nodeid}"}
    assert by_marker == in_folder


def test_every_existing_category_folder_has_tests(collected: list[pytest.Item]) -> None:
    folders = sorted(p.name for p in INTEGRATION.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert set(folders) <= set(CATEGORIES)
    for folder in folders:
        assert any(item.get_closest_marker(folder) for item in collected), folder
