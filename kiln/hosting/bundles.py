"""Bundles: an app folder as a ``.tar.gz`` for ``kiln deploy``, and its safe extraction by the host.

:func:`make_bundle` leaves out what is not code: ``.kiln/`` (data and secrets), ``.git/`` and
``__pycache__/``. :func:`extract_bundle` takes nothing on trust: it refuses absolute names,
``..``, links that lead out, devices and anything but files, folders and links inside (tarfile's
``data`` filter, PEP 706), and a bundle larger than the limit, before writing anything; and the
top level must hold ``app.toml``.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path, PurePosixPath

from kiln.errors import PayloadTooLarge, ValidationFailed

__all__ = ["LEFT_OUT", "MAX_BUNDLE_BYTES", "MAX_MEMBERS", "BundleError", "extract_bundle", "make_bundle"]

#: Folder names a bundle leaves out, wherever they are.
LEFT_OUT = frozenset({".kiln", ".git", "__pycache__"})
#: The most a bundle may hold, uncompressed, in bytes.
MAX_BUNDLE_BYTES = 50_000_000
#: The most files and folders a bundle may hold.
MAX_MEMBERS = 10_000


class BundleError(ValidationFailed):
    """A bundle that cannot be deployed as it is: 422, naming the ``bundle`` field."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"the bundle cannot be deployed: {problem}", fields={"bundle": problem})


#: Why the ``data`` filter refused a member, in words that do not name the host's folders.
_REFUSED: dict[type[tarfile.FilterError], str] = {
    tarfile.AbsolutePathError: "is outside the bundle",
    tarfile.OutsideDestinationError: "is outside the bundle",
    tarfile.AbsoluteLinkError: "is a link to an absolute path",
    tarfile.LinkOutsideDestinationError: "is a link that leads outside the bundle",
    tarfile.SpecialFileError: "is a special file (a device or a pipe)",
}


def make_bundle(folder: Path) -> bytes:
    """The app ``folder`` as a gzipped tar whose top level holds its ``app.toml``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if LEFT_OUT & set(relative.parts):
                continue
            if path.is_file() or path.is_dir():
                archive.add(path, arcname=relative.as_posix(), recursive=False)
    return buffer.getvalue()


def extract_bundle(data: bytes, destination: Path, *, limit: int = MAX_BUNDLE_BYTES) -> None:
    """Unpack ``data`` into ``destination`` (made here; it must not exist), or raise
    :class:`BundleError` (:class:`~kiln.errors.PayloadTooLarge` past ``limit``) having written
    nothing."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError(f"it is not a .tar.gz ({exc})") from None
    with archive:
        members = _checked(archive, destination, limit)
        destination.mkdir(parents=True)
        for member in members:
            archive.extract(member, destination, filter="data")


def _checked(archive: tarfile.TarFile, destination: Path, limit: int) -> list[tarfile.TarInfo]:
    """Every member, each vetted by the ``data`` filter, and the bundle's size and shape."""
    members: list[tarfile.TarInfo] = []
    total = 0
    try:
        for member in archive:
            if len(members) >= MAX_MEMBERS:
                raise BundleError(f"it holds more than {MAX_MEMBERS} files and folders")
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise BundleError(f"{member.name!r} is outside the bundle")
            try:
                tarfile.data_filter(member, str(destination))
            except tarfile.FilterError as exc:  # its message names the host's folders: not said
                raise BundleError(
                    f"{member.name!r} {_REFUSED.get(type(exc), 'cannot be unpacked')}"
                ) from None
            total += member.size
            if total > limit:
                raise PayloadTooLarge(
                    f"the bundle holds more than {limit} bytes", fields={"bundle": "is too large"}
                )
            members.append(member)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BundleError(f"it is not a readable .tar.gz ({exc})") from None
    top = {PurePosixPath(member.name).as_posix() for member in members if member.isfile()}
    if "app.toml" not in top and "./app.toml" not in top:
        raise BundleError("its top level has no app.toml")
    return members
