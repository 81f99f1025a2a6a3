"""The smoke steps, in order: each a small function of one :class:`Instance` that raises
``AssertionError`` (or any error) when what it checks does not hold. A user can call them from
pytest as well, one by one, on an instance of their own.

Setup signs a user up and deploys the fixture (runtime-app); the steps exercise the deployed
project end to end; teardown removes what the instance made, each part on its own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.fakes import FakeSMTP
from harness.kiln_adapter import bundle
from harness.smoke.client import SmokeClient

__all__ = ["SETUP", "STEPS", "TEARDOWN", "Instance", "Refused", "Step", "new_instance"]

#: Every test user's address starts so, and stale ones are removed by this prefix.
PREFIX = "st-"
#: How long a step waits for mail the host delivers after it answered, in seconds.
MAIL_WAIT = 10.0


class Refused(Exception):
    """The runner will not run against this host (its health says ``prod``)."""


@dataclass
class Instance:
    """One run of the steps: its own user, projects and tokens on one host."""

    id: str
    client: SmokeClient
    fixture: Path
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    host_token: str | None = None
    project_token: str | None = None
    #: The host's SMTP port for its projects' mail (``kiln host --smtp-port``), when known.
    smtp_port: int | None = None
    #: Where the host's own mail goes when the runner started the host (its ``--outbound``);
    #: ``None`` reads it from the dev outbox.
    mailbox: FakeSMTP | None = None
    #: The projects this instance deployed and has not taken down, for teardown.
    projects: list[str] = field(default_factory=list)

    @property
    def email(self) -> str:
        """The instance's user: ``st-<id>@test.com``."""
        return f"{PREFIX}{self.id}@test.com"

    @property
    def slug(self) -> str:
        """The instance's project: ``st-<id>``."""
        return f"{PREFIX}{self.id}"

    def owner(self, method: str, what: str, **options: Any) -> httpx.Response:
        """A request to the owner endpoint ``what`` of the instance's project."""
        return self.client.request(
            method, f"/_host/projects/{self.slug}/{what}", token=self.host_token, **options
        )

    def project(self, method: str, path: str, *, admin: bool = True, **options: Any) -> httpx.Response:
        """A request to the instance's project, as its admin unless ``admin=False``."""
        token = self.project_token if admin else None
        return self.client.request(method, path, project=self.slug, token=token, **options)

    def sql(self, statement: str) -> list[list[Any]]:
        """The rows of a read-only statement on the project's database."""
        response = self.owner("POST", "sql", json={"sql": statement})
        _expect(response, 200)
        rows: list[list[Any]] = response.json()["rows"]
        return rows

    def advance(self, seconds: float) -> None:
        """Move the project's clock (dev mode): cron and workflow sleeps run before it answers."""
        _expect(self.owner("POST", "clock", json={"advance": seconds}), 200)


def new_instance(
    client: SmokeClient, fixture: Path, *, smtp_port: int | None = None, mailbox: FakeSMTP | None = None
) -> Instance:
    """An instance with a fresh id."""
    return Instance(uuid.uuid4().hex[:8], client, fixture, smtp_port=smtp_port, mailbox=mailbox)


def _expect(response: httpx.Response, *statuses: int) -> Any:
    """The JSON of ``response`` if its status is one of ``statuses``; AssertionError naming the
    request and the answer otherwise."""
    if response.status_code not in statuses:
        request = response.request
        raise AssertionError(
            f"{request.method} {request.url.path} answered {response.status_code}, expected "
            f"{' or '.join(map(str, statuses))}: {response.text[:500]}"
        )
    return (
        response.json() if response.content and "json" in response.headers.get("content-type", "") else None
    )


def _mailed_token(instance: Instance, address: str, project: str | None = None) -> str:
    """The token in the newest mail to ``address`` from ``project``, or from the host: read from
    the runner's own FakeSMTP when the host's mail goes there, from the dev outbox otherwise."""
    if project is None and instance.mailbox is not None:
        text = str(instance.mailbox.wait_for(1, timeout=MAIL_WAIT, to=address)[-1].get_content())
    else:
        items = _expect(instance.client.get("/_host/dev/outbox", params={"to": address}), 200)["items"]
        mine = [item for item in items if item.get("project") == project]
        assert mine, f"no mail to {address} from {project or 'the host'} in the dev outbox"
        text = mine[0]["text"]
    found = re.search(r"token: (\S+)", text)
    assert found, f"the mail to {address} has no token: {text[:200]}"
    return found.group(1)


def _login(instance: Instance, email: str) -> str:
    body = {"email": email, "password": instance.password}
    token: str = _expect(instance.client.post("/_host/auth/login", json=body), 200)["token"]
    return token


