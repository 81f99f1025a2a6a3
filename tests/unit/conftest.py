"""Shared helpers for the harness's unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sample_apps


@pytest.fixture
def events() -> Iterator[list[str]]:
    """The sample apps' event list, emptied before and after the test."""
    sample_apps.events.clear()
    yield sample_apps.events
    sample_apps.events.clear()


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A folder to create data directories in, so a test can see what is left behind."""
    root = tmp_path / "data"
    root.mkdir()
    return root
