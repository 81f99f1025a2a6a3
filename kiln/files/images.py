"""Images: checked when they are uploaded, and their thumbnails made on first request with Pillow.

An upload whose bytes say it is an image Pillow reads must decode: a truncated or corrupt image,
or a decompression bomb (more pixels than :data:`MAX_PIXELS`), is 415 at upload, so it never
reaches a thumbnail. A thumbnail is fitted inside the size asked for, keeping the aspect ratio
and the original's format, and written to a temporary file that is renamed into place, so two
requests making the same thumbnail never serve half of one.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from kiln.errors import UnsupportedMediaType

__all__ = ["MAX_PIXELS", "THUMBNAILED", "check_image", "thumbnail"]

#: The most pixels an uploaded image may have (about 50 megapixels).
MAX_PIXELS = 50_000_000
_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
#: The content types kiln checks on upload and makes thumbnails of.
THUMBNAILED = frozenset(_FORMATS)


def check_image(path: Path, content_type: str, label: str) -> None:
    """415 unless the image at ``path`` decodes and is not a decompression bomb.

    Types Pillow does not make thumbnails of (an SVG, say) are not checked.
    """
    if content_type not in _FORMATS:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise UnsupportedMediaType(
                        f"{label} is {width}x{height} pixels, more than the {MAX_PIXELS} kiln takes"
                    )
                image.load()
    except UnsupportedMediaType:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnsupportedMediaType(f"{label} has more than the {MAX_PIXELS} pixels kiln takes") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(f"{label} is not an image that decodes: {exc}") from None


def thumbnail(source: Path, folder: Path, content_type: str, size: tuple[int, int]) -> Path:
    """The thumbnail of ``source`` at ``size``, made now if it was not made before."""
    width, height = size
    target = folder / f"{width}x{height}"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image.thumbnail((width, height))
        handle, temporary = tempfile.mkstemp(prefix=".thumb-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                image.save(out, format=_FORMATS.get(content_type, image.format or "PNG"))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return target
