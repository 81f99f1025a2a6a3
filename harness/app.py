"""``TestApp``: one app, served for one test on its own port with its own data directory."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import secrets
import shutil
import ssl
import sys
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from websockets.sync.client import ClientConnection, connect

from harness import logs, remote
from harness.clock import AppClock, KilnClock, ProcessClock
from harness.diagnostics import render_diagnostics
from harness.errors import HarnessError, LocalOnly, NoDatabase, StopError
from harness.mail import Mail, RemoteMail
from harness.queries import Queries
from harness.recorder import Exchange, Recorder, httpx_hook
from harness.remote import check_serves, kiln_folder, manifest_name
from harness.served import Served
from harness.server import ServerThread
from harness.targets import Target, resolve
from harness.teardown import Teardown
from harness.users import UserClient

__all__ = ["TestApp"]

_DEFAULT_TIMEOUT = httpx.Timeout(10.0)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One SSL context for every client: loading CA certificates costs ~20 ms, so do it once."""
    return ssl.create_default_context()


class TestApp:
    """Serve ``target`` on 127.0.0.1 for one test, with real clients and a look inside.

    ``target`` is an ASGI app (anything taking ``(scope, receive, send)`` or ``*args``), a factory
    taking no argument or the data directory (``factory(data_dir) -> app``), a ``"module:attr"``
    string naming either, or a kiln app folder. The constructor returns once the server answers, or raises
    :class:`harness.StartError` carrying the app's own exception. Use it as a context manager, or
    call :meth:`close`.

    The data directory is created under ``data_root`` (pytest's temporary directory under the
    plugin, else the system's), removed on :meth:`close`, and kept, with its path printed and in
    :attr:`kept_data_dir`, when the ``with`` block raised or ``keep_data`` is true. It is never
    removed while the server thread is still running.

    With ``base_url`` the harness starts nothing and talks to that server (remote mode); ``db``,
    ``clock``, ``logs`` and ``data_dir`` then raise :class:`harness.LocalOnly`.
    """

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self,
        target: Target,
        *,
        settings: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        base_url: str | None = None,
        data_root: str | Path | None = None,
        keep_data: bool = False,
        db_path: str | Path | None = None,
        startup_timeout: float = 5.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.keep_data = keep_data
        #: The data directory, once :meth:`close` has kept it instead of removing it.
        self.kept_data_dir: Path | None = None
        self._keep_override: bool | None = None
        self._teardown = Teardown()
        self._client: httpx.Client | None = None
        self._db: Any = None
        self._clock: KilnClock | ProcessClock | None = None
        self._server: ServerThread | None = None
        self._data_dir: Path | None = None
        self._served: Served | None = None
        self._logs = logs.LogBuffer()
        self._remote_exchanges: deque[Exchange] = deque(maxlen=200)
        self._recorder: Recorder | None = None
        self.closed = False
        if base_url is not None:
            if settings is not None or secrets is not None:
                raise LocalOnly("settings= and secrets=")  # a running server has its own
            self.remote = True
            self.url = base_url.rstrip("/")
            self.name = str(target)
            self.port = urlsplit(self.url).port or (443 if self.url.startswith("https") else 80)
            self._check_remote_app(target)
            return
        self.remote = False
        self._start(target, settings, secrets, data_root, db_path, startup_timeout, shutdown_timeout)

    def _start(
        self,
        target: Target,
        settings: Mapping[str, Any] | None,
        secrets: Mapping[str, str] | None,
        data_root: str | Path | None,
        db_path: str | Path | None,
        startup_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        # Each resource registers its cleanup as soon as it exists; a failed start unwinds them.
        self._data_dir = Path(tempfile.mkdtemp(prefix="app-", dir=data_root))
        self._teardown.push(self._dispose_data_dir)
        try:
            served = resolve(target, self._data_dir, settings=settings, secrets=secrets)
            if db_path is not None:
                served.db_path = self._data_dir / db_path
            self._served = served
            self.name = served.name
            self._recorder = Recorder(served.asgi)
            context = contextvars.Context()
            context.run(self._logs.bind)
            logs.attach(self._logs)
            self._teardown.push(functools.partial(logs.detach, self._logs))
            self._server = ServerThread(
                self._recorder,
                startup_timeout=startup_timeout,
                shutdown_timeout=shutdown_timeout,
                context=context,
            )
            self._teardown.push(self._server.stop)  # a start that times out leaves a thread to stop
            self._server.start()
        except BaseException as exc:
            self.closed = True
            try:
                self._teardown.close()
            except Exception as cleanup:
                for problem in [str(cleanup), *getattr(cleanup, "__notes__", ())]:
                    exc.add_note(f"harness: while cleaning up: {problem}")
            raise
        self.port = self._server.port
        self.url = f"http://127.0.0.1:{self.port}"
        self._teardown.push(functools.partial(remote.forget, self.url))  # the port may serve another app next

    def _check_remote_app(self, target: Target) -> None:
        """For a kiln folder, refuse a server whose ``/health`` names another app."""
        folder = kiln_folder(target)
        expected = manifest_name(folder) if folder is not None else None
        if expected is None:
            return
        self.name = expected
        # its own client: the probe is the harness's, not one of the test's requests
        probe = functools.partial(
            httpx.Client, base_url=self.url, verify=_ssl_context(), timeout=_DEFAULT_TIMEOUT
        )
        try:
            check_serves(self.url, expected, probe)
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> TestApp:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(keep_data=exc is not None or None)

    def close(self, keep_data: bool | None = None) -> None:
        """Close the clients, stop the server, and remove the data directory unless it is kept.

        ``keep_data`` overrides the constructor's choice. Every step runs even when another
        fails; the failure is raised once all have run (:class:`harness.StopError` when the app's
        lifespan shutdown failed or its thread would not stop), and calling ``close()`` again
        retries what failed. Once everything succeeded, further calls do nothing.
        """
        self.closed = True
        if keep_data is not None:
            self._keep_override = keep_data
        self._teardown.close()

    def _dispose_data_dir(self) -> None:
        """Remove the data directory, or keep it: when asked to, or while the server still runs."""
        if self._data_dir is None or self.kept_data_dir is not None:
            return
        keep = self.keep_data if self._keep_override is None else self._keep_override
        if keep:
            self.kept_data_dir = self._data_dir
            print(f"harness: kept data directory of {self.name}: {self._data_dir}", file=sys.stderr)
            return
        if self._server is not None and self._server.running:
            self.kept_data_dir = self._data_dir
            raise StopError(
                f"kept the data directory of {self.name} at {self._data_dir}: "
                "its server thread is still running and may be using it"
            )
        shutil.rmtree(self._data_dir, ignore_errors=True)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "remote" if self.remote else "serving"
        return f"<TestApp {self.name} {state} at {self.url}>"

    # -- clients ---------------------------------------------------------------------------------

    def as_user(
        self, email: str, *, roles: Sequence[str] = (), verified: bool = True, password: str | None = None
    ) -> UserClient:
        """A client signed in as ``email``, with ``.token`` and ``.user``; closed with the app.

        Locally the user is written straight into the app's database (or updated, if the email
        exists) and the token signed with the app's secret and clock: no HTTP round trip. In
        remote mode the user registers through ``/auth/register``; roles cannot be granted
        there, so ``roles`` raises :class:`harness.LocalOnly`.
        """
        self._check_open()
        if self.remote:
            if roles:
                raise LocalOnly("as_user(roles=...)")
            password = password or secrets.token_urlsafe(16)
            response = self.post("/auth/register", json={"email": email, "password": password})
            if response.status_code != 201:
                raise HarnessError(
                    f"registering {email} failed: {response.status_code} {response.text[:300]}"
                )
            if "token" in response.json():
                user, token = response.json()["user"], response.json()["token"]
            else:
                user, token = self._verify_remotely(email, password, verified=verified)
        else:
            assert self._served is not None
            assert self._data_dir is not None
            from harness.kiln_adapter import create_user

            user, token = create_user(
                self._served,
                self._data_dir,
                email=email,
                roles=roles,
                verified=verified,
                password=password,
            )
        client = UserClient(
            token=token,
            user=user,
            base_url=self.url,
            verify=_ssl_context(),
            trust_env=self.remote,
            timeout=_DEFAULT_TIMEOUT,
        )
        self._teardown.push(client.close)
        return client

    def _verify_remotely(self, email: str, password: str, *, verified: bool) -> tuple[dict[str, Any], str]:
        """Sign in a user a remote app wants verified: follow the token in the mail its dev outbox
        shows, then log in. ``LocalOnly`` when it has no dev outbox (a deployed, prod server)."""
        why = (
            f"{self.url} verifies emails before it signs anyone in, and shows no dev outbox to read them from"
        )
        if not verified:
            raise LocalOnly("as_user(verified=False) on an app that verifies emails", why)
        try:
            mails = RemoteMail(self.get, LocalOnly).sent_to(email)
        except LocalOnly:
            raise LocalOnly("as_user() on an app that verifies emails", why) from None
        found = re.search(r"token: (\S+)", mails[-1].body) if mails else None
        if found is None:
            raise LocalOnly("as_user() on an app that verifies emails", why)
        answer = self.post("/auth/verify", json={"token": found.group(1)})
        login = self.post("/auth/login", json={"email": email, "password": password})
        if answer.status_code != 200 or login.status_code != 200:
            raise HarnessError(f"signing {email} in failed: {login.status_code} {login.text[:300]}")
        return login.json()["user"], login.json()["token"]

    @property
    def client(self) -> httpx.Client:
        """An ``httpx.Client`` whose base URL is the app; created on first use, closed with the app."""
        if self._client is None:
            self._check_open()
            hooks = {"response": [httpx_hook(self._remote_exchanges)]} if self.remote else {}
            self._client = httpx.Client(
                base_url=self.url,
                verify=_ssl_context(),
                trust_env=self.remote,
                timeout=_DEFAULT_TIMEOUT,
                event_hooks=hooks,
            )
            self._teardown.push(self._client.close)
        return self._client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request with httpx's keyword arguments; ``url`` is relative to the app."""
        return self.client.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """``GET url``."""
        return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """``POST url``."""
        return self.client.post(url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PUT url``."""
        return self.client.put(url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PATCH url``."""
        return self.client.patch(url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        """``DELETE url`` (httpx's own ``delete`` takes no body; use :meth:`request` for one)."""
        return self.client.delete(url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        """``HEAD url``."""
        return self.client.head(url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        """``OPTIONS url``."""
        return self.client.options(url, **kwargs)

    @property
    def ws_url(self) -> str:
        """The app's base URL with a ``ws://`` (or ``wss://``) scheme."""
        return "ws" + self.url.removeprefix("http")

    def ws(
        self, path: str, *, token: str | None = None, params: Mapping[str, str] | None = None, **kwargs: Any
    ) -> ClientConnection:
        """Open a WebSocket to ``path``: a connected ``websockets`` sync client, closed with the app.

        ``token`` is sent as the ``?token=`` query parameter; other keywords go to
        ``websockets.sync.client.connect`` (``additional_headers``, ``subprotocols`` …).
        """
        self._check_open()
        query = dict(params or {})
        if token is not None:
            query["token"] = token
        url = self.ws_url + path
        if query:
            url += ("&" if "?" in path else "?") + urlencode(query)
        kwargs.setdefault("open_timeout", 5)  # pragma: no mutate (a wait no test may time)
        kwargs.setdefault("close_timeout", 2)  # pragma: no mutate (a wait no test may time)
        if not self.remote:
            kwargs.setdefault("proxy", None)  # pragma: no mutate (setdefault defaults to None)
        connection = connect(url, legacy=True, **kwargs)  # a connected client, usable with or without `with`
        self._teardown.push(functools.partial(connection.close, code=1001, reason="test app closing"))
        return connection

    # -- looking inside --------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """The app's own data directory."""
        self._local_only("data_dir")
        assert self._data_dir is not None
        return self._data_dir

    @property
    def db_path(self) -> Path | None:
        """The path of the app's SQLite database, if it has one."""
        self._local_only("db_path")
        assert self._served is not None
        assert self._data_dir is not None
        if self._served.db_path is not None:
            return self._served.db_path
        default = self._data_dir / "app.db"
        return default if default.exists() else None

    @property
    def db(self) -> Any:
        """A ``sqlite_utils.Database`` on the app's own database, opened on first use."""
        self._local_only("db")
        if self._db is None:
            path = self.db_path
            if path is None:
                raise NoDatabase(
                    f"{self.name} has no database: kiln apps have one; for other apps pass "
                    f"TestApp(..., db_path='name.db') relative to the data directory"
                )
            import sqlite_utils

            self._db = sqlite_utils.Database(path)
            self._teardown.push(self._close_db)
        return self._db

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None

    @property
    def clock(self) -> AppClock:
        """Move the time the app sees: ``set(when)``, ``advance(**timedelta_kwargs)``, ``now()``."""
        self._local_only("clock")
        if self._clock is None:
            assert self._served is not None
            kiln_clock = self._served.kiln_clock
            self._clock = KilnClock(kiln_clock) if kiln_clock is not None else ProcessClock()
            self._teardown.push(self._clock.close)
        return self._clock

    @contextlib.contextmanager
    def queries(self) -> Iterator[Queries]:
        """Record the SQL statements the kiln app runs inside the block: ``len(q)``, ``q.statements``.

        ``with app.queries() as q: app.get("/api/posts?with=author")`` then ``len(q.selects)``.
        Work the server finishes after answering is waited for before the block ends.
        """
        self._local_only("queries")
        self._check_open()
        assert self._served is not None
        log = self._served.kiln_queries
        if log is None:
            raise HarnessError(f"queries() needs a kiln app; {self.name} is not one")
        with log.watch() as statements:
            recorded = Queries(statements)
            yield recorded
            self._settle()

    @property
    def mail(self) -> Mail | RemoteMail:
        """The app's mail: ``outbox`` (a list of :class:`harness.Message`), ``inbox``, and
        ``send(sender, to, subject, text, html=None, attachments=())`` over real SMTP."""
        if self.remote:
            return RemoteMail(self.get, LocalOnly)
        assert self._served is not None
        served = self._served
        if served.kiln_state is None:
            return Mail(self.db_path)
        from harness.kiln_adapter import inbox, settle, smtp_port

        return Mail(self.db_path, lambda: smtp_port(served), lambda: inbox(served), lambda: settle(served))

    @property
    def logs(self) -> logs.LogBuffer:
        """The log records emitted while serving this app (not its neighbours), each with ``request_id``."""
        self._local_only("logs")
        self._settle()
        return self._logs

    @property
    def requests(self) -> list[Exchange]:
        """The last requests the app answered (locally, from any client; remotely, from ours)."""
        if self._recorder is not None:
            self._settle()
            return list(self._recorder.exchanges)
        return list(self._remote_exchanges)

    def wait_for_request(self, request_id: str, timeout: float = 5.0) -> Exchange:
        """Wait until the server has finished the request sent with ``X-Request-Id: request_id``,
        answered or abandoned by its client (a socket closed halfway, say), and return it.

        Raises :class:`HarnessError` after ``timeout`` seconds, naming the requests seen.
        """
        self._local_only("wait_for_request")
        self._check_open()
        assert self._recorder is not None
        assert self._server is not None
        recorder = self._recorder
        found: list[Exchange | None] = []

        async def wait() -> None:
            found.append(await recorder.finished(request_id, timeout))

        self._server.run_in_loop(wait(), timeout=timeout + 1)
        if not found or found[0] is None:
            seen = "\n".join(f"  {exchange}" for exchange in list(recorder.exchanges)[-10:]) or "  none"
            raise HarnessError(
                f"no request with X-Request-Id {request_id} finished within {timeout} s; "
                f"the last seen:\n{seen}"
            )
        return found[0]

    def diagnostics(self) -> str:
        """Text for a failure report: log tail, last requests, tables with row counts, data directory."""
        return render_diagnostics(self)

    def _settle(self) -> None:
        """Let requests the client already has answers to finish on the server (logs, records)."""
        if self._recorder is not None and self._recorder.unsettled and self._server is not None:
            self._server.run_in_loop(self._recorder.settle())

    def _local_only(self, feature: str) -> None:
        if self.remote:
            raise LocalOnly(feature)

    def _check_open(self) -> None:
        if self.closed:
            raise HarnessError(f"{self!r} is closed")
