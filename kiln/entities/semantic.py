"""Ranking by meaning: cosine similarity over stored embeddings, and reciprocal-rank fusion.

Both are plain functions of arrays and lists, so the arithmetic is pinned by unit tests and the
endpoint (:mod:`kiln.entities.search`) only gathers their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["RRF_K", "fuse", "rank_by_similarity"]

#: The constant of reciprocal-rank fusion: ``score = sum(1 / (RRF_K + rank))``, ranks from 1.
RRF_K = 60


def rank_by_similarity(
    ids: NDArray[np.int64],
    vectors: NDArray[np.float32],
    query: NDArray[np.float32],
    min_score: float,
    limit: int | None = None,
) -> tuple[list[int], list[float], int]:
    """The ids whose cosine with ``query`` is above ``min_score``, best first (ties by id).

    ``vectors`` are unit length (or zero), so the cosine is a dot product. Returns the first
    ``limit`` ids (all when ``None``), their scores, and how many passed in all.
    """
    scores = vectors @ query
    passing = scores > min_score
    ids, scores = ids[passing], scores[passing]
    total = len(ids)
    if limit is not None and limit < total:
        # only the best need sorting: those at least as good as the limit-th, ties included
        cut = np.partition(scores, total - limit)[total - limit]
        best = scores >= cut
        ids, scores = ids[best], scores[best]
    order = np.lexsort((ids, -scores))[:limit]
    return [int(i) for i in ids[order]], [float(s) for s in scores[order]], total


def fuse(*rankings: Sequence[int]) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of rankings (ids, best first): the union, best fused score first.

    An id's score is the sum, over the rankings that hold it, of ``1 / (RRF_K + rank)``.
    """
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, record_id in enumerate(ranking, start=1):
            scores[record_id] = scores.get(record_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
