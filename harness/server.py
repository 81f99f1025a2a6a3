"""Serve an ASGI app with uvicorn on a socket we bind ourselves, in a background thread.

uvicorn's own ``Server.serve()`` is made for processes: it polls a flag every 0.1 s, sleeps a fixed
0.1 s during shutdown and calls ``sys.exit`` when lifespan startup fails. A test harness starts and
stops servers hundreds of times per run, so :class:`ServerThread` drives uvicorn's parts (``Config``,
its protocol classes and its lifespan runner) from its own coroutine instead:

* the listening socket is bound before the thread starts, so the port is known at once and a bind
  failure is reported in the caller's thread;
* startup failures are captured with the app's own exception, within ``startup_timeout``;
* stopping is event driven: ``call_soon_threadsafe`` wakes the loop, connections are asked to close
  and the loop waits on an event that fires when the last one has gone, so requests in flight
  are answered before the port closes;
* the thread owns the socket once it runs, and closes it itself, whatever happens;
* a lifespan shutdown that fails, or a thread that will not stop, raises :class:`StopError` from
  ``stop()``: a test never passes over an app that could not shut down;
* ``uvicorn.Config`` empties the ``uvicorn.access`` logger and stops it propagating (so requests
  cost no access records); the first server thread to start saves that logger, and the last one
  to end puts it back exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import socket
import threading
from collections.abc import Coroutine
from email.utils import formatdate
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from harness.errors import StartError, StartTimeout, StopError
from harness.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ServerThread", "bind_socket"]

logger = logging.getLogger("harness.server")


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind a TCP listening socket; port 0 asks the kernel for a free port.

    The socket is created with ``IPPROTO_TCP`` explicitly: asyncio only sets ``TCP_NODELAY`` on
    accepted sockets whose protocol is TCP, and without it every keep-alive request stalls ~40 ms
    on Nagle's algorithm meeting delayed ACKs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise StartError(f"cannot bind {host}:{port}: {exc.strerror or exc}", cause=exc) from exc
    return sock


class _AccessLogger:
    """Saves ``uvicorn.access`` while servers run (reference counted) and restores it after the last."""

    def __init__(self) -> None:
        # runs once, at import, before mutation testing can swap a mutant in
        self._lock = threading.Lock()  # pragma: no mutate
        self._users = 0  # pragma: no mutate
        self._saved: tuple[int, list[logging.Handler], bool, bool] | None = None

    def acquire(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                access = logging.getLogger("uvicorn.access")
                self._saved = (access.level, list(access.handlers), access.propagate, access.disabled)

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._saved is not None:
                access = logging.getLogger("uvicorn.access")
                access.setLevel(self._saved[0])
                access.handlers = self._saved[1]
                access.propagate, access.disabled = self._saved[2], self._saved[3]
                self._saved = None


_access_logger = _AccessLogger()


class _Connections(set[Any]):
    """uvicorn's set of open connections, with an event that is set exactly while it is empty."""

    def __init__(self) -> None:
        super().__init__()
        self.emptied = asyncio.Event()
        self.emptied.set()

    def add(self, item: Any) -> None:
        super().add(item)
        self.emptied.clear()

    def discard(self, item: Any) -> None:
        super().discard(item)
        if not self:
            self.emptied.set()

    def remove(self, item: Any) -> None:
        super().remove(item)
        if not self:
            self.emptied.set()


