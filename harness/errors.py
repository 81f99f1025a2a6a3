"""Errors raised by the harness.

Every error the harness raises on its own account derives from :class:`HarnessError`::

    HarnessError
     ├── StartError          the app could not be started; ``cause`` is the app's own exception
     │    └── StartTimeout   the app did not answer within the start timeout
     ├── StopError           the app did not stop cleanly: its lifespan shutdown failed, or its
     │                       thread is still running; ``cause`` is the app's own exception
     ├── TargetError         TestApp was given something it cannot serve
     ├── NoDatabase          ``app.db`` on an app that has no database
     ├── LocalOnly           ``db``, ``clock``, ``logs`` … used in remote mode
     └── WrongRemoteApp      the remote server's ``/health`` names another app than the test's

Exceptions raised by the app itself while serving requests never surface here: they become
500 responses and log records, as they would in production.
"""

from __future__ import annotations

__all__ = [
    "HarnessError",
    "LocalOnly",
    "NoDatabase",
    "StartError",
    "StartTimeout",
    "StopError",
    "TargetError",
    "WrongRemoteApp",
]


class HarnessError(Exception):
    """Base class of every error the harness raises."""


class StartError(HarnessError):
    """The app failed to start: an import error, a lifespan startup failure, a bind failure.

    ``cause`` holds the app's own exception when there is one; it is also chained as ``__cause__``
    so the traceback pytest prints shows where the app failed.
    """

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.__cause__ = cause


class StartTimeout(StartError):
    """The app did not finish starting within the start timeout."""


class StopError(HarnessError):
    """The app did not stop cleanly: its lifespan shutdown failed or timed out, or its server
    thread is still running. ``cause`` holds the app's own exception when there is one."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.__cause__ = cause


class TargetError(HarnessError):
    """The target given to ``TestApp`` is not an app, a factory, a ``module:attr`` or a kiln folder."""


class NoDatabase(HarnessError):
    """``TestApp.db`` was used on an app that has no SQLite database."""


class LocalOnly(HarnessError):
    """A local-only feature (``db``, ``clock``, ``logs``, ``data_dir``) was used in remote mode."""

    def __init__(self, feature: str, why: str = "the server runs elsewhere") -> None:
        super().__init__(
            f"TestApp.{feature} is not available in remote mode (--base-url): {why}. "
            f"Mark tests that need it with @pytest.mark.local_only."
        )
        self.feature = feature


class WrongRemoteApp(HarnessError):
    """In remote mode, the server's ``/health`` names another app than the kiln folder the test is for."""

    def __init__(self, url: str, expected: str, served: str) -> None:
        super().__init__(f"the server at {url} serves the app {served!r}, not {expected!r}")
        self.url, self.expected, self.served = url, expected, served
