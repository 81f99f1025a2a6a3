"""Sentence embeddings: WordLlama's bundled 256-dimension model, loaded once per process, lazily.

The model and its tokenizer ship inside the ``wordllama`` wheel, so nothing is downloaded: the
package's own folder is passed as ``cache_dir`` (without it WordLlama looks for the tokenizer in
``~/.cache`` and, failing that, on the network), and downloads are disabled. The model loads on
the first :func:`embed`, never at import or when an app without search fields starts, and once
even when several threads ask at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["DIMENSIONS", "embed", "loaded"]

#: The length of every vector :func:`embed` returns.
DIMENSIONS = 256

_model: Any = None
_lock = threading.Lock()


def loaded() -> bool:
    """Whether this process has loaded the model yet."""
    return _model is not None


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """One unit-length float32 vector per text, as the rows of a ``len(texts)`` by 256 matrix.

    The cosine similarity of two texts is the dot product of their rows. An empty text is the
    zero vector, similar to nothing.
    """
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    written = [i for i, text in enumerate(texts) if text.strip()]
    if written:
        vectors[written] = _load().embed([texts[i] for i in written], norm=True)
    return vectors


def _load() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:  # another thread may have loaded it while this one waited
                import wordllama  # ~0.3 s of imports, paid only by apps that search

                folder = Path(wordllama.__file__).parent
                _model = wordllama.WordLlama.load(cache_dir=folder, disable_download=True)
    return _model
