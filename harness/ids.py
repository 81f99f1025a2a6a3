"""Unique names for what a test creates, so parallel and repeated runs never collide.

In remote mode many runs may share one server and its database; ``unique_id("alice")`` gives
``alice-3f9c1a2b-gw1-7``: the prefix, this run's id, the xdist worker and a counter.
"""

from __future__ import annotations

import itertools
import os
import uuid

__all__ = ["RUN_ID", "unique_id"]

#: This process's run id; set ``HARNESS_RUN_ID`` to choose it (for instance to clean up after a run).
RUN_ID = os.environ.get("HARNESS_RUN_ID") or uuid.uuid4().hex[:8]
_counter = itertools.count(1)


def unique_id(prefix: str = "t") -> str:
    """A name no other test, worker or run will produce: ``f"{prefix}-{run}-{worker}-{n}"``."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}-{RUN_ID}-{worker}-{next(_counter)}"