# -- setup ---------------------------------------------------------------------------------------


def host_is_reachable(instance: Instance) -> None:
    """``/_host/health`` answers ok (retried with backoff); a ``prod`` host is refused."""
    health = _expect(instance.client.get("/_host/health"), 200)
    assert health["status"] == "ok", health
    if health["mode"] == "prod":
        raise Refused(f"{instance.client.base_url} is a prod host: kiln-smoke runs against dev hosts only")


def user_signs_up_and_verifies(instance: Instance) -> None:
    """``st-<id>@test.com`` registers, follows the mailed token, and logs in."""
    body = {"email": instance.email, "password": instance.password}
    registered = _expect(instance.client.post("/_host/auth/register", json=body), 201)
    assert registered["user"]["verified"] is False
    token = _mailed_token(instance, instance.email)
    verified = _expect(instance.client.post("/_host/auth/verify", json={"token": token}), 200)
    assert verified["user"]["verified"] is True
    instance.host_token = _login(instance, instance.email)


def fixture_deployed(instance: Instance) -> None:
    """The fixture, bundled, deploys as ``st-<id>``, and its owner gets a project token."""
    files = {"bundle": (f"{instance.slug}.tar.gz", bundle(instance.fixture), "application/gzip")}
    response = instance.client.post(
        "/_host/projects", data={"slug": instance.slug}, files=files, token=instance.host_token
    )
    deployed = _expect(response, 201)
    assert deployed["slug"] == instance.slug
    instance.projects.append(instance.slug)
    instance.client.learn_domain(deployed["url"])
    instance.project_token = _expect(instance.owner("POST", "token"), 200)["token"]
    _expect(instance.owner("POST", "clock", json={"set": "2026-01-01T00:00:00Z"}), 200)


# -- steps ---------------------------------------------------------------------------------------


def health_and_a_secret(instance: Instance) -> None:
    """The project's ``/health``; a secret set through the host reaches its handlers."""
    health = _expect(instance.project("GET", "/health", admin=False), 200)
    assert health["status"] == "ok", health
    assert _expect(instance.project("GET", "/api/status"), 200) == {"secrets": {"API_KEY": False}}
    stored = _expect(
        instance.owner("POST", "secrets", json={"name": "API_KEY", "value": f"key-{instance.id}"}), 200
    )
    assert stored == {"secrets": ["API_KEY"]}
    assert _expect(instance.project("GET", "/api/status"), 200) == {"secrets": {"API_KEY": True}}


def static_files(instance: Instance) -> None:
    """``/static/app.css`` with its type, ETag and cache header; 304 for its ETag; a path out of
    ``static/`` is 404, and never the app's own files."""
    css = instance.project("GET", "/static/app.css", admin=False)
    _expect(css, 200)
    assert css.headers["content-type"].startswith("text/css"), css.headers
    assert "font-family" in css.text, css.text[:200]
    assert css.headers["cache-control"] == "public, max-age=3600", css.headers
    again = instance.project(
        "GET", "/static/app.css", admin=False, headers={"If-None-Match": css.headers["etag"]}
    )
    assert again.status_code == 304, again.text
    for escape in ("/static/%2e%2e/app.toml", "/static/..%2fhandlers.py"):
        outside = instance.project("GET", escape, admin=False)
        assert outside.status_code == 404, f"{escape} answered {outside.status_code}: {outside.text[:200]}"


def spa_fallback(instance: Instance) -> None:
    """A browser navigation no route answers gets ``static/index.html`` (no-cache); an API client
    and a path under ``/api/`` keep their 404."""
    page = instance.project("GET", "/boards/7/settings", admin=False, headers={"Accept": "text/html"})
    _expect(page, 200)
    assert "runtime-app: the single-page shell" in page.text, page.text[:200]
    assert page.headers["cache-control"] == "no-cache", page.headers
    for path, accept in (("/boards/7/settings", "application/json"), ("/api/nothing-here", "text/html")):
        missing = instance.project("GET", path, admin=False, headers={"Accept": accept})
        error = _expect(missing, 404)
        assert error["error"]["code"] == "not_found", (path, accept, error)


