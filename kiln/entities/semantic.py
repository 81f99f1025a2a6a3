"""Ranking by meaning: cosine similarity over stored embeddings, and reciprocal-rank fusion.

Both are plain functions of arrays and lists, so the arithmetic is pinned by unit tests and the
endpoint (:mod:`kiln.entities.search`) only gathers their inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["RRF_K", "fuse", "rank_by_similarity", "similarity_order"]

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
    return _best(ids[passing], scores[passing], limit)


def similarity_order(
    ids: NDArray[np.int64], vectors: NDArray[np.float32], query: NDArray[np.float32], min_score: float
) -> NDArray[np.int64]:
    """All the ids whose cosine with ``query`` is above ``min_score``, best first (ties by id),
    as an array: the whole ranking, for :func:`fuse`. ``ids`` must be in ascending order."""
    scores = vectors @ query
    passing = scores > min_score
    ids, scores = ids[passing], scores[passing]
    ordered: NDArray[np.int64] = ids[np.argsort(-scores, kind="stable")]  # stable: ties keep id order
    return ordered


def fuse(*rankings: NDArray[np.int64], limit: int | None = None) -> tuple[list[int], list[float], int]:
    """Reciprocal-rank fusion of rankings (ids, best first): the union, best fused score first.

    An id's score is the sum, over the rankings that hold it, of ``1 / (RRF_K + rank)``; ties go
    to the lower id. Returns the first ``limit`` ids (all when ``None``), their scores, and the
    size of the union.
    """
    arrays = [np.asarray(ranking, dtype=np.int64) for ranking in rankings]
    members = sum(len(ranking) for ranking in arrays)
    largest = max((int(ranking.max()) for ranking in arrays if len(ranking)), default=0)
    if largest <= 4 * members + 1024:  # ids are dense: sum into an array indexed by id, no sorting
        by_id = np.zeros(largest + 1, dtype=np.float64)
        for ranking in arrays:
            by_id[ranking] += 1.0 / (RRF_K + np.arange(1, len(ranking) + 1))
        union = np.flatnonzero(by_id)
        return _best(union, by_id[union], limit)
    union = np.unique(np.concatenate(arrays))
    scores = np.zeros(len(union), dtype=np.float64)
    for ranking in arrays:
        scores[np.searchsorted(union, ranking)] += 1.0 / (RRF_K + np.arange(1, len(ranking) + 1))
    return _best(union, scores, limit)


def _best(
    ids: NDArray[np.int64], scores: NDArray[np.floating[Any]], limit: int | None
) -> tuple[list[int], list[float], int]:
    """The first ``limit`` ids by score, highest first and ties by id, their scores, and the count."""
    total = len(ids)
    if limit is not None and limit < total:
        # only the best need sorting: those at least as good as the limit-th, ties included
        cut = np.partition(scores, total - limit)[total - limit]
        best = scores >= cut
        ids, scores = ids[best], scores[best]
    order = np.lexsort((ids, -scores))[:limit]
    return [int(i) for i in ids[order]], [float(s) for s in scores[order]], total
