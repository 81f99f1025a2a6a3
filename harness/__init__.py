"""harness: serve any ASGI app (kiln folders included) on a real port for one test.

>>> from harness import TestApp
>>> with TestApp("tests/fixtures/todo-app") as app:   # doctest: +SKIP
...     assert app.get("/health").json()["status"] == "ok"
"""

from harness.app import TestApp
from harness.clock import AppClock
from harness.errors import (
    HarnessError,
    LocalOnly,
    NoDatabase,
    StartError,
    StartTimeout,
    StopError,
    TargetError,
    WrongRemoteApp,
)
from harness.ids import RUN_ID, unique_id
from harness.logs import LogBuffer
from harness.mail import Message
from harness.queries import Queries
from harness.realtime import receive, settle
from harness.recorder import Exchange
from harness.scenarios import Row, Scenario, Stored, assert_error, assert_subset, run
from harness.users import UserClient

__all__ = [
    "RUN_ID",
    "AppClock",
    "Exchange",
    "HarnessError",
    "LocalOnly",
    "LogBuffer",
    "Message",
    "NoDatabase",
    "Queries",
    "Row",
    "Scenario",
    "StartError",
    "StartTimeout",
    "StopError",
    "Stored",
    "TargetError",
    "TestApp",
    "UserClient",
    "WrongRemoteApp",
    "assert_error",
    "assert_subset",
    "receive",
    "run",
    "settle",
    "unique_id",
]