def crud_checked_through_sql(instance: Instance) -> None:
    """Create, read, update and delete a todo, the stored row checked through ``/sql`` each time."""
    created = _expect(instance.project("POST", "/api/todos", json={"title": f"smoke {instance.id}"}), 201)
    assert instance.sql(f"SELECT title, done FROM todos WHERE id = {int(created['id'])}") == [
        [f"smoke {instance.id}", 0]
    ]
    read = _expect(instance.project("GET", f"/api/todos/{created['id']}"), 200)
    assert read["title"] == f"smoke {instance.id}"
    updated = _expect(instance.project("PATCH", f"/api/todos/{created['id']}", json={"done": True}), 200)
    assert updated["done"] is True
    assert instance.sql(f"SELECT done FROM todos WHERE id = {int(created['id'])}") == [[1]]
    instance.project("DELETE", f"/api/todos/{created['id']}")
    assert instance.sql("SELECT count(*) FROM todos") == [[0]]


def wasm_adds(instance: Instance) -> None:
    """The fixture's WASM module: 5 + 7 = 12."""
    assert _expect(instance.project("GET", "/api/add", params={"a": 5, "b": 7}), 200) == {"result": 12}


def files_upload_download_list_and_delete(instance: Instance) -> None:
    """A file uploaded, downloaded byte for byte, listed, its row checked through ``/sql``, then
    deleted: gone from the list, the table and its URL."""
    content = f"smoke {instance.id}: a file of the smoke run\n".encode() * 64
    upload = {"file": (f"notes-{instance.id}.txt", content, "text/plain")}
    stored = _expect(instance.project("POST", "/api/_files", files=upload), 201)
    assert (stored["name"], stored["size"]) == (f"notes-{instance.id}.txt", len(content)), stored
    assert stored["sha256"] == hashlib.sha256(content).hexdigest(), stored
    download = instance.project("GET", stored["url"])
    _expect(download, 200)
    assert download.content == content, f"the download differs: {len(download.content)} bytes"
    assert download.headers["etag"].strip('"') == stored["sha256"], download.headers
    listed = _expect(instance.project("GET", "/api/_files", params={"prefix": f"notes-{instance.id}"}), 200)
    assert [item["id"] for item in listed["items"]] == [stored["id"]], listed
    row = f"SELECT name, size FROM _kiln_files WHERE id = {int(stored['id'])}"
    assert instance.sql(row) == [[f"notes-{instance.id}.txt", len(content)]]
    deleted = _expect(instance.project("DELETE", f"/api/_files/{stored['id']}"), 200)
    assert deleted["deleted"]["id"] == stored["id"], deleted
    assert instance.sql(row) == []
    gone = instance.project("GET", stored["url"])
    assert gone.status_code == 404, gone.text[:200]
    listed = _expect(instance.project("GET", "/api/_files", params={"prefix": f"notes-{instance.id}"}), 200)
    assert listed["items"] == [], listed


def presigned_put_and_get(instance: Instance) -> None:
    """A presigned PUT stores a body with no token; a presigned GET serves it back; a tampered
    signature is 403 ``forbidden``."""
    name = f"reports/{instance.id}.csv"
    body = f"run,id\nsmoke,{instance.id}\n".encode()

    def presign(method: str) -> str:
        signed = _expect(
            instance.project(
                "POST", "/api/_files/presign", json={"method": method, "name": name, "expires_in": 600}
            ),
            200,
        )
        assert signed["method"] == method, signed
        url: str = signed["url"]
        return url

    put_url = presign("PUT")
    stored = _expect(
        instance.project("PUT", put_url, admin=False, content=body, headers={"Content-Type": "text/csv"}), 201
    )
    assert (stored["name"], stored["size"]) == (name, len(body)), stored
    fetched = instance.project("GET", presign("GET"), admin=False)
    _expect(fetched, 200)
    assert fetched.content == body, fetched.content[:200]
    tampered = re.sub(
        r"signature=([0-9a-f])", lambda m: "signature=" + ("1" if m[1] != "1" else "2"), put_url
    )
    refused = instance.project("PUT", tampered, admin=False, content=b"not mine")
    assert _expect(refused, 403)["error"]["code"] == "forbidden", refused.text
    assert instance.sql(f"SELECT count(*) FROM _kiln_files WHERE name = '{name}'") == [[1]]


