"""``/static/``: files with caching headers and 304, and 404 for every way out of ``static/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import TestApp, assert_error

STATIC = Path(__file__).parents[2] / "fixtures" / "site-app" / "static"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/app.js", "text/javascript"),
        ("/static/css/site.css", "text/css"),
        ("/static/index.html", "text/html"),
    ],
    ids=["script", "stylesheet", "page"],
)
def test_a_static_file_is_served_with_its_caching_headers(
    site_app: TestApp, path: str, content_type: str
) -> None:
    response = site_app.get(path)
    assert response.status_code == 200
    assert response.content == (STATIC / path.removeprefix("/static/")).read_bytes()
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith(" GMT")


def test_if_none_match_with_the_etag_is_304(site_app: TestApp) -> None:
    tag = site_app.get("/static/app.js").headers["etag"]
    response = site_app.get("/static/app.js", headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert site_app.get("/static/app.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_head_has_no_body(site_app: TestApp) -> None:
    response = site_app.head("/static/app.js")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == str(len((STATIC / "app.js").read_bytes()))


@pytest.mark.parametrize(
    "path",
    ["/static/missing.js", "/static/", "/static/css", "/static/css/"],
    ids=["missing", "the-folder", "a-folder", "a-folder-slash"],
)
def test_what_is_not_a_file_is_404(site_app: TestApp, path: str) -> None:
    assert_error(site_app.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "target",
    [
        "/static/../app.toml",
        "/static/%2e%2e/app.toml",
        "/static/%2E%2E/app.toml",
        "/static/..%2fapp.toml",
        "/static/css/../../app.toml",
        "/static/..%5capp.toml",
        "/static/..\\app.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/app.js%00.txt",
        "/static/%00",
    ],
    ids=[
        "dots",
        "encoded-dots",
        "encoded-capitals",
        "encoded-slash",
        "two-up",
        "encoded-backslash",
        "backslash",
        "absolute",
        "encoded-absolute",
        "nul-byte",
        "only-nul",
    ],
)
def test_no_path_leaves_static(raw_get: Callable[[str], tuple[int, bytes]], target: str) -> None:
    status, body = raw_get(target)
    assert status == 404, (target, status)
    assert json.loads(body)["error"]["code"] == "not_found"
    assert b"[app]" not in body
    assert b"root:" not in body


@pytest.mark.local_only("makes an app with a symlink of its own")
def test_a_symlink_out_of_static_is_404(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text("[app]\nname = 'linked'\n")
    (tmp_path / "secret.txt").write_text("do not serve me")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "inside.txt").write_text("fine")
    (tmp_path / "static" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "static" / "up").symlink_to(tmp_path)
    with TestApp(tmp_path) as app:
        assert app.get("/static/inside.txt").text == "fine"
        assert_error(app.get("/static/leak.txt"), 404, "not_found")
        assert_error(app.get("/static/up/secret.txt"), 404, "not_found")
