"""Outbound mail: ``ctx.mail.send`` and verification mail delivered over SMTP to a FakeSMTP, the
outbox kept either way, and failed deliveries retried with backoff on the clock."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp
from harness.fakes import FakeSMTP

pytestmark = pytest.mark.local_only  # the fake mail server and the outbox live in the test process

LETTER = {"to": "ann@example.com", "subject": "Your order", "text": "It ships on Monday."}


def _notify(app: TestApp, **letter: Any) -> int:
    """POST /api/notify as a signed-in user; returns the outbox id from the 202 body."""
    user = app.as_user("sender@example.com")
    response = user.post("/api/notify", json=LETTER | letter)
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"id"}
    return int(body["id"])


def test_a_handlers_mail_arrives_at_the_outbound_server(mailing_app: TestApp, fake_smtp: FakeSMTP) -> None:
    mail_id = _notify(mailing_app)

    [message] = fake_smtp.wait_for(1)
    assert message["To"] == "ann@example.com"
    assert message["From"] == "runtime-app <noreply@runtime-app.localhost>"
    assert message["Subject"] == "Your order"
    assert message.get_content().strip() == "It ships on Monday."
    assert fake_smtp.envelopes == [("noreply@runtime-app.localhost", ["ann@example.com"])]
    [sent] = mailing_app.mail.outbox
    assert (sent.to, sent.status, sent.attempts, sent.last_error) == ("ann@example.com", "sent", 1, None)
    assert mail_id >= 1


def test_an_html_body_goes_as_an_alternative_to_the_text(mailing_app: TestApp, fake_smtp: FakeSMTP) -> None:
    _notify(mailing_app, html="<p>It ships on <b>Monday</b>.</p>")

    [message] = fake_smtp.wait_for(1)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "It ships on Monday."
    assert message.get_body(("html",)).get_content().strip() == "<p>It ships on <b>Monday</b>.</p>"
    assert mailing_app.mail.outbox[0].html == "<p>It ships on <b>Monday</b>.</p>"


def test_without_an_outbound_server_mail_is_stored_in_the_outbox(runtime_app: TestApp) -> None:
    first = _notify(runtime_app)
    second = _notify(runtime_app, to="bob@example.com", subject="Second")

    assert second == first + 1
    outbox = runtime_app.mail.outbox
    assert [(m.to, m.subject, m.status, m.attempts) for m in outbox] == [
        ("ann@example.com", "Your order", "stored", 0),
        ("bob@example.com", "Second", "stored", 0),
    ]


def test_verification_mail_is_delivered_and_its_token_verifies(test_app: Any, fake_smtp: FakeSMTP) -> None:
    app = test_app("auth-app", settings={"mail.outbound": fake_smtp.url})
    registered = app.post(
        "/auth/register", json={"email": "Cleo@Example.com", "password": "a long passphrase"}
    )
    assert registered.status_code == 201, registered.text

    [message] = fake_smtp.wait_for(1)
    assert message["To"] == "cleo@example.com"
    assert message["Subject"] == "Verify your email address"
    token = message.get_content().split("token: ")[1].split()[0]
    verified = app.post("/auth/verify", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["verified"] is True
    assert [(m.to, m.status) for m in app.mail.outbox] == [("cleo@example.com", "sent")]


def test_a_refused_delivery_is_logged_and_never_fails_the_request(
    mailing_app: TestApp, fake_smtp: FakeSMTP
) -> None:
    fake_smtp.refuse(451, "4.3.0 mailbox busy")

    _notify(mailing_app)  # 202 all the same

    [queued] = mailing_app.mail.outbox
    assert (queued.status, queued.attempts) == ("queued", 1)
    assert "mailbox busy" in (queued.last_error or "")
    [warning] = [r for r in mailing_app.logs if r.name == "kiln.mail" and "failed" in r.getMessage()]
    assert warning.levelname == "WARNING"
    assert "retrying at 2026-01-01T00:00:30" in warning.getMessage()
    assert fake_smtp.messages == []


def test_a_refused_mail_is_retried_when_the_clock_reaches_its_backoff(
    mailing_app: TestApp, fake_smtp: FakeSMTP
) -> None:
    fake_smtp.refuse()
    _notify(mailing_app)
    assert mailing_app.mail.outbox[0].attempts == 1  # reading the outbox waits for the first try
    fake_smtp.accept()

    mailing_app.clock.advance(seconds=29)
    assert (mailing_app.mail.outbox[0].status, fake_smtp.messages) == ("queued", [])

    mailing_app.clock.advance(seconds=1)
    [message] = fake_smtp.messages
    assert message["Subject"] == "Your order"
    [sent] = mailing_app.mail.outbox
    assert (sent.status, sent.attempts) == ("sent", 2)


def test_the_wait_between_tries_doubles(mailing_app: TestApp, fake_smtp: FakeSMTP) -> None:
    fake_smtp.refuse()
    _notify(mailing_app)
    assert mailing_app.mail.outbox[0].attempts == 1

    mailing_app.clock.advance(seconds=30)  # the second try: 30 s after the first
    assert mailing_app.mail.outbox[0].attempts == 2
    mailing_app.clock.advance(seconds=59)  # the third comes 60 s after the second
    assert mailing_app.mail.outbox[0].attempts == 2
    mailing_app.clock.advance(seconds=1)
    assert mailing_app.mail.outbox[0].attempts == 3
    mailing_app.clock.advance(seconds=120)
    assert mailing_app.mail.outbox[0].attempts == 4


def test_after_eight_tries_a_mail_is_failed_and_tried_no_more(
    mailing_app: TestApp, fake_smtp: FakeSMTP
) -> None:
    fake_smtp.refuse(550, "5.1.1 no such mailbox")
    _notify(mailing_app)
    assert mailing_app.mail.outbox[0].attempts == 1

    for _ in range(7):  # each wait is at most an hour
        mailing_app.clock.advance(hours=1)
    [failed] = mailing_app.mail.outbox
    assert (failed.status, failed.attempts) == ("failed", 8)
    assert "no such mailbox" in (failed.last_error or "")
    fake_smtp.accept()
    mailing_app.clock.advance(days=2)
    assert (mailing_app.mail.outbox[0].status, mailing_app.mail.outbox[0].attempts) == ("failed", 8)
    assert fake_smtp.messages == []
    levels = [r.levelname for r in mailing_app.logs if r.name == "kiln.mail" and "failed" in r.getMessage()]
    assert levels == ["WARNING"] * 7 + ["ERROR"]


def test_an_unreachable_server_queues_the_mail_and_the_next_one_still_goes(test_app: Any) -> None:
    closed = FakeSMTP().start()
    closed.close()  # its port now refuses connections
    app = test_app("runtime-app", settings={"mail.outbound": closed.url})
    app.clock.set("2026-01-01T00:00:00Z")

    _notify(app)
    _notify(app, to="bob@example.com")

    assert [(m.to, m.status, m.attempts) for m in app.mail.outbox] == [
        ("ann@example.com", "queued", 1),
        ("bob@example.com", "queued", 1),
    ]
    assert all("ConnectionRefusedError" in (m.last_error or "") for m in app.mail.outbox)