def inbound_mail_received_parsed_and_stored(instance: Instance) -> None:
    """A letter with an attachment sent to ``inbox@<slug>.<domain>`` over the host's SMTP port: in
    the project's inbox, and stored by its handler."""
    if instance.smtp_port is None:
        raise AssertionError(
            "the host's SMTP port is not known: start kiln host with --smtp-port P, "
            "and pass kiln-smoke --smtp-port P"
        )
    letter = EmailMessage()
    letter["From"] = f"{PREFIX}{instance.id}-sender@test.com"
    letter["To"] = f"inbox@{instance.slug}.{instance.client.domain}"
    letter["Subject"] = f"smoke {instance.id}"
    letter.set_content("four words of smoke")
    letter.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="numbers.csv")
    server = urlsplit(instance.client.base_url).hostname or "127.0.0.1"
    with smtplib.SMTP(server, instance.smtp_port, timeout=10) as smtp:
        smtp.send_message(letter)  # returns once the project's handler has run
    inbox = _expect(instance.project("GET", "/api/_mail/inbox"), 200)["items"]
    mine = [item for item in inbox if item["subject"] == f"smoke {instance.id}"]
    assert len(mine) == 1, inbox
    assert (mine[0]["from"], mine[0]["to"]) == (letter["From"], [letter["To"]]), mine[0]
    assert [(a["name"], a["content_type"]) for a in mine[0]["attachments"]] == [("numbers.csv", "text/csv")]
    stored = instance.sql(
        f"SELECT sender, words, attachments FROM letters WHERE subject = 'smoke {instance.id}'"
    )
    assert stored == [[letter["From"], 4, 1]], stored


def _member(instance: Instance) -> str:
    """The instance's project user."""
    return f"{PREFIX}{instance.id}-member@test.com"


def project_signup_then_verification(instance: Instance) -> None:
    """A project user signs up (no token: the project verifies email), follows the mailed token,
    and is verified when they sign in."""
    address = _member(instance)
    body = {"email": address, "password": instance.password}
    registered = _expect(instance.project("POST", "/auth/register", admin=False, json=body), 201)
    assert (registered["user"]["verified"], "token" in registered) == (False, False), registered
    token = _mailed_token(instance, address, project=instance.slug)
    verified = _expect(instance.project("POST", "/auth/verify", admin=False, json={"token": token}), 200)
    assert verified["user"]["verified"] is True, verified
    login = _expect(instance.project("POST", "/auth/login", admin=False, json=body), 200)
    assert (login["user"]["email"], login["user"]["verified"]) == (address, True), login


def project_password_reset(instance: Instance) -> None:
    """The project user asks for a reset, follows the mailed token, and signs in with the new
    password; the old one no longer works."""
    address = _member(instance)
    _expect(instance.project("POST", "/auth/forgot", admin=False, json={"email": address}), 202)
    token = _mailed_token(instance, address, project=instance.slug)
    fresh = f"{instance.password}-new"
    _expect(
        instance.project("POST", "/auth/reset", admin=False, json={"token": token, "password": fresh}), 200
    )
    login = instance.project("POST", "/auth/login", admin=False, json={"email": address, "password": fresh})
    assert _expect(login, 200)["user"]["email"] == address
    old = {"email": address, "password": instance.password}
    assert _expect(instance.project("POST", "/auth/login", admin=False, json=old), 401)["error"]["code"] == (
        "invalid_credentials"
    )


def unverified_deploy_refused(instance: Instance) -> None:
    """A host user who has not verified logs in, and their deploy is refused with 403."""
    address = f"{PREFIX}{instance.id}-unverified@test.com"
    _expect(
        instance.client.post("/_host/auth/register", json={"email": address, "password": instance.password}),
        201,
    )
    token = _login(instance, address)
    files = {"bundle": ("b.tar.gz", bundle(instance.fixture), "application/gzip")}
    refused = instance.client.post(
        "/_host/projects", data={"slug": f"{instance.slug}-u"}, files=files, token=token
    )
    assert _expect(refused, 403)["error"]["code"] == "email_not_verified"


def cron_trigger_history_and_a_failing_job(instance: Instance) -> None:
    """A job triggered by hand, one run by the clock, and a failing job: all in the history."""
    triggered = _expect(instance.project("POST", "/api/_cron/tick/trigger"), 200)
    assert triggered["status"] == "ok", triggered
    instance.advance(300)  # 00:05: tick comes due
    history = _expect(instance.project("GET", "/api/_cron/tick/history"), 200)["items"]
    newest = [(run["trigger"], run["started_at"], run["status"]) for run in history[:2]]
    assert newest == [
        ("schedule", "2026-01-01T00:05:00.000Z", "ok"),
        ("manual", "2026-01-01T00:00:00.000Z", "ok"),
    ], history
    failed = _expect(instance.project("POST", "/api/_cron/broken/trigger"), 200)
    assert failed["status"] == "error", failed
    jobs = {job["name"]: job for job in _expect(instance.owner("GET", "cron"), 200)["items"]}
    assert (jobs["tick"]["last_status"], jobs["broken"]["last_status"]) == ("ok", "error"), jobs


