"""Which records a connection's user sees as events: the entity's read and list guards decide."""

from __future__ import annotations

from pathlib import Path

from kiln.manifest import load_manifest
from kiln.realtime.visibility import visibility

MANIFEST = """
[app]
name = "x"
[auth]
[entities.Open.fields]
text = { type = "text" }
[entities.Staff.fields]
text = { type = "text" }
[entities.Staff.access]
read = ["auth", "role:staff"]
[entities.Listed.fields]
text = { type = "text" }
[entities.Listed.access]
list = "verified"
[entities.Mine]
owner = "owner_id"
[entities.Mine.fields]
owner_id = { type = "ref", to = "User", on_delete = "cascade" }
[entities.Mine.access]
read = "owner"
[entities.Asked.fields]
text = { type = "text" }
[entities.Asked.access]
read = "handlers:allow"
"""

STAFF = {"id": 1, "roles": ["staff"], "verified": False}
PLAIN = {"id": 2, "roles": [], "verified": True}


def test_events_follow_the_read_and_list_guards(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(MANIFEST)
    (tmp_path / "handlers.py").write_text("def allow(request, ctx):\n    return True\n")
    visible = visibility(load_manifest(tmp_path))
    record = {"id": 5, "owner_id": 2}
    assert [visible("Open", record, user) for user in (None, STAFF, PLAIN)] == [True, True, True]
    assert [visible("Staff", record, user) for user in (None, STAFF, PLAIN)] == [False, True, False]
    assert [visible("Listed", record, user) for user in (None, STAFF, PLAIN)] == [False, False, True]
    assert [visible("Mine", record, user) for user in (None, STAFF, PLAIN)] == [False, False, True]
    assert [visible("Asked", record, user) for user in (None, STAFF, PLAIN)] == [False, False, False]
