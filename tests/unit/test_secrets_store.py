"""kiln.secrets: the store in the data directory, the environment's overrides, the read-only
mapping handlers get, and redaction."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kiln.secrets import Secrets, check_name, load_secrets, read_stored, redact, set_secret, unset_secret


def test_set_secret_writes_an_owner_only_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    set_secret(tmp_path / "data", "API_KEY", "one")
    set_secret(tmp_path / "data", "HOOK", "two")
    set_secret(tmp_path / "data", "API_KEY", "three")

    stored = tmp_path / "data" / "secrets.json"
    assert json.loads(stored.read_text()) == {"API_KEY": "three", "HOOK": "two"}
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secrets.json"]


def test_unset_secret_says_whether_it_was_stored(tmp_path: Path) -> None:
    set_secret(tmp_path, "API_KEY", "one")
    assert unset_secret(tmp_path, "API_KEY") is True
    assert unset_secret(tmp_path, "API_KEY") is False
    assert read_stored(tmp_path) == {}


def test_environment_overrides_given_which_override_stored(tmp_path: Path) -> None:
    set_secret(tmp_path, "A", "stored a")
    set_secret(tmp_path, "B", "stored b")
    set_secret(tmp_path, "C", "stored c")
    environ = {"KILN_SECRET_C": "env c", "KILN_SECRET_D": "env d", "KILN_SECRET_": "nameless", "OTHER": "x"}

    secrets = load_secrets(tmp_path, {"B": "given b", "C": "given c"}, environ)

    assert dict(secrets) == {"A": "stored a", "B": "given b", "C": "env c", "D": "env d"}


def test_a_missing_or_unreadable_store_is_empty(tmp_path: Path) -> None:
    assert read_stored(tmp_path) == {}
    (tmp_path / "secrets.json").write_text('["not", "a", "table"]')
    assert read_stored(tmp_path) == {}


def test_secrets_are_read_only_and_never_show_a_value() -> None:
    secrets = Secrets({"API_KEY": "sk-123456", "HOOK": "http://hook"})
    assert secrets["API_KEY"] == "sk-123456"
    assert secrets.get("MISSING") is None
    with pytest.raises(KeyError, match="no secret named 'MISSING'; set it with `kiln secrets set`"):
        secrets["MISSING"]
    with pytest.raises(TypeError):
        secrets["API_KEY"] = "changed"  # type: ignore[index]
    assert repr(secrets) == "<Secrets: API_KEY, HOOK>"
    assert repr(Secrets()) == "<Secrets: none>"


def test_values_to_hide_are_the_long_ones_longest_first() -> None:
    secrets = Secrets({"PIN": "123", "SHORT": "abcd", "LONG": "abcdefgh", "SAME": "abcdefgh"})
    assert secrets.values_to_hide == ("abcdefgh", "abcd")


def test_redact_replaces_every_occurrence() -> None:
    hidden = ("abcdefgh", "abcd")
    assert redact("key abcdefgh then abcd and abcdefgh", hidden) == "key [secret] then [secret] and [secret]"
    assert redact("nothing here", hidden) == "nothing here"


@pytest.mark.parametrize(
    ("name", "ok"),
    [("API_KEY", True), ("_private", True), ("key2", True), ("2key", False), ("api-key", False), ("", False)],
)
def test_check_name(name: str, ok: bool) -> None:
    assert (check_name(name) is None) is ok
