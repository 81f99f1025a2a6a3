"""Fixtures of the workflow category: runtime-app (which defines the smoke workflow and a charge
workflow) with its clock at 2026-01-01T00:00:00Z, and an admin."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, UserClient


@pytest.fixture
def flows(test_app: Any) -> TestApp:
    """runtime-app; locally its clock is frozen at 2026-01-01T00:00:00Z."""
    app: TestApp = test_app("runtime-app")
    if not app.remote:
        app.clock.set("2026-01-01T00:00:00Z")
    return app


@pytest.fixture
def admin(flows: TestApp) -> UserClient:
    """An admin of ``flows`` (local only: the role is granted directly)."""
    return flows.as_user("admin@example.com", roles=["admin"])
