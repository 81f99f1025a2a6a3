"""Small Starlette apps the harness's unit tests serve (also importable as ``sample_apps:<name>``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

logger = logging.getLogger("sample_apps")

#: What lifespan handlers of the apps below observed, keyed by app; tests read it.
events: list[str] = []


async def echo_request(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "body": body.decode(),
            "header": request.headers.get("x-test"),
        }
    )


async def echo_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                events.append(f"ws-disconnect:{message.get('code')}")
                return
            if message.get("text") is not None:
                await websocket.send_text("echo:" + message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect as exc:  # pragma: no cover - depends on who notices first
        events.append(f"ws-disconnect:{exc.code}")


async def log_line(request: Request) -> PlainTextResponse:
    word = request.query_params.get("word", "hello")
    logger.warning("async says %s", word)
    return PlainTextResponse(word)


def sync_log_line(request: Request) -> PlainTextResponse:
    """A sync endpoint: Starlette runs it in a worker thread."""
    word = request.query_params.get("word", "hello")
    logging.getLogger("sample_apps.sync").warning("sync says %s", word)
    return PlainTextResponse(word)


async def boom(request: Request) -> Response:
    raise RuntimeError("kaboom")


async def after_response(request: Request) -> PlainTextResponse:
    """Answers at once, then logs from a background task that runs in the same request task."""

    async def finish() -> None:
        await asyncio.sleep(0.05)
        logger.warning("background work finished")

    return PlainTextResponse("accepted", background=BackgroundTask(finish))


async def times(request: Request) -> JSONResponse:
    await asyncio.sleep(0.001)  # asyncio timers must still fire while time is moved
    return JSONResponse({"time": time.time(), "now": datetime.now(UTC).isoformat()})


async def now(request: Request) -> JSONResponse:
    """The time, read without any asyncio timer (so it answers under a frozen ``time.monotonic``)."""
    return JSONResponse({"time": time.time(), "now": datetime.now(UTC).isoformat()})


ROUTES = [
    Route("/echo", echo_request, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    Route("/log", log_line),
    Route("/sync-log", sync_log_line),
    Route("/boom", boom),
    Route("/time", times),
    Route("/now", now),
    Route("/background", after_response),
    WebSocketRoute("/ws", echo_socket),
]

app = Starlette(routes=ROUTES)


async def bare_asgi(scope, receive, send):  # type: ignore[no-untyped-def]
    """A plain ASGI callable without lifespan support."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"bare"})


def counter_factory(data_dir: Path) -> Starlette:
    """A factory: a counter stored in ``data_dir/app.db``."""
    db_path = data_dir / "app.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, label TEXT)")
    conn.close()

    async def hit(request: Request) -> JSONResponse:
        with sqlite3.connect(db_path) as conn:
            conn.execute("INSERT INTO hits (label) VALUES (?)", (request.query_params.get("label", ""),))
            count = conn.execute("SELECT count(*) FROM hits").fetchone()[0]
        conn.close()
        return JSONResponse({"count": count, "data_dir": str(data_dir)})

    return Starlette(routes=[Route("/hit", hit, methods=["POST"])])


def settings_factory(data_dir: Path, settings: dict[str, str] | None = None) -> Starlette:
    """A factory that accepts settings and shows them."""

    async def show(request: Request) -> JSONResponse:
        return JSONResponse(settings or {})

    return Starlette(routes=[Route("/settings", show)])


def failing_factory(data_dir: Path) -> Starlette:
    raise ValueError("factory refused")


@contextlib.asynccontextmanager
async def failing_lifespan(app: Starlette) -> AsyncIterator[None]:
    raise ConnectionRefusedError("database at db.invalid refused the connection")
    yield  # pragma: no cover


lifespan_fails = Starlette(routes=ROUTES, lifespan=failing_lifespan)


@contextlib.asynccontextmanager
async def hanging_startup(app: Starlette) -> AsyncIterator[None]:
    await asyncio.Event().wait()
    yield  # pragma: no cover


startup_hangs = Starlette(routes=ROUTES, lifespan=hanging_startup)


@contextlib.asynccontextmanager
async def blocking_startup(app: Starlette) -> AsyncIterator[None]:
    time.sleep(1.5)  # synchronous: the event loop cannot run, so no asyncio timeout can fire
    events.append("startup-unblocked")
    yield


startup_blocks = Starlette(routes=ROUTES, lifespan=blocking_startup)


@contextlib.asynccontextmanager
async def hanging_shutdown(app: Starlette) -> AsyncIterator[None]:
    events.append("startup")
    yield
    events.append("shutdown-begins")
    await asyncio.Event().wait()


shutdown_hangs = Starlette(routes=ROUTES, lifespan=hanging_shutdown)


@contextlib.asynccontextmanager
async def recording_lifespan(app: Starlette) -> AsyncIterator[None]:
    events.append("startup")
    yield
    events.append("shutdown")


with_lifespan = Starlette(routes=ROUTES, lifespan=recording_lifespan)


@contextlib.asynccontextmanager
async def raising_shutdown(app: Starlette) -> AsyncIterator[None]:
    yield
    raise OSError("could not flush the write-ahead log to /srv/wal")


shutdown_raises = Starlette(routes=ROUTES, lifespan=raising_shutdown)


class Gate:
    """A door a test opens: the app blocks on ``wait()`` until the test calls ``open()``."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()

    def wait(self) -> None:
        self.reached.set()
        if not self.opened.wait(10):  # pragma: no cover - only when a test forgets to open it
            raise TimeoutError("the test never opened the gate")

    def open(self) -> None:
        self.opened.set()


def gated_shutdown(gate: Gate) -> Starlette:
    """An app whose lifespan shutdown blocks its event loop until ``gate`` opens."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        gate.wait()  # synchronous on purpose: the loop, and so the thread, cannot finish

    return Starlette(routes=ROUTES, lifespan=lifespan)


def gated_startup(gate: Gate) -> Starlette:
    """An app whose lifespan startup blocks its event loop until ``gate`` opens."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gate.wait()
        yield

    return Starlette(routes=ROUTES, lifespan=lifespan)


def gated_request(gate: Gate) -> Starlette:
    """An app whose ``/hold`` answers only once ``gate`` opens (a sync endpoint, in a worker thread)."""

    def hold(request: Request) -> PlainTextResponse:
        gate.wait()
        return PlainTextResponse("held to the end " * 1000)

    return Starlette(routes=[Route("/hold", hold)])


def thread_logger(request: Request) -> PlainTextResponse:
    """Logs from a plain ``threading.Thread``, which inherits no context, and waits for it."""
    worker = threading.Thread(
        target=lambda: logging.getLogger("sample_apps.thread").warning("from a plain thread"),
        name="sample-worker",
    )
    worker.start()
    worker.join(5)
    return PlainTextResponse("logged")


with_thread = Starlette(routes=[*ROUTES, Route("/thread-log", thread_logger)])


class Holder:
    """Targets reached by a dotted attribute: ``sample_apps:Holder.app``."""

    app = app

    @staticmethod
    def factory(data_dir: Path, settings: Any = None, secrets: Any = None) -> Starlette:
        """A factory that takes settings and secrets, and shows them at ``/given``."""

        async def given(request: Request) -> JSONResponse:
            return JSONResponse({"settings": settings, "secrets": secrets, "data_dir": str(data_dir)})

        return Starlette(routes=[Route("/given", given)])
