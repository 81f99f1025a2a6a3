"""``?thumb=WxH``: fitted inside the size, aspect ratio and format kept, made once, gone with the blob."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from harness import TestApp, assert_error


@pytest.fixture
def cover(alice: Any, png: Callable[..., bytes]) -> Callable[..., dict[str, Any]]:
    """``cover(width, height, kind="PNG")``: the cover of a new album, as its file object."""

    def make(width: int, height: int, kind: str = "PNG") -> dict[str, Any]:
        data = png(width, height, kind)
        mime = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}[kind]
        response = alice.post("/api/albums", data={"title": "t"}, files={"cover": ("c", data, mime)})
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()["cover"]
        return made

    return make


@pytest.mark.parametrize(
    ("size", "thumb", "expected"),
    [
        ((300, 150), "64x64", (64, 32)),
        ((150, 300), "64x64", (32, 64)),
        ((300, 150), "200x100", (200, 100)),
        ((40, 20), "200x100", (40, 20)),  # never enlarged
    ],
    ids=["wide", "tall", "exact-ratio", "smaller-than-the-box"],
)
def test_a_thumbnail_fits_inside_the_size_keeping_the_ratio(
    file_app: TestApp,
    cover: Callable[..., dict[str, Any]],
    size: tuple[int, int],
    thumb: str,
    expected: tuple[int, int],
) -> None:
    made = cover(*size)
    response = file_app.get(made["url"], params={"thumb": thumb})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["etag"] == f'"{made["sha256"]}-{thumb}"'
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == ("PNG", expected)


@pytest.mark.parametrize(
    ("kind", "mime"), [("JPEG", "image/jpeg"), ("GIF", "image/gif")], ids=["jpeg", "gif"]
)
def test_a_thumbnail_keeps_the_format(
    file_app: TestApp, cover: Callable[..., dict[str, Any]], kind: str, mime: str
) -> None:
    made = cover(120, 120, kind)
    response = file_app.get(made["url"], params={"thumb": "64x64"})
    assert response.headers["content-type"] == mime
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == (kind, (64, 64))


def test_a_thumbnail_is_made_once_and_kept(
    file_app: TestApp, cover: Callable[..., dict[str, Any]], on_disk: Any
) -> None:
    made = cover(300, 150)
    first = file_app.get(made["url"], params={"thumb": "64x64"}).content
    second = file_app.get(made["url"], params={"thumb": "64x64"}).content
    assert first == second
    if not file_app.remote:
        assert on_disk("thumbs") == {f"thumbs/{made['sha256']}/64x64"}
        assert (file_app.data_dir / "thumbs" / made["sha256"] / "64x64").read_bytes() == first


def test_an_undeclared_size_is_400_naming_the_declared_ones(
    file_app: TestApp, cover: Callable[..., dict[str, Any]], on_disk: Any
) -> None:
    made = cover(300, 150)
    error = assert_error(file_app.get(made["url"], params={"thumb": "10x10"}), 400, "bad_request")
    assert error["message"] == "thumb must be one of the declared sizes: 64x64, 200x100 (got '10x10')"
    assert_error(file_app.get(made["url"], params={"thumb": "big"}), 400, "bad_request")
    assert on_disk("thumbs") in (None, set())


def test_a_file_no_field_makes_thumbnails_of_is_400(alice: Any) -> None:
    made = alice.post("/api/_files", files={"file": ("a.txt", b"words\n", "text/plain")}).json()
    error = assert_error(alice.get(made["url"], params={"thumb": "64x64"}), 400, "bad_request")
    assert error["message"] == "this file has no thumbnails: no field that refers to it declares thumbs"


def test_thumbnails_go_with_their_blob(
    file_app: TestApp, alice: Any, png: Callable[..., bytes], on_disk: Any
) -> None:
    album = alice.post(
        "/api/albums", data={"title": "t"}, files={"cover": ("c", png(300, 150), "image/png")}
    ).json()
    url = album["cover"]["url"]
    assert file_app.get(url, params={"thumb": "64x64"}).status_code == 200
    assert file_app.get(url, params={"thumb": "200x100"}).status_code == 200
    assert alice.delete(f"/api/albums/{album['id']}").status_code == 200
    assert_error(file_app.get(url, params={"thumb": "64x64"}), 404, "not_found")
    if not file_app.remote:
        assert on_disk("thumbs") == set()
        assert on_disk("blobs") == set()


@pytest.mark.local_only("serves an app of its own")
def test_a_thumbnail_of_a_type_pillow_does_not_thumbnail_is_400(tmp_path: Any) -> None:
    (tmp_path / "app.toml").write_text(
        "[app]\nname = 'gallery'\n[files]\nupload = 'public'\n"
        "[entities.Picture.fields]\nimage = { type = 'file', accept = ['image/*'], thumbs = ['32x32'] }\n"
    )
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "navy").save(out, "BMP")
    with TestApp(tmp_path) as gallery:
        made = gallery.post("/api/pictures", files={"image": ("p.bmp", out.getvalue(), "image/bmp")})
        assert made.status_code == 201, made.text
        cover = made.json()["image"]
        assert cover["content_type"] == "image/x-ms-bmp"
        error = assert_error(gallery.get(cover["url"], params={"thumb": "32x32"}), 400, "bad_request")
        assert (
            error["message"]
            == "this file is image/x-ms-bmp: thumbnails are made of PNG, JPEG, GIF and WebP images"
        )
        assert gallery.get(cover["url"]).content == out.getvalue()
