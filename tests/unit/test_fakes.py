"""harness.fakes: FakeHTTP and FakeSMTP are real servers on port 0 that record what they get and
answer as scripted, including failures and delays, and tests wait on them without sleeping."""

from __future__ import annotations

import smtplib
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import httpx
import pytest

from harness import HarnessError
from harness.fakes import FakeHTTP, FakeSMTP


@pytest.fixture
def fake() -> FakeHTTP:
    with FakeHTTP() as server:
        yield server


def _mail(subject: str = "Hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message["To"] = "bob@example.com"
    message["Subject"] = subject
    message.set_content("See you at noon.")
    return message


def test_an_unscripted_request_gets_404_and_is_recorded(fake: FakeHTTP) -> None:
    with fake.client() as client:
        response = client.post("/hooks/deploy?env=staging", json={"ref": "main"}, headers={"X-Token": "t1"})

    assert response.status_code == 404
    assert response.json() == {"error": "FakeHTTP has no script for POST /hooks/deploy"}
    [recorded] = fake.requests
    assert (recorded.method, recorded.path, recorded.query) == ("POST", "/hooks/deploy", {"env": "staging"})
    assert recorded.headers["x-token"] == "t1"
    assert recorded.json() == {"ref": "main"}


def test_a_scripted_answer_has_its_status_body_and_headers(fake: FakeHTTP) -> None:
    fake.script("GET", "/v1/users/7", status=201, json={"id": 7}, headers={"X-Rate-Left": "99"})
    fake.script("get", "/plain", text="pong")

    with fake.client() as client:
        user = client.get("/v1/users/7")
        plain = client.get("/plain")
        other_method = client.delete("/v1/users/7")

    assert (user.status_code, user.json(), user.headers["x-rate-left"]) == (201, {"id": 7}, "99")
    assert (plain.status_code, plain.text, plain.headers["content-type"]) == (
        200,
        "pong",
        "text/plain; charset=utf-8",
    )
    assert other_method.status_code == 404


def test_times_lets_a_script_fail_first_and_then_succeed(fake: FakeHTTP) -> None:
    first = fake.script("POST", "/send", status=503, json={"error": "busy"}, times=2)
    fake.script("POST", "/send", status=200, json={"ok": True})

    with fake.client() as client:
        statuses = [client.post("/send").status_code for _ in range(4)]

    assert statuses == [503, 503, 200, 200]
    assert first.used == 2


def test_a_delay_holds_the_answer_back(fake: FakeHTTP) -> None:
    fake.script("GET", "/slow", json={"late": True}, delay=1.0)
    fake.script("GET", "/fast", json={"late": False})

    with fake.client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/slow")
        assert client.get("/fast").json() == {"late": False}


def test_hold_keeps_a_caller_waiting_until_the_test_lets_it_go(fake: FakeHTTP) -> None:
    fake.script("GET", "/release", json={"go": True})
    gate = fake.hold("GET", "/release")

    with ThreadPoolExecutor(1) as pool, fake.client(timeout=10) as client:
        pending = pool.submit(client.get, "/release")
        [arrived] = fake.wait_for(1, "GET", "/release")
        assert arrived.path == "/release"
        assert not pending.done()
        gate.set()
        assert pending.result(timeout=10).json() == {"go": True}


def test_wait_for_counts_only_matching_requests_and_says_what_it_missed(fake: FakeHTTP) -> None:
    with fake.client() as client:
        client.get("/a")
        client.post("/a")
        client.get("/b")

    assert [r.method for r in fake.wait_for(1, method="POST")] == ["POST"]
    assert [r.path for r in fake.wait_for(2, path="/a")] == ["/a", "/a"]
    with pytest.raises(HarnessError, match=r"waited 0.05 s for 2 requests to /b; 1 arrived"):
        fake.wait_for(2, path="/b", timeout=0.05)


def test_a_closed_fake_refuses_connections() -> None:
    with FakeHTTP() as server:
        url = server.url
    with pytest.raises(httpx.ConnectError), httpx.Client(trust_env=False) as client:
        client.get(url + "/")


def test_fake_smtp_keeps_each_message_and_its_envelope() -> None:
    with FakeSMTP() as server, smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        smtp.send_message(_mail("First"))
        smtp.sendmail("bounce@example.com", ["bob@example.com", "cc@example.com"], _mail("Second").as_bytes())
        messages = server.wait_for(2)

    assert [m["Subject"] for m in messages] == ["First", "Second"]
    assert messages[0].get_content().strip() == "See you at noon."
    assert server.envelopes == [
        ("ann@example.com", ["bob@example.com"]),
        ("bounce@example.com", ["bob@example.com", "cc@example.com"]),
    ]
    assert server.url == f"smtp://127.0.0.1:{server.port}"


def test_fake_smtp_refuses_with_the_reply_given_until_it_accepts_again() -> None:
    with FakeSMTP() as server, smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        server.refuse(452, "4.2.2 mailbox full")
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(_mail("Refused"))
        server.accept()
        smtp.send_message(_mail("Accepted"))
        [message] = server.wait_for(1)

    assert (refused.value.smtp_code, refused.value.smtp_error) == (452, b"4.2.2 mailbox full")
    assert message["Subject"] == "Accepted"
    assert len(server.envelopes) == 1


def test_fake_smtp_wait_for_times_out_with_a_clear_error() -> None:
    with FakeSMTP() as server, pytest.raises(HarnessError, match=r"waited 0.05 s for 1 messages; 0 arrived"):
        server.wait_for(1, timeout=0.05)


def test_fake_smtp_wait_for_to_counts_only_mail_to_that_address() -> None:
    with FakeSMTP() as server, smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
        smtp.send_message(_mail("For Bob"))
        for_carol = _mail("For Carol")
        for_carol.replace_header("To", "Carol <Carol@Example.com>, dave@example.com")
        smtp.send_message(for_carol)
        no_to = _mail("Blind copy")
        del no_to["To"]
        smtp.sendmail("ann@example.com", ["erin@example.com"], no_to.as_bytes())  # no To header at all
        smtp.send_message(_mail("Bob again"))
        to_bob = server.wait_for(2, to="bob@example.com")
        to_carol = server.wait_for(to="carol@example.com")  # one, by default
        with pytest.raises(HarnessError, match=r"for 1 messages to erin@example.com; 0 arrived"):
            server.wait_for(1, timeout=0.05, to="erin@example.com")

    assert [m["Subject"] for m in to_bob] == ["For Bob", "Bob again"]
    assert [m["Subject"] for m in to_carol] == ["For Carol"]


def test_a_closed_fake_smtp_refuses_connections() -> None:
    with FakeSMTP() as server:
        port = server.port
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", port, timeout=5)
