"""Fixtures for the websocket category: chat-app, and connections to its ``/ws``.

Every test reads each connection's messages in order and ends by checking that nothing else
arrived (``settle``), so a stray or duplicated message fails it; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from harness import TestApp, receive, unique_id


@pytest.fixture
def chat_app(test_app: Any) -> TestApp:
    """chat-app: a fresh instance locally, the served one remotely."""
    started: TestApp = test_app("chat-app")
    return started


@pytest.fixture
def connect(chat_app: TestApp) -> Callable[..., ClientConnection]:
    """``connect(token=None)``: a new connection to chat-app's ``/ws``."""
    return lambda token=None: chat_app.ws("/ws", token=token)


@pytest.fixture
def room() -> Callable[[str], str]:
    """``room("team:")``: a room name of that prefix that no other test uses."""
    return lambda prefix="r:": f"{prefix}{unique_id('room')}"


@pytest.fixture
def say() -> Callable[..., None]:
    """``say(ws, type=..., ...)``: send one JSON message."""
    return lambda ws, **message: ws.send(json.dumps(message))


@pytest.fixture
def ask(say: Callable[..., None]) -> Callable[..., Any]:
    """``ask(ws, type=..., ...)``: send a message and return the next one that arrives."""

    def exchange(ws: ClientConnection, **message: Any) -> Any:
        say(ws, **message)
        return receive(ws, timeout=5)

    return exchange


@pytest.fixture
def user(chat_app: TestApp) -> Callable[..., Any]:
    """``user(roles=())``: a new signed-in user of chat-app (a ``UserClient`` with ``.token``)."""
    return lambda roles=(): chat_app.as_user(f"{unique_id('u')}@example.com", roles=roles)
