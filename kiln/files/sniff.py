"""What an upload is, judged from its first bytes, and whether a field accepts it.

The content type comes from the bytes' signature (puremagic), never from what the client
declared: a script sent as ``image/png`` is still a script. Bytes with no signature are
``text/plain`` when they read as UTF-8 text (or the declared ``text/*`` type, such as
``text/csv``, which no signature tells apart), else ``application/octet-stream``.
"""

from __future__ import annotations

import puremagic

__all__ = ["HEAD_BYTES", "accepts", "sniff"]

#: How many leading bytes are read before the type is judged.
HEAD_BYTES = 4096
_TEXT = "text/plain"
_BINARY = "application/octet-stream"


def sniff(head: bytes, declared: str) -> str:
    """The content type of a file that begins with ``head``."""
    if not head:
        return _BINARY
    try:
        found: str = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        found = ""
    if found:
        return found
    if not _is_text(head):
        return _BINARY
    declared = declared.split(";", 1)[0].strip().lower()
    return declared if declared.startswith("text/") and declared != "text/html" else _TEXT


def accepts(accept: tuple[str, ...], content_type: str) -> bool:
    """Whether ``content_type`` is one of ``accept`` (``image/*`` takes every image); ``()`` takes all."""
    if not accept:
        return True
    family = content_type.split("/", 1)[0]
    return any(item == content_type or item == f"{family}/*" for item in accept)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut off at the end of the head
    return True
