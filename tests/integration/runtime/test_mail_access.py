"""Who may read the inbox and send mail through runtime-app: these run remotely too."""

from __future__ import annotations

from harness import TestApp, unique_id


def test_the_inbox_needs_a_signed_in_admin(runtime_app: TestApp) -> None:
    anonymous = runtime_app.get("/api/_mail/inbox")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    user = runtime_app.as_user(unique_id("inbox-reader") + "@example.com")
    forbidden = user.get("/api/_mail/inbox")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == "this needs the admin role"


def test_sending_mail_needs_a_signed_in_user(runtime_app: TestApp) -> None:
    response = runtime_app.post("/api/notify", json={"to": "x@example.com", "subject": "s", "text": "t"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_signed_in_user_queues_mail_and_gets_its_id(runtime_app: TestApp) -> None:
    user = runtime_app.as_user(unique_id("sender") + "@example.com")
    response = user.post("/api/notify", json={"to": "x@example.com", "subject": "Hi", "text": "there"})
    assert response.status_code == 202
    assert isinstance(response.json()["id"], int)
