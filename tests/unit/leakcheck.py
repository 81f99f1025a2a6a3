"""Counting what a test might leave behind: server threads and file descriptors."""

from __future__ import annotations

import os
import threading


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def server_threads() -> list[threading.Thread]:
    """The harness server threads alive now."""
    return [t for t in threading.enumerate() if t.name.startswith("harness-server")]
