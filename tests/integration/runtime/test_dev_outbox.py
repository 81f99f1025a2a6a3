"""The dev outbox, ``GET /_dev/outbox?to=``: the mail runtime-app sent to one address, which is how
the harness reads mail from a running ``kiln serve``. These run remotely too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp, assert_error, unique_id

PASSWORD = "a long passphrase"


def _address(name: str) -> str:
    return f"{unique_id(name)}@example.com".lower()


def _notify(app: TestApp, **letter: Any) -> int:
    sender = app.as_user(_address("sender"))
    response = sender.post("/api/notify", json={"subject": "Your order", "text": "It ships."} | letter)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def test_a_handlers_mail_shows_in_the_dev_outbox(runtime_app: TestApp) -> None:
    ann = _address("ann")
    mail_id = _notify(runtime_app, to=ann, html="<p>It ships.</p>")

    response = runtime_app.get("/_dev/outbox", params={"to": ann})

    assert response.status_code == 200
    [item] = response.json()["items"]
    created = item.pop("created_at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created)
    assert item == {
        "id": mail_id,
        "to": [ann],
        "from": "runtime-app <noreply@runtime-app.localhost>",
        "subject": "Your order",
        "text": "It ships.",
        "html": "<p>It ships.</p>",
        "status": "stored",
        "attempts": 0,
    }


def test_the_dev_outbox_matches_whole_addresses_in_any_case(runtime_app: TestApp) -> None:
    ann = _address("ann")
    _notify(runtime_app, to=["cc@example.com", ann])
    _notify(runtime_app, to="jo" + ann)  # contains ann's address, but is another one

    assert [m.to for m in runtime_app.mail.sent_to(ann.upper())] == [f"cc@example.com, {ann}"]
    assert len(runtime_app.mail.sent_to("jo" + ann)) == 1
    assert runtime_app.mail.sent_to(_address("nobody")) == []


def test_the_dev_outbox_needs_an_address(runtime_app: TestApp) -> None:
    for params in ({}, {"to": "not an address"}):
        error = assert_error(runtime_app.get("/_dev/outbox", params=params), 422, "validation_failed")
        assert error["fields"] == {"to": "is required"}


def test_verification_and_a_password_reset_go_through_the_outbox(runtime_app: TestApp) -> None:
    ann = _address("ann")
    registered = runtime_app.post("/auth/register", json={"email": ann, "password": PASSWORD})
    assert registered.status_code == 201
    assert "token" not in registered.json()  # verify_email: the token comes by mail
    [verification] = runtime_app.mail.sent_to(ann)
    token = re.search(r"token: (\S+)", verification.body).group(1)  # type: ignore[union-attr]
    verified = runtime_app.post("/auth/verify", json={"token": token})
    assert (verified.status_code, verified.json()["user"]["verified"]) == (200, True)
    assert runtime_app.post("/auth/forgot", json={"email": ann}).status_code == 202

    sent = runtime_app.mail.sent_to(ann)
    assert [mail.subject for mail in sent] == ["Verify your email address", "Reset your password"]
    token = re.search(r"token: (\S+)", sent[1].body).group(1)  # type: ignore[union-attr]
    reset = runtime_app.post("/auth/reset", json={"token": token, "password": "a newer passphrase"})

    assert reset.status_code == 200
    assert reset.json()["user"]["email"] == ann
    login = runtime_app.post("/auth/login", json={"email": ann, "password": "a newer passphrase"})
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/_cron/tick/trigger"),
        ("DELETE", "/api/_cron"),
        ("POST", "/api/_cron/tick/history"),
        ("DELETE", "/api/_mail/inbox"),
        ("POST", "/_dev/outbox"),
    ],
    ids=["get-trigger", "delete-jobs", "post-history", "delete-inbox", "post-dev-outbox"],
)
def test_the_runtime_routes_refuse_other_methods_with_405(
    runtime_app: TestApp, method: str, path: str
) -> None:
    response = runtime_app.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"]


def test_an_app_that_sends_no_mail_has_no_dev_outbox(test_app: Any) -> None:
    app = test_app("todo-app")
    assert_error(app.get("/_dev/outbox", params={"to": "ann@example.com"}), 404, "not_found")


@pytest.mark.local_only("serves the app in prod mode")
def test_in_prod_mode_there_is_no_dev_outbox(tmp_path: Path) -> None:
    from kiln.compiler import compile_app

    compiled = compile_app(Path(__file__).parents[2] / "fixtures" / "runtime-app")
    compiled.prepare(tmp_path)
    with TestApp(compiled.build(tmp_path, mode="prod", smtp=None)) as app:
        assert_error(app.get("/_dev/outbox", params={"to": "ann@example.com"}), 404, "not_found")
