"""The host's mail: inbound SMTP routed by the recipient's domain to the project's handler, and
the dev outbox showing the host's mail and every project's, each with its project."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from harness import TestApp
from kiln.hosting import Host

pytestmark = pytest.mark.local_only("serves a kiln host of its own")
PASSWORD = "correct horse battery"


@pytest.fixture
def hosted(test_app: Any) -> tuple[TestApp, Host]:
    """A host taking mail on a free port, and the Host itself (for that port)."""
    made: list[Host] = []

    def factory(root: Any) -> Host:
        made.append(Host(root, smtp=("127.0.0.1", 0), testing=True))
        return made[0]

    app: TestApp = test_app(factory)
    return app, made[0]


def _user(app: TestApp, email: str) -> dict[str, str]:
    import re

    app.post("/_host/auth/register", json={"email": email, "password": PASSWORD})
    [mail] = app.get("/_host/dev/outbox", params={"to": email}).json()["items"]
    app.post("/_host/auth/verify", json={"token": re.search(r"token: (\S+)", mail["text"]).group(1)})  # type: ignore[union-attr]
    token = app.post("/_host/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _deploy(app: TestApp, signed_in: dict[str, str], slug: str, bundle: bytes) -> None:
    files = {"bundle": ("b.tar.gz", bundle, "application/gzip")}
    response = app.post("/_host/projects", data={"slug": slug}, files=files, headers=signed_in)
    assert response.status_code == 201, response.text


def _letter(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sender@example.com", to, subject
    message.set_content("three words here")
    return message


def test_mail_to_a_projects_domain_reaches_its_handler(
    hosted: tuple[TestApp, Host], bundle: Callable[[str], bytes]
) -> None:
    app, host = hosted
    ann = _user(app, "ann@example.com")
    _deploy(app, ann, "rt", bundle("runtime-app"))
    _deploy(app, ann, "other", bundle("runtime-app"))
    assert host.mail.port is not None

    with smtplib.SMTP("127.0.0.1", host.mail.port, timeout=10) as smtp:
        smtp.send_message(_letter("hello@rt.localhost", "for rt"))

    rows = app.post(
        "/_host/projects/rt/sql", json={"sql": "SELECT sender, subject, words FROM letters"}, headers=ann
    )
    assert rows.json()["rows"] == [["sender@example.com", "for rt", 3]]
    elsewhere = app.post(
        "/_host/projects/other/sql", json={"sql": "SELECT count(*) FROM letters"}, headers=ann
    )
    assert elsewhere.json()["rows"] == [[0]]
    inbox = app.post("/_host/projects/rt/sql", json={"sql": "SELECT subject FROM _kiln_inbox"}, headers=ann)
    assert inbox.json()["rows"] == [["for rt"]]


def test_mail_for_no_project_is_refused_at_rcpt(
    hosted: tuple[TestApp, Host], bundle: Callable[[str], bytes]
) -> None:
    app, host = hosted
    ann = _user(app, "ann@example.com")
    _deploy(app, ann, "site", bundle("todo-app"))  # serves, but takes no mail
    assert host.mail.port is not None

    for address in ("x@nobody.localhost", "x@site.localhost", "x@example.com"):
        with (
            smtplib.SMTP("127.0.0.1", host.mail.port, timeout=10) as smtp,
            pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
        ):
            smtp.send_message(_letter(address, "lost"))
        [(code, reason)] = refused.value.recipients.values()
        assert code == 550
        assert reason.decode() == f"5.1.1 no project here takes mail for {address}"


def test_the_dev_outbox_shows_the_hosts_mail_and_the_projects_each_with_its_project(
    hosted: tuple[TestApp, Host], bundle: Callable[[str], bytes]
) -> None:
    app, _ = hosted
    ann = _user(app, "ann@example.com")
    _deploy(app, ann, "rt", bundle("runtime-app"))
    admin = app.post("/_host/projects/rt/token", headers=ann).json()["token"]
    sent = app.post(
        "/api/notify",
        json={"to": "ann@example.com", "subject": "from the project", "text": "hi"},
        headers={"Host": "rt.localhost", "Authorization": f"Bearer {admin}"},
    )
    assert sent.status_code == 202

    items = app.get("/_host/dev/outbox", params={"to": "ann@example.com"}).json()["items"]

    assert [(item["project"], item["subject"]) for item in items] == [
        ("rt", "from the project"),
        (None, "Verify your email address"),
    ]
    assert items[0]["text"] == "hi"
    assert app.get("/_host/dev/outbox", params={"to": "nobody@example.com"}).json() == {"items": []}
