"""The ``--base-url`` values: one URL for every app, URLs by fixture name, and the refusals."""

from __future__ import annotations

import pytest

from harness.remote import RemoteTargets


def test_no_value_is_local_mode() -> None:
    targets = RemoteTargets.parse(None)
    assert (targets.default, targets.by_name, targets.active) == (None, {}, False)
    assert targets.url_for("todo-app") is None


def test_a_bare_url_serves_every_app() -> None:
    targets = RemoteTargets.parse(["https://staging.example.com"])
    assert (targets.default, targets.by_name, targets.active) == ("https://staging.example.com", {}, True)
    assert targets.url_for("todo-app", None) == "https://staging.example.com"


def test_named_urls_come_first_and_the_bare_one_covers_the_rest() -> None:
    targets = RemoteTargets.parse(["todo-app=http://127.0.0.1:8001", "http://127.0.0.1:8000"])
    assert targets.by_name == {"todo-app": "http://127.0.0.1:8001"}
    assert targets.url_for(None, "todo-app") == "http://127.0.0.1:8001"
    assert targets.url_for("blog-app") == "http://127.0.0.1:8000"


def test_named_urls_alone_are_remote_mode_and_leave_other_apps_without_a_url() -> None:
    targets = RemoteTargets.parse(["blog-app=http://127.0.0.1:8002"])
    assert targets.active
    assert targets.url_for("todo-app") is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            ["http://a", "http://b"],
            "--base-url http://b: a URL for every app is given twice; use NAME=URL",
        ),
        (["ftp://a"], "--base-url 'ftp://a': expected URL or NAME=URL (http:// or https://)"),
        (
            ["todo-app=ftp://a"],
            "--base-url 'todo-app=ftp://a': expected URL or NAME=URL (http:// or https://)",
        ),
    ],
    ids=["two-bare-urls", "not-http", "named-not-http"],
)
def test_a_bad_value_says_what_is_expected(values: list[str], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        RemoteTargets.parse(values)
    assert str(refused.value) == message
