"""Record events: after each write commits, to subscribers who may read the record."""

from __future__ import annotations

from typing import Any

import pytest

from harness import TestApp, receive, settle

# A subscription sees every write to the entity: on a shared server, other tests' writes too.
pytestmark = pytest.mark.local_only(
    "subscribes to a whole entity, which other tests write to on a shared server"
)


@pytest.fixture
def subscribed(connect: Any, ask: Any) -> Any:
    """``subscribed(token=None, entities=("Notice",))``: a connection subscribed to those entities."""

    def make(token: str | None = None, entities: tuple[str, ...] = ("Notice",)) -> Any:
        ws = connect(token)
        for entity in entities:
            assert ask(ws, type="subscribe", entity=entity) == {"type": "subscribed", "entity": entity}
        return ws

    return make


def _events(ws: Any) -> list[tuple[str, str, Any]]:
    """The events that arrived, as (entity, action, record id), nothing else allowed."""
    arrived = settle(ws)
    assert all(message["type"] == "event" for message in arrived), arrived
    return [(m["entity"], m["action"], m["record"]["id"]) for m in arrived]


def test_a_create_sends_the_record_as_get_returns_it(chat_app: TestApp, subscribed: Any, user: Any) -> None:
    ws = subscribed()
    made = user().post("/api/notices", json={"text": "doors open at nine"}).json()
    event = receive(ws)
    assert event == {"type": "event", "entity": "Notice", "action": "created", "record": made}
    assert chat_app.get(f"/api/notices/{made['id']}").json() == event["record"]
    assert settle(ws) == []


def test_an_update_and_a_delete_follow(subscribed: Any, user: Any) -> None:
    ws = subscribed()
    writer = user()
    made = writer.post("/api/notices", json={"text": "v1"}).json()
    changed = writer.patch(f"/api/notices/{made['id']}", json={"text": "v2"}).json()
    writer.delete(f"/api/notices/{made['id']}")
    assert receive(ws)["action"] == "created"
    assert receive(ws) == {"type": "event", "entity": "Notice", "action": "updated", "record": changed}
    assert receive(ws) == {
        "type": "event",
        "entity": "Notice",
        "action": "deleted",
        "record": {"id": made["id"]},
    }
    assert settle(ws) == []


def test_a_write_that_fails_sends_nothing(subscribed: Any, user: Any) -> None:
    ws = subscribed()
    writer = user()
    assert writer.post("/api/notices", json={"text": None}).status_code == 422
    made = writer.post("/api/notices", json={"text": "kept"}).json()
    stale = writer.patch(f"/api/notices/{made['id']}", json={"text": "x"}, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert _events(ws) == [("Notice", "created", made["id"])]


def test_an_empty_patch_sends_nothing(subscribed: Any, user: Any) -> None:
    writer = user()
    made = writer.post("/api/notices", json={"text": "same"}).json()
    ws = subscribed()
    assert writer.patch(f"/api/notices/{made['id']}", json={}).status_code == 200
    assert _events(ws) == []


def test_only_subscribers_get_events_until_they_unsubscribe(
    connect: Any, ask: Any, subscribed: Any, user: Any
) -> None:
    listening, idle = subscribed(), connect()
    writer = user()
    first = writer.post("/api/notices", json={"text": "one"}).json()
    assert ask(listening, type="unsubscribe", entity="Notice") == {
        "type": "event",
        "entity": "Notice",
        "action": "created",
        "record": first,
    }
    assert receive(listening) == {"type": "unsubscribed", "entity": "Notice"}
    writer.post("/api/notices", json={"text": "two"})
    assert _events(listening) == []
    assert _events(idle) == []


def test_an_owned_record_goes_only_to_its_owner(subscribed: Any, user: Any) -> None:
    ann, ben = user(), user()
    ann_ws, ben_ws, nobody = (
        subscribed(ann.token, ("Entry",)),
        subscribed(ben.token, ("Entry",)),
        subscribed(None, ("Entry",)),
    )
    entry = ann.post("/api/entries", json={"text": "dear diary"}).json()
    ann.patch(f"/api/entries/{entry['id']}", json={"text": "dear diary, again"})
    ann.delete(f"/api/entries/{entry['id']}")
    assert _events(ann_ws) == [
        ("Entry", "created", entry["id"]),
        ("Entry", "updated", entry["id"]),
        ("Entry", "deleted", entry["id"]),
    ]
    assert _events(ben_ws) == []
    assert _events(nobody) == []


def test_a_cascade_sends_the_deletes_of_the_children(subscribed: Any, user: Any) -> None:
    ws = subscribed(None, ("Notice", "Reply"))
    writer = user()
    notice = writer.post("/api/notices", json={"text": "parent"}).json()
    replies = [
        writer.post("/api/replies", json={"text": f"r{n}", "notice_id": notice["id"]}).json()
        for n in range(2)
    ]
    assert writer.delete(f"/api/notices/{notice['id']}").json()["deleted"]["cascaded"] == {"Reply": 2}
    assert _events(ws) == [
        ("Notice", "created", notice["id"]),
        ("Reply", "created", replies[0]["id"]),
        ("Reply", "created", replies[1]["id"]),
        ("Notice", "deleted", notice["id"]),
        ("Reply", "deleted", replies[0]["id"]),
        ("Reply", "deleted", replies[1]["id"]),
    ]


@pytest.mark.parametrize("name", ["User", "Nope", 3], ids=["users", "unknown", "not-a-name"])
def test_subscribing_to_a_name_no_collection_has_is_refused(connect: Any, ask: Any, name: Any) -> None:
    ws = connect()
    assert ask(ws, type="subscribe", entity=name) == {
        "type": "error",
        "code": "unknown_entity",
        "message": f"no entity is named {name!r}",
    }
    assert settle(ws) == []


def test_a_reference_cleared_by_a_delete_sends_the_update_to_the_owner_only(
    subscribed: Any, user: Any
) -> None:
    ann, ben = user(), user()
    notice = ann.post("/api/notices", json={"text": "about this"}).json()
    entry = ann.post("/api/entries", json={"text": "my thoughts", "notice_id": notice["id"]}).json()
    ann_ws, ben_ws = subscribed(ann.token, ("Entry",)), subscribed(ben.token, ("Entry",))
    assert ann.delete(f"/api/notices/{notice['id']}").json()["deleted"]["nulled"] == {"Entry": 1}
    cleared = ann.get(f"/api/entries/{entry['id']}").json()
    assert cleared["notice_id"] is None
    assert receive(ann_ws) == {"type": "event", "entity": "Entry", "action": "updated", "record": cleared}
    assert settle(ann_ws) == []
    assert settle(ben_ws) == []
