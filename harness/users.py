"""``TestApp.as_user``: a client signed in as a user of the app."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["UserClient"]


class UserClient(httpx.Client):
    """An ``httpx.Client`` that sends ``Authorization: Bearer <token>`` on every request.

    ``token`` is the user's token and ``user`` the user as ``/auth/me`` shows it.
    """

    def __init__(self, *, token: str, user: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token
        self.user = user
        self.headers["Authorization"] = f"Bearer {token}"
