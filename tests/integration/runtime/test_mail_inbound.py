"""Inbound mail over real SMTP: parsed, handed to runtime-app's ``on_mail``, stored, listed."""

from __future__ import annotations

import smtplib

import pytest

from harness import TestApp, UserClient

pytestmark = pytest.mark.local_only("delivers mail to the app's own SMTP listener")


def test_a_message_is_handled_stored_and_listed(runtime_app: TestApp, admin: UserClient) -> None:
    runtime_app.mail.send("bob@example.com", "inbox@runtime.test", "Hello there", "one two three")
    # send() returns after the handler ran: its row is there already
    [letter] = runtime_app.db["letters"].rows
    assert (letter["sender"], letter["subject"], letter["words"], letter["attachments"]) == (
        "bob@example.com",
        "Hello there",
        3,
        0,
    )
    response = admin.get("/api/_mail/inbox")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": 1,
                "from": "bob@example.com",
                "to": ["inbox@runtime.test"],
                "subject": "Hello there",
                "text": "one two three\n",
                "html": None,
                "attachments": [],
                "received_at": "2026-01-01T00:00:00.000Z",
            }
        ],
        "page": 1,
        "per_page": 20,
        "total": 1,
    }
    assert runtime_app.mail.inbox == response.json()["items"]


def test_attachments_are_listed_with_name_type_and_size(runtime_app: TestApp) -> None:
    runtime_app.mail.send(
        "carol@example.com",
        "inbox@runtime.test",
        "Report",
        "see attached",
        attachments=[
            ("report.csv", b"a,b\n1,2\n", "text/csv"),
            ("logo.png", b"\x89PNG" + b"\0" * 60, "image/png"),
        ],
    )
    [mail] = runtime_app.mail.inbox
    assert mail["attachments"] == [
        {"name": "report.csv", "content_type": "text/csv", "size": 8},
        {"name": "logo.png", "content_type": "image/png", "size": 64},
    ]
    assert next(iter(runtime_app.db["letters"].rows))["attachments"] == 2


def test_html_and_several_recipients_are_kept(runtime_app: TestApp) -> None:
    runtime_app.mail.send(
        "dan@example.com",
        ["a@runtime.test", "b@runtime.test"],
        "Both",
        "plain words",
        html="<p>rich words</p>",
    )
    [mail] = runtime_app.mail.inbox
    assert mail["to"] == ["a@runtime.test", "b@runtime.test"]
    assert (mail["text"], mail["html"]) == ("plain words\n", "<p>rich words</p>\n")


def test_received_at_follows_the_app_clock(runtime_app: TestApp) -> None:
    runtime_app.clock.set("2026-03-04T05:06:07Z")
    runtime_app.mail.send("eve@example.com", "inbox@runtime.test", "Timed", "now")
    assert runtime_app.mail.inbox[0]["received_at"] == "2026-03-04T05:06:07.000Z"


def test_a_message_over_10_mb_is_refused_and_stored_nowhere(runtime_app: TestApp) -> None:
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        runtime_app.mail.send("big@example.com", "inbox@runtime.test", "Huge", "x" * (10 * 1024 * 1024 + 1))
    assert refused.value.smtp_code == 552
    assert runtime_app.mail.inbox == []
    assert runtime_app.db["letters"].count == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"no headers at all, just words\r\n",
        b"Content-Type: multipart/mixed\r\nFrom: a@example.com\r\n\r\nno boundary\r\n",
    ],
    ids=["headerless", "multipart-without-boundary"],
)
def test_a_message_that_does_not_parse_is_refused_with_554(runtime_app: TestApp, raw: bytes) -> None:
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        runtime_app.mail.send_bytes("odd@example.com", "inbox@runtime.test", raw)
    assert refused.value.smtp_code == 554
    assert runtime_app.mail.inbox == []
    assert runtime_app.db["letters"].count == 0


def test_a_failing_handler_is_a_451_and_nothing_is_stored(runtime_app: TestApp) -> None:
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        runtime_app.mail.send("fay@example.com", "inbox@runtime.test", "please fail", "now")
    assert refused.value.smtp_code == 451
    assert runtime_app.mail.inbox == []
    errors = [r for r in runtime_app.logs if r.name == "kiln.mail" and r.levelname == "ERROR"]
    assert [r.getMessage() for r in errors] == [
        "the inbound mail handler failed on a message from fay@example.com"
    ]
    # and the next message goes through
    runtime_app.mail.send("fay@example.com", "inbox@runtime.test", "fine now", "ok")
    assert [mail["subject"] for mail in runtime_app.mail.inbox] == ["fine now"]


def test_the_inbox_is_newest_first_and_paged(runtime_app: TestApp, admin: UserClient) -> None:
    for number in range(1, 4):
        runtime_app.mail.send("gus@example.com", "inbox@runtime.test", f"number {number}", "x")
    page = admin.get("/api/_mail/inbox", params={"per_page": 2}).json()
    assert [mail["subject"] for mail in page["items"]] == ["number 3", "number 2"]
    assert (page["page"], page["per_page"], page["total"]) == (1, 2, 3)
    rest = admin.get("/api/_mail/inbox", params={"per_page": 2, "page": 2}).json()
    assert [mail["subject"] for mail in rest["items"]] == ["number 1"]
    bad = admin.get("/api/_mail/inbox", params={"sort": "id"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == 'unknown parameter "sort": the inbox takes page and per_page'
