"""The smoke runner's HTTP client: httpx with retries, and the ``Host`` header that picks a
project on a ``kiln host`` (Python may not resolve ``*.localhost``, so it connects to the host's
address and names the project in the header)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["RETRIED_STATUSES", "SmokeClient", "backoff"]

#: Answers worth another try: the host or a proxy before it is busy or restarting.
RETRIED_STATUSES = frozenset({502, 503, 504})


def backoff(
    attempt: int, *, base: float = 0.05, cap: float = 2.0, jitter: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before try ``attempt + 1``: ``base`` doubled each time, at most ``cap``,
    plus up to as much again at random, so many instances do not retry in step."""
    delay: float = min(cap, base * 2**attempt)
    return delay + delay * float(jitter())


class SmokeClient:
    """Requests to one host, each retried on connection errors and 502/503/504 with backoff.

    ``project`` names the project a request is for; ``token`` signs it in.
    """

    def __init__(
        self,
        base_url: str,
        *,
        tries: int = 5,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tries = tries
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False)
        #: The domain projects are served under, learnt from the first project URL the host gives.
        self.domain = urlsplit(self.base_url).hostname or "localhost"
        #: Every exchange, newest last: ``(method, path, status or error)``, for diagnostics.
        self.history: list[tuple[str, str, str]] = []

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def learn_domain(self, project_url: str) -> None:
        """Take the projects' domain from a project's URL, ``http://<slug>.<domain>:<port>/``."""
        hostname = urlsplit(project_url).hostname or ""
        if "." in hostname:
            self.domain = hostname.split(".", 1)[1]

    def request(
        self, method: str, path: str, *, project: str | None = None, token: str | None = None, **options: Any
    ) -> httpx.Response:
        """One request, tried up to ``tries`` times while the answer is a connection error or
        502/503/504; the last answer, or the last connection error raised."""
        headers = dict(options.pop("headers", None) or {})
        if project is not None:
            headers["Host"] = f"{project}.{self.domain}"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(self.tries):
            try:
                response = self._http.request(method, path, headers=headers, **options)
            except httpx.TransportError as exc:
                self.history.append((method, path, type(exc).__name__))
                if attempt == self.tries - 1:
                    raise
            else:
                self.history.append((method, path, str(response.status_code)))
                if response.status_code not in RETRIED_STATUSES or attempt == self.tries - 1:
                    return response
            self._sleep(backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def get(self, path: str, **options: Any) -> httpx.Response:
        """``GET path``."""
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> httpx.Response:
        """``POST path``."""
        return self.request("POST", path, **options)

    def patch(self, path: str, **options: Any) -> httpx.Response:
        """``PATCH path``."""
        return self.request("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> httpx.Response:
        """``DELETE path``."""
        return self.request("DELETE", path, **options)
