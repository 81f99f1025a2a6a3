"""Running an ASGI app's lifespan by hand: the host starts and stops each project's app itself."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message

__all__ = ["Lifespan", "LifespanFailed"]


class LifespanFailed(RuntimeError):
    """The app said its startup or shutdown failed."""


class Lifespan:
    """``await start()`` runs the app's startup and ``await stop()`` its shutdown, as a server would."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Send ``lifespan.startup`` and wait for the app's answer."""
        scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.ensure_future(self._app(scope, self._to_app.get, self._from_app.put))
        await self._exchange("lifespan.startup")

    async def stop(self) -> None:
        """Send ``lifespan.shutdown``, wait for the answer and for the app to return."""
        if self._task is None:
            return
        try:
            await self._exchange("lifespan.shutdown")
        finally:
            task, self._task = self._task, None
            await asyncio.wait({task}, timeout=10)

    async def _exchange(self, event: str) -> None:
        await self._to_app.put({"type": event})
        assert self._task is not None
        answer = asyncio.ensure_future(self._from_app.get())
        waiting: set[asyncio.Future[Any]] = {answer, self._task}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():  # the app returned (or raised) without answering
            answer.cancel()
            error = self._task.exception() if not self._task.cancelled() else None
            raise LifespanFailed(f"{event}: the app ended without answering ({error!r})")
        message = answer.result()
        if message["type"] != f"{event}.complete":
            raise LifespanFailed(f"{event}: {message.get('message', message['type'])}")
