"""Bundles the host refuses before writing anything: traversal, absolute names, links out,
devices, no app.toml, not a tarball, too large; and what `make_bundle` leaves out."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import TestApp, assert_error
from kiln.hosting import make_bundle

MANIFEST = b"[app]\nname = 'tiny'\n"


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        pytest.param([("../escape.txt", b"x")], "'../escape.txt' is outside the bundle", id="dot-dot"),
        pytest.param(
            [("sub/../../escape.txt", b"x")],
            "'sub/../../escape.txt' is outside the bundle",
            id="dot-dot-inside",
        ),
        pytest.param([("/etc/kiln.txt", b"x")], "'/etc/kiln.txt' is outside the bundle", id="absolute"),
        pytest.param(
            [("static", None, tarfile.SYMTYPE, "/etc")],
            "'static' is a link to an absolute path",
            id="symlink-absolute",
        ),
        pytest.param(
            [("static", None, tarfile.SYMTYPE, "../../outside")],
            "'static' is a link that leads outside the bundle",
            id="symlink-out",
        ),
        pytest.param(
            [("hard", None, tarfile.LNKTYPE, "../../etc/passwd")],
            "'hard' is a link that leads outside the bundle",
            id="hardlink-out",
        ),
        pytest.param(
            [("dev", None, tarfile.CHRTYPE, "")], "'dev' is a special file (a device or a pipe)", id="device"
        ),
    ],
)
def test_an_unsafe_bundle_is_422_and_nothing_is_written(
    host: TestApp,
    ann: Any,
    tar_of: Callable[..., bytes],
    slug: Callable[[str], str],
    members: list[tuple[Any, ...]],
    problem: str,
) -> None:
    name = slug("tiny")
    made = [(tarfile.TarInfo("app.toml"), MANIFEST)]
    for member, content, *kind in members:
        made.append((_member(member, *kind) if kind else tarfile.TarInfo(member), content))

    error = assert_error(ann.deploy(name, tar_of(*made)), 422, "validation_failed")

    assert error["fields"] == {"bundle": problem}
    assert "/tmp/" not in error["message"]  # the host's folders are not the client's business
    assert_error(host.get("/", headers={"Host": f"{name}.localhost"}), 404, "not_found")
    if not host.remote:  # and on disk, nothing at all
        assert str(host.data_dir) not in error["message"]
        assert list((host.data_dir / "projects").iterdir()) == []
        assert not (host.data_dir.parent / "escape.txt").exists()


def test_a_bundle_without_app_toml_at_its_top_is_422(
    ann: Any, tar_of: Callable[..., bytes], slug: Callable[[str], str]
) -> None:
    nested = tar_of((tarfile.TarInfo("tiny/app.toml"), MANIFEST))
    error = assert_error(ann.deploy(slug("tiny"), nested), 422, "validation_failed")
    assert error["fields"] == {"bundle": "its top level has no app.toml"}


def test_something_that_is_not_a_tarball_is_422(ann: Any, slug: Callable[[str], str]) -> None:
    error = assert_error(ann.deploy(slug("tiny"), b"PK\x03\x04 a zip, say"), 422, "validation_failed")
    assert error["fields"]["bundle"].startswith("it is not a .tar.gz")


def test_a_bundle_larger_than_the_limit_unpacked_is_413(
    host: TestApp, ann: Any, tar_of: Callable[..., bytes], slug: Callable[[str], str]
) -> None:
    name = slug("tiny")
    huge = tar_of((tarfile.TarInfo("app.toml"), MANIFEST), (tarfile.TarInfo("big.bin"), bytes(50_000_001)))
    assert len(huge) < 100_000  # zeros compress: the limit is on what it unpacks to

    error = assert_error(ann.deploy(name, huge), 413, "payload_too_large")

    assert error["fields"] == {"bundle": "is too large"}
    assert_error(host.get("/", headers={"Host": f"{name}.localhost"}), 404, "not_found")
    if not host.remote:
        assert list((host.data_dir / "projects").iterdir()) == []


def test_a_bundle_with_links_inside_it_deploys(
    host: TestApp, ann: Any, tar_of: Callable[..., bytes], slug: Callable[[str], str]
) -> None:
    name = slug("tiny")
    page = tarfile.TarInfo("static/index.html")
    bundle = tar_of(
        (tarfile.TarInfo("app.toml"), MANIFEST),
        (page, b"<h1>tiny</h1>"),
        (_member("static/home.html", tarfile.SYMTYPE, "index.html"), None),
    )
    assert ann.deploy(name, bundle).status_code == 201
    home = host.get("/static/home.html", headers={"Host": f"{name}.localhost"})
    assert (home.status_code, home.text) == (200, "<h1>tiny</h1>")


def test_make_bundle_leaves_out_data_git_and_bytecode(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_bytes(MANIFEST)
    for left_out in (
        ".kiln/data/kiln.db",
        ".git/HEAD",
        "__pycache__/handlers.cpython-311.pyc",
        "static/__pycache__/x.pyc",
    ):
        (tmp_path / left_out).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / left_out).write_bytes(b"not for the host")
    (tmp_path / "static").mkdir(exist_ok=True)
    (tmp_path / "static" / "site.css").write_text("body {}")
    (tmp_path / "handlers.py").write_text("")

    with tarfile.open(fileobj=io.BytesIO(make_bundle(tmp_path))) as archive:
        names = sorted(archive.getnames())

    assert names == ["app.toml", "handlers.py", "static", "static/site.css"]
