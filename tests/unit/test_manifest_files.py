"""``file`` fields' options and ``[files]`` are validated when the manifest is compiled."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiln import ManifestError
from kiln.errors import Invalid
from kiln.fieldtypes import parse_duration, parse_size
from kiln.manifest import load_manifest

APP = "[app]\nname = 'x'\n"
AUTH = "[auth]\n"


def _load(tmp_path: Path, body: str) -> object:
    (tmp_path / "app.toml").write_text(APP + body)
    return load_manifest(tmp_path)


def _problems(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(ManifestError) as info:
        _load(tmp_path, body)
    return str(info.value).splitlines()


def test_a_file_field_reads_its_options(tmp_path: Path) -> None:
    manifest = _load(
        tmp_path,
        "[entities.Post.fields]\n"
        "cover = {type = 'file', max_size = '5MB', accept = ['image/png', 'image/*'], thumbs = ['100x80', '20x20']}\n",
    )
    field = manifest.entities["Post"].fields["cover"]  # type: ignore[attr-defined]
    assert (field.max_size, field.accept, field.thumbs) == (
        5_000_000,
        ("image/png", "image/*"),
        ((100, 80), (20, 20)),
    )
    assert manifest.has_files  # type: ignore[attr-defined]
    assert manifest.file_fields == [(manifest.entities["Post"], field)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "max_size = 'huge'",
            'app.toml: entities.Post.fields.cover.max_size: must be a byte count or a size such as "5MB" or "512KiB"',
        ),
        ("max_size = 0", "app.toml: entities.Post.fields.cover.max_size: must be at least 1 byte"),
        (
            "accept = 'image/png'",
            'app.toml: entities.Post.fields.cover.accept: must be a list of content types, such as ["image/png", "image/*"]',
        ),
        (
            "accept = []",
            'app.toml: entities.Post.fields.cover.accept: must be a list of content types, such as ["image/png", "image/*"]',
        ),
        (
            "accept = ['png']",
            'app.toml: entities.Post.fields.cover.accept: "png" is not a content type such as "image/png" or "image/*"',
        ),
        (
            "accept = ['*/png']",
            'app.toml: entities.Post.fields.cover.accept: "*/png" is not a content type such as "image/png" or "image/*"',
        ),
        (
            "thumbs = ['100']",
            'app.toml: entities.Post.fields.cover.thumbs: "100" is not a size WIDTHxHEIGHT of 1 to 4096 pixels each',
        ),
        (
            "thumbs = ['0x10']",
            'app.toml: entities.Post.fields.cover.thumbs: "0x10" is not a size WIDTHxHEIGHT of 1 to 4096 pixels each',
        ),
        (
            "thumbs = ['5000x10']",
            'app.toml: entities.Post.fields.cover.thumbs: "5000x10" is not a size WIDTHxHEIGHT of 1 to 4096 pixels each',
        ),
        (
            "thumbs = '10x10'",
            'app.toml: entities.Post.fields.cover.thumbs: must be a list of sizes WIDTHxHEIGHT, such as ["100x100", "640x480"]',
        ),
        (
            "default = 3",
            "app.toml: entities.Post.fields.cover.default: does not apply to file fields: a file is set by an upload",
        ),
        ("search = true", "app.toml: entities.Post.fields.cover.search: does not apply to file fields"),
        ("max_length = 3", "app.toml: entities.Post.fields.cover.max_length: does not apply to file fields"),
    ],
    ids=[
        "size-word",
        "size-zero",
        "accept-string",
        "accept-empty",
        "accept-bare",
        "accept-star-family",
        "thumb-one-number",
        "thumb-zero",
        "thumb-too-big",
        "thumbs-string",
        "default",
        "search",
        "text-option",
    ],
)
def test_bad_file_options_are_reported(tmp_path: Path, spec: str, message: str) -> None:
    lines = _problems(tmp_path, f"[entities.Post.fields]\ncover = {{type = 'file', {spec}}}\n")
    assert any(line.startswith(message) for line in lines), lines


def test_the_files_table_reads_its_settings(tmp_path: Path) -> None:
    manifest = _load(
        tmp_path,
        AUTH + "[files]\nmax_size = '10MiB'\naccept = ['application/pdf']\nupload = 'role:editor'\n"
        "presign = ['auth', 'role:admin']\norphan_ttl = '2h'\n",
    )
    files = manifest.files  # type: ignore[attr-defined]
    assert (files.max_size, files.accept, files.upload, files.presign, files.orphan_ttl) == (
        10 * 1024 * 1024,
        ("application/pdf",),
        ("role:editor",),
        ("auth", "role:admin"),
        7200,
    )
    assert manifest.has_files  # type: ignore[attr-defined]


def test_files_defaults_follow_auth(tmp_path: Path) -> None:
    with_auth = _load(tmp_path, AUTH + "[entities.Post.fields]\ncover = {type = 'file'}\n").files  # type: ignore[attr-defined]
    assert (
        with_auth.max_size,
        with_auth.accept,
        with_auth.upload,
        with_auth.presign,
        with_auth.orphan_ttl,
    ) == (
        25_000_000,
        (),
        ("auth",),
        ("role:admin",),
        86_400,
    )
    without = _load(tmp_path, "[entities.Post.fields]\ncover = {type = 'file'}\n").files  # type: ignore[attr-defined]
    assert (without.upload, without.presign) == (("public",), ())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "[files]\nmax_sise = '1MB'\n",
            'app.toml: files.max_sise: unknown key "max_sise" (did you mean "max_size"?)',
        ),
        ("[files]\nupload = 'auth'\n", 'app.toml: files.upload: "auth" needs users: add [auth] to app.toml'),
        ("[files]\npresign = 'owner'\n", 'app.toml: files.presign: "owner" needs users'),
        (
            "[files]\norphan_ttl = 'soon'\n",
            'app.toml: files.orphan_ttl: must be a number of seconds or a duration such as "30m", "24h" or "7d"',
        ),
        ("[files]\naccept = ['nope']\n", 'app.toml: files.accept: "nope" is not a content type'),
        ("[files]\nmax_size = true\n", "app.toml: files.max_size: must be a byte count"),
        ("[[files]]\nmax_size = 1\n", "app.toml: files: must be a table"),
        ("max_body = '1 parsec'\n", "app.toml: app.max_body: must be a byte count"),
    ],
    ids=[
        "typo",
        "upload-needs-users",
        "presign-needs-users",
        "ttl-word",
        "accept-bare",
        "size-bool",
        "not-a-table",
        "max-body",
    ],
)
def test_bad_files_settings_are_reported(tmp_path: Path, body: str, message: str) -> None:
    lines = _problems(tmp_path, body)
    assert any(line.startswith(message) for line in lines), lines


def test_the_user_entity_takes_no_file_fields(tmp_path: Path) -> None:
    lines = _problems(tmp_path, "[auth.user_fields]\navatar = {type = 'file'}\n")
    assert lines == [
        "app.toml: auth.user_fields.avatar: User cannot have file fields: give them to an entity with "
        'owner = "<ref to User>"'
    ]


def test_max_body_is_read_as_a_size(tmp_path: Path) -> None:
    assert _load(tmp_path, "max_body = '2KiB'\n").max_body == 2048  # type: ignore[attr-defined]
    assert _load(tmp_path, "").max_body == 1_000_000  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("written", "size"),
    [
        (1, 1),
        ("1", 1),
        ("1B", 1),
        ("1KB", 1000),
        ("1.5MB", 1_500_000),
        ("1GB", 10**9),
        ("1KiB", 1024),
        ("2MiB", 2 * 1024**2),
        ("1GiB", 1024**3),
        (" 3 MB ", 3_000_000),
    ],
)
def test_sizes(written: object, size: int) -> None:
    assert parse_size(written) == size


@pytest.mark.parametrize("written", ["", "MB", "1 mb", "1TB", "-1MB", True, 0, 1.5, [1]])
def test_bad_sizes(written: object) -> None:
    with pytest.raises(Invalid):
        parse_size(written)


@pytest.mark.parametrize(
    ("written", "seconds"),
    [(90, 90), ("90", 90), ("90s", 90), ("30m", 1800), ("24h", 86_400), ("7d", 604_800)],
)
def test_durations(written: object, seconds: int) -> None:
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", ["", "1w", "1.5h", "0s", 0, False, "h"])
def test_bad_durations(written: object) -> None:
    with pytest.raises(Invalid):
        parse_duration(written)
