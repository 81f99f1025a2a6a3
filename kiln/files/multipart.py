"""Read a ``multipart/form-data`` body as it streams: file parts to temporary files, the rest as text.

python-multipart's streaming parser is fed each chunk as it arrives, so a body is never held in
memory whole. Each file part is written to an :class:`~kiln.files.blobs.Incoming` temporary file
and checked while it comes in, against the :class:`FilePolicy` of its field:

- past ``max_size`` it is 413 ``payload_too_large`` at once, without writing another byte;
- its first bytes decide its type (:mod:`kiln.files.sniff`): one the field does not accept is
  415 ``unsupported_media_type``;
- an image must decode (:mod:`kiln.files.images`), or it is 415 too.

After such an error kiln reads and discards the rest of the body, up to four times the limit, so
that an ordinary client, still sending, sees the answer; past that it answers with
``Connection: close``. A failed or cut-off body leaves no temporary file behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from kiln.errors import BadRequest, KilnError, PayloadTooLarge, UnsupportedMediaType
from kiln.files.blobs import BlobStore, Incoming
from kiln.files.images import check_image
from kiln.files.sniff import HEAD_BYTES, accepts, sniff

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["DRAIN_FACTOR", "MAX_PARTS", "FilePolicy", "Form", "is_multipart", "read_form"]

#: The most parts one body may have.
MAX_PARTS = 100
DRAIN_FACTOR = 4  # an oversized body is drained up to this many times the limit
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class FilePolicy:
    """What one file part may be: at most ``max_size`` bytes, of a type in ``accept`` (``()``: any)."""

    label: str  # how messages name it: "cover", "the file"
    max_size: int
    accept: tuple[str, ...] = ()


@dataclass
class Form:
    """A multipart body: its text parts by name, and its file parts as finished uploads."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Incoming] = field(default_factory=dict)

    def discard(self) -> None:
        """Remove the temporary files of the uploads not made blobs."""
        for upload in self.files.values():
            upload.discard()


def is_multipart(request: Request) -> bool:
    """Whether the request's body is declared ``multipart/form-data``."""
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def read_form(
    request: Request, store: BlobStore, policy: Callable[[str], FilePolicy], max_text: int
) -> Form:
    """The form; ``policy(name)`` gives a file part's limits or raises for a name that takes no file.

    ``max_text`` bounds the text parts together. On any error, nothing is left on disk.
    """
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType("send multipart/form-data with a boundary")
    reader = _Reader(store, policy, max_text)
    parser = MultipartParser(boundary, reader.callbacks())
    form = reader.form
    try:
        async for chunk in request.stream():
            if reader.failure is None:
                try:
                    parser.write(chunk)
                except MultipartParseError as exc:
                    raise BadRequest(f"the multipart body is malformed: {exc}") from None
                except KilnError as exc:
                    reader.fail(exc, len(chunk))
                    continue
            else:
                reader.drained += len(chunk)
                if reader.drained > reader.drain_limit:
                    reader.failure.headers["Connection"] = "close"
                    break
        if reader.failure is not None:
            raise reader.failure
        if not reader.finished:
            raise BadRequest("the multipart body ended before its closing boundary")
    except (Exception, ClientDisconnect):
        reader.abandon()
        raise
    return form


class _Reader:
    """The parser's callbacks: they route each part's bytes and check them as they come."""

    def __init__(self, store: BlobStore, policy: Callable[[str], FilePolicy], max_text: int) -> None:
        self.store = store
        self.policy = policy
        self.max_text = max_text
        self.form = Form()
        self.failure: KilnError | None = None
        self.drained = 0
        self.drain_limit = 0
        self.finished = False
        self.parts = 0
        self._text = 0
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()
        self._upload: Incoming | None = None
        self._limits: FilePolicy | None = None
        self._skip = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_end": self._finish,
        }

    def fail(self, error: KilnError, received: int) -> None:
        """Stop writing: ``error`` is the answer once the rest of the body has been drained."""
        self.failure = error
        limit = self._limits.max_size if self._limits is not None else self.max_text
        self.drain_limit = DRAIN_FACTOR * limit
        self.drained = received
        self.abandon()

    def abandon(self) -> None:
        """Remove every temporary file, the one being written included."""
        if self._upload is not None:
            self._upload.discard()
        self.form.discard()

    def _begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise BadRequest(f"the body has more than {MAX_PARTS} parts")
        self._headers = {}
        self._name, self._value, self._upload, self._limits, self._skip = "", bytearray(), None, None, False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            raise BadRequest('every part needs Content-Disposition: form-data; name="..."')
        self._name = name.decode("utf-8", "replace")
        if b"filename" not in options:
            return
        filename = _safe_name(options[b"filename"].decode("utf-8", "replace"))
        if not filename:  # a browser's empty file input
            self._skip = True
            return
        if self._name in self.form.files:
            raise BadRequest(f'the file part "{self._name}" is given more than once')
        self._limits = self.policy(self._name)
        declared = self._headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
        self._upload = self.store.incoming(filename, declared)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._skip:
            return
        chunk = memoryview(data)[start:end]  # no copy: the hash and the file take a view
        upload, limits = self._upload, self._limits
        if upload is None or limits is None:
            self._text += len(chunk)
            if self._text > self.max_text:
                raise PayloadTooLarge(f"the form's text fields are larger than {self.max_text} bytes")
            self._value.extend(chunk)
            return
        if upload.size + len(chunk) > limits.max_size:
            raise PayloadTooLarge(f"{limits.label} is larger than {limits.max_size} bytes")
        if not upload.content_type:
            upload.head += bytes(chunk[: HEAD_BYTES - len(upload.head)])
            if len(upload.head) >= HEAD_BYTES:
                self._judge(upload, limits)
        upload.write(chunk)

    def _end(self) -> None:
        if self._skip:
            return
        upload, limits = self._upload, self._limits
        if upload is None or limits is None:
            if self._name in self.form.fields:
                raise BadRequest(f'the field "{self._name}" is given more than once')
            self.form.fields[self._name] = self._value.decode("utf-8", "replace")
            return
        if not upload.content_type:
            self._judge(upload, limits)
        upload.finish()
        check_image(upload.path, upload.content_type, limits.label)
        self.form.files[self._name] = upload
        self._upload = None

    def _finish(self) -> None:
        self.finished = True

    def _judge(self, upload: Incoming, limits: FilePolicy) -> None:
        upload.content_type = sniff(upload.head, upload.declared_type)
        if not accepts(limits.accept, upload.content_type):
            raise UnsupportedMediaType(
                f"{limits.label} must be {' or '.join(limits.accept)} (this file is {upload.content_type})"
            )


def _safe_name(raw: str) -> str:
    """The file name without any folder a client put before it, or control characters."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("", base).strip()[:255]