class _LifespanProbe:
    """Wraps the app for the lifespan scope, to keep the app's own startup and shutdown failures."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.started = False
        self.error: BaseException | None = None
        self.failure_message = ""
        self.shutdown_error: BaseException | None = None
        self.shutdown_message = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def probing_send(message: Message) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.failed":
                self.failure_message = message.get("message", "")
            elif kind == "lifespan.startup.complete":
                self.started = True
            elif kind == "lifespan.shutdown.failed":
                self.shutdown_message = message.get("message", "") or "lifespan.shutdown.failed"
            await send(message)

        try:
            await self.app(scope, receive, probing_send)
        except BaseException as exc:
            if self.started:
                self.shutdown_error = exc
            else:
                self.error = exc
            raise

    def shutdown_failure(self) -> StopError | None:
        """The app's own shutdown failure, if its lifespan raised or reported one."""
        if self.shutdown_error is not None:
            error = self.shutdown_error
            return StopError(f"app lifespan shutdown failed: {type(error).__name__}: {error}", cause=error)
        if self.shutdown_message:
            lines = self.shutdown_message.strip().splitlines()
            return StopError(f"app lifespan shutdown failed: {lines[-1] if lines else 'no message'}")
        return None


class ServerThread:
    """One uvicorn server on one pre-bound socket, running in its own thread and event loop.

    ``start()`` returns once the app's lifespan startup has completed and the socket accepts
    connections, or raises :class:`StartError`. ``stop()`` closes connections (WebSockets get close
    code 1012), runs lifespan shutdown and joins the thread. Neither ever waits longer than its
    timeout, and a failed start leaves no thread or socket behind.

    ``context`` is the :mod:`contextvars` context the server runs in; everything the server does
    (including work the app hands to worker threads) sees the variables set in it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 5.0,
        shutdown_timeout: float = 5.0,
        context: contextvars.Context | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.port = 0
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self._context = context if context is not None else contextvars.Context()
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop_error: StopError | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Bind, start the thread and wait until the app answers; raise :class:`StartError` if it can't."""
        self._sock = bind_socket(self.host, self.requested_port)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._context.run, args=(self._run,), name=f"harness-server-{self.port}", daemon=True
        )
        _access_logger.acquire()
        try:
            self._thread.start()
        except BaseException:
            self._thread = None
            self._close_socket()  # the thread never ran, so the socket is still ours
            _access_logger.release()
            raise
        # From here on the socket belongs to the server thread, which closes it itself.
        # The loop enforces startup_timeout itself; this wait is only a backstop for a loop that is
        # blocked by synchronous code in the app's startup.
        if not self._ready.wait(self.startup_timeout + 1.0):
            # A thread cannot be killed: ask it to stop once its startup unblocks, and don't wait.
            with contextlib.suppress(StopError):
                self.stop()
            raise StartTimeout(
                f"app did not start within {self.startup_timeout:g}s (its startup blocks the event loop)"
            )
        if self._error is not None:
            self._thread.join(self.shutdown_timeout + 1.0)
            if not self._thread.is_alive():
                self._thread = None
            error = self._error
            if isinstance(error, StartError):
                raise error
            raise StartError(f"server failed to start: {type(error).__name__}: {error}", cause=error)

    def run_in_loop(
        self,
        coroutine: Coroutine[Any, Any, None],
        timeout: float = 5.0,  # pragma: no mutate (a wait no test may time)
    ) -> None:
        """Run ``coroutine`` on the server's loop and wait for it; a no-op once the loop is gone."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self.running:
            coroutine.close()
            return
        try:
            asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)
        except RuntimeError:  # the loop closed between the check and the call
            coroutine.close()

    def stop(self, join_timeout: float | None = None) -> None:
        """Ask the loop to shut down and wait for the thread; safe to call again after a failure.

        Connections, tasks and lifespan shutdown are each bounded by ``shutdown_timeout`` in the
        loop, so the default wait covers all three. Raises :class:`StopError` when the thread is
        still alive after the wait (call again to wait again) or when the app's lifespan shutdown
        failed (reported once).
        """
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and stop_event is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed on its own
                loop.call_soon_threadsafe(stop_event.set)
        wait = 3 * self.shutdown_timeout + 1.0 if join_timeout is None else join_timeout
        if not self._ready.is_set():
            wait = min(wait, 0.1)  # startup is blocked in the app's own code: it cannot be hurried
        thread.join(wait)
        if thread.is_alive():
            raise StopError(f"server thread {thread.name} did not stop within {wait:g}s; it is still running")
        self._thread = None
        failure, self._stop_error = self._stop_error, None
        if failure is not None:
            raise failure

    # -- inside the server thread -------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            if self._ready.is_set():
                logger.error("server on port %s crashed", self.port, exc_info=exc)
        finally:
            try:
                _cancel_remaining_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                self._close_socket()  # still ours if serving never began
                _access_logger.release()
                self._ready.set()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        served = self.app

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            # uvicorn calls its app once with no arguments to spot a factory; an app that accepts
            # that call (``*args``) would be taken for one. This plain signature never is.
            await served(scope, receive, send)

        config = uvicorn.Config(
            asgi,
            lifespan="auto",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            ws="websockets-sansio",
            interface="asgi3",  # never guessed from the app's __call__
            timeout_graceful_shutdown=int(self.shutdown_timeout) or 1,
        )
        config.load()
        app = config.loaded_app
        probe = _LifespanProbe(app)
        config.loaded_app = probe
        lifespan = config.lifespan_class(config)
        try:
            await asyncio.wait_for(lifespan.startup(), self.startup_timeout)
        except TimeoutError:
            raise StartTimeout(
                f"app lifespan startup did not finish within {self.startup_timeout:g}s"
            ) from None
        if lifespan.should_exit:
            raise _startup_failure(probe)
        config.loaded_app = app

        state = ServerState()
        connections = _Connections()
        state.connections = connections

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=state, app_state=lifespan.state, _loop=_loop
            )

        assert self._sock is not None
        server = await loop.create_server(create_protocol, sock=self._sock, backlog=config.backlog)
        self._sock = None  # the asyncio server owns it now and closes it
        date_header = _DateHeader(loop, state, config)
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            date_header.cancel()
            await self._shutdown(server, state, connections, lifespan)
            # a timed-out shutdown is the cause; what the cancelled lifespan raised then is its echo
            self._stop_error = self._stop_error or probe.shutdown_failure()

    async def _shutdown(
        self, server: asyncio.Server, state: ServerState, connections: _Connections, lifespan: Any
    ) -> None:
        server.close()
        for connection in list(connections):
            connection.shutdown()  # idle HTTP closes now, busy HTTP after its response, WebSocket 1012
        if connections:
            try:
                await asyncio.wait_for(connections.emptied.wait(), self.shutdown_timeout)
            except TimeoutError:
                logger.warning(
                    "%d connection(s) still open after %gs", len(connections), self.shutdown_timeout
                )
        if state.tasks:
            _done, pending = await asyncio.wait(set(state.tasks), timeout=self.shutdown_timeout)
            for task in pending:
                task.cancel()
        try:
            await asyncio.wait_for(lifespan.shutdown(), self.shutdown_timeout)
        except TimeoutError:
            self._stop_error = StopError(
                f"app lifespan shutdown did not finish within {self.shutdown_timeout:g}s; cancelled"
            )

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _startup_failure(probe: _LifespanProbe) -> StartError:
    error = probe.error
    if error is not None:
        return StartError(f"app lifespan startup failed: {type(error).__name__}: {error}", cause=error)
    message = probe.failure_message.strip().splitlines()
    detail = message[-1] if message else "the app reported lifespan.startup.failed"
    return StartError(f"app lifespan startup failed: {detail}")


class _DateHeader:
    """Refreshes the ``Date`` header once a second, as uvicorn's main loop does."""

    def __init__(self, loop: asyncio.AbstractEventLoop, state: ServerState, config: uvicorn.Config) -> None:
        self._loop, self._state, self._config = loop, state, config
        self._handle: asyncio.TimerHandle | None = None
        self._refresh()

    def _refresh(self) -> None:
        date = formatdate(usegmt=True).encode()
        self._state.default_headers = [(b"date", date), *self._config.encoded_headers]
        self._handle = self._loop.call_later(1.0, self._refresh)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()


def _cancel_remaining_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the app left running (a hung lifespan, a background task) and let it unwind."""
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.wait(tasks, timeout=1.0))