def logs_show_the_project(instance: Instance) -> None:
    """The project's log has its requests and the failing job's error, and no other project's."""
    lines = _expect(instance.owner("GET", "logs", params={"since": "10m"}), 200)["items"]
    assert any("/api/_cron/broken/trigger" in line["message"] for line in lines), lines[-5:]
    assert any(line["level"] == "error" and "broken" in line["message"] for line in lines), lines[-5:]


def workflow_with_sleeps_and_dedup(instance: Instance) -> None:
    """The smoke workflow doubles, sleeps six times on the dev clock, persists; a second start of
    its id starts nothing."""
    run_id = f"smoke-{instance.id}"
    body = {"input": {"n": 21}, "id": run_id}
    assert (
        _expect(instance.project("POST", "/api/_workflows/double-and-persist", json=body), 202)["id"]
        == run_id
    )
    again = _expect(instance.project("POST", "/api/_workflows/double-and-persist", json=body), 200)
    assert again["id"] == run_id
    instance.advance(0)  # runs what is due now: the run, to its first sleep (whether or not the host had)
    assert _expect(instance.project("GET", f"/api/_workflows/runs/{run_id}"), 200)["status"] == "sleeping"
    for _ in range(6):
        instance.advance(10)
    run = _expect(instance.project("GET", f"/api/_workflows/runs/{run_id}"), 200)
    assert (run["status"], run["output"]) == ("completed", 42), run
    assert instance.sql(f"SELECT n FROM results WHERE run_id = '{run_id}'") == [[42]]


def a_second_project_beside_the_first(instance: Instance) -> None:
    """The fixture deployed again under another name serves its own, empty database."""
    second = f"{instance.slug}-b"
    files = {"bundle": (f"{second}.tar.gz", bundle(instance.fixture), "application/gzip")}
    _expect(
        instance.client.post(
            "/_host/projects", data={"slug": second}, files=files, token=instance.host_token
        ),
        201,
    )
    instance.projects.append(second)
    _expect(instance.project("POST", "/api/todos", json={"title": "only in the first"}), 201)
    listed = _expect(instance.client.get("/api/todos", project=second), 200)
    assert listed["items"] == [], listed


def a_rename_and_its_redirect(instance: Instance) -> None:
    """The second project renamed: served at the new name, and the old one answers 308 there."""
    old, new = f"{instance.slug}-b", f"{instance.slug}-c"
    renamed = _expect(
        instance.client.patch(f"/_host/projects/{old}", json={"slug": new}, token=instance.host_token), 200
    )
    assert renamed["slug"] == new
    instance.projects[instance.projects.index(old)] = new
    moved = instance.client.get("/api/todos", project=old, follow_redirects=False)
    assert moved.status_code == 308, moved.text
    assert moved.headers["location"].startswith(f"http://{new}.{instance.client.domain}")
    _expect(instance.client.get("/api/todos", project=new), 200)


def a_takedown_and_its_cleanup(instance: Instance) -> None:
    """The renamed project taken down: 204, then 404 at its name."""
    name = f"{instance.slug}-c"
    _expect(instance.client.delete(f"/_host/projects/{name}", token=instance.host_token), 204)
    instance.projects.remove(name)
    gone = instance.client.get("/api/todos", project=name)
    assert gone.status_code == 404, gone.text


# -- teardown ------------------------------------------------------------------------------------


def projects_taken_down(instance: Instance) -> None:
    """Every project the instance deployed and still has is taken down."""
    for slug in list(instance.projects):
        _expect(instance.client.delete(f"/_host/projects/{slug}", token=instance.host_token), 204, 404)
        instance.projects.remove(slug)


Step = Callable[[Instance], None]
#: Run first, in order; a failure stops the instance (teardown still runs).
SETUP: list[Step] = [host_is_reachable, user_signs_up_and_verifies, fixture_deployed]
#: The checks on the deployed project, in order.
STEPS: list[Step] = [
    health_and_a_secret,
    static_files,
    spa_fallback,
    crud_checked_through_sql,
    wasm_adds,
    files_upload_download_list_and_delete,
    presigned_put_and_get,
    inbound_mail_received_parsed_and_stored,
    project_signup_then_verification,
    project_password_reset,
    unverified_deploy_refused,
    cron_trigger_history_and_a_failing_job,
    logs_show_the_project,
    workflow_with_sleeps_and_dedup,
    a_second_project_beside_the_first,
    a_rename_and_its_redirect,
    a_takedown_and_its_cleanup,
]
#: Run in a ``finally``; each is non-fatal (a failure is a warning, and the rest go on). The
#: instance's users are removed by the runner with the administrator's token.
TEARDOWN: list[Step] = [projects_taken_down]
