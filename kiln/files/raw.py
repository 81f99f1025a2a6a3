"""Read a raw request body (a presigned ``PUT``) into an upload, checked as it streams.

The same rules as a multipart file part (:mod:`kiln.files.multipart`): 413 as soon as it passes
the limit, its type judged from its first bytes, an image that must decode, the rest of an
oversized body drained up to four times the limit, and no temporary file left on any error.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from kiln.errors import KilnError, PayloadTooLarge, UnsupportedMediaType
from kiln.files.blobs import BlobStore, Incoming
from kiln.files.images import check_image
from kiln.files.multipart import DRAIN_FACTOR, FilePolicy
from kiln.files.sniff import HEAD_BYTES, accepts, sniff

__all__ = ["read_raw"]


async def read_raw(request: Request, store: BlobStore, name: str, policy: FilePolicy) -> Incoming:
    """The body as a finished upload named ``name``; the caller keeps or discards it."""
    declared = request.headers.get("content-type", "application/octet-stream")
    upload = store.incoming(name, declared)
    failure: KilnError | None = None
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if failure is not None:
                if received > DRAIN_FACTOR * policy.max_size:
                    failure.headers["Connection"] = "close"
                    break
                continue
            if upload.size + len(chunk) > policy.max_size:
                failure = PayloadTooLarge(f"{policy.label} is larger than {policy.max_size} bytes")
                upload.discard()
                continue
            if not upload.content_type and len(upload.head) < HEAD_BYTES:
                upload.head += chunk[: HEAD_BYTES - len(upload.head)]
            upload.write(chunk)
        if failure is not None:
            raise failure
        upload.finish()
        upload.content_type = sniff(upload.head, declared)
        if not accepts(policy.accept, upload.content_type):
            raise UnsupportedMediaType(
                f"{policy.label} must be {' or '.join(policy.accept)} (this file is {upload.content_type})"
            )
        check_image(upload.path, upload.content_type, policy.label)
    except (Exception, ClientDisconnect):
        upload.discard()
        raise
    return upload
