"""Cosine ranking and reciprocal-rank fusion, with numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from kiln.entities.semantic import RRF_K, fuse, rank_by_similarity, similarity_order

IDS = np.array([1, 2, 3, 4, 5], dtype=np.int64)
# unit vectors in the plane (third axis unused); query is the x axis, so each cosine is the x value
VECTORS = np.array(
    [[0.6, 0.8, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-0.6, 0.8, 0.0], [0.6, -0.8, 0.0]], dtype=np.float32
)
QUERY = np.array([1.0, 0.0, 0.0], dtype=np.float32)


def test_ranks_by_cosine_best_first_ties_by_id_and_leaves_out_min_score_and_below() -> None:
    ids, scores, total = rank_by_similarity(IDS, VECTORS, QUERY, 0.0)
    assert ids == [2, 1, 5]  # 1.0, then 0.6 twice (id 1 before 5); 3 is 0.0 and 4 is -0.6
    assert scores == pytest.approx([1.0, 0.6, 0.6])
    assert total == 3


def test_min_score_is_exclusive() -> None:
    assert rank_by_similarity(IDS, VECTORS, QUERY, 0.6)[0] == [2]
    assert rank_by_similarity(IDS, VECTORS, QUERY, -1.0)[0] == [2, 1, 5, 3, 4]
    assert rank_by_similarity(IDS, VECTORS, QUERY, 1.0) == ([], [], 0)


@pytest.mark.parametrize(("limit", "expected"), [(1, [2]), (2, [2, 1]), (3, [2, 1, 5]), (9, [2, 1, 5])])
def test_a_limit_keeps_the_best_and_counts_them_all(limit: int, expected: list[int]) -> None:
    ids, scores, total = rank_by_similarity(IDS, VECTORS, QUERY, 0.0, limit)
    assert ids == expected
    assert len(scores) == len(expected)
    assert total == 3  # however many are returned


def test_a_tie_at_the_limit_keeps_the_lower_id() -> None:
    # ids 1 and 5 tie at 0.6: the second place goes to 1 whatever their order in the arrays
    ids, _, _ = rank_by_similarity(IDS[::-1].copy(), VECTORS[::-1].copy(), QUERY, 0.0, 2)
    assert ids == [2, 1]


def _ids(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_fusion_sums_one_over_k_plus_rank() -> None:
    assert RRF_K == 60
    ids, scores, total = fuse(_ids(10, 20, 30), _ids(30, 40))
    assert ids == [30, 10, 20, 40]
    assert scores == pytest.approx(
        [
            1 / 63 + 1 / 61,  # third by keyword, first by meaning
            1 / 61,
            1 / 62,
            1 / 62,  # ties with 20: the lower id first
        ]
    )
    assert total == 4


def test_fusion_keeps_the_best_and_counts_the_whole_union() -> None:
    ids, scores, total = fuse(_ids(10, 20, 30), _ids(30, 40), limit=2)
    assert ids == [30, 10]
    assert scores == pytest.approx([1 / 63 + 1 / 61, 1 / 61])
    assert total == 4
    assert fuse(_ids(10, 20, 30), _ids(30, 40), limit=3)[0] == [30, 10, 20]  # 20 and 40 tie: 20


def test_fusion_of_nothing_is_nothing_and_of_one_ranking_keeps_its_order() -> None:
    assert fuse(_ids(), _ids()) == ([], [], 0)
    assert fuse(_ids(7, 3, 5))[0] == [7, 3, 5]


def test_the_whole_similarity_order_is_the_ranking_fusion_takes() -> None:
    order = similarity_order(IDS, VECTORS, QUERY, 0.0)
    assert order.tolist() == [2, 1, 5]
    assert similarity_order(IDS, VECTORS, QUERY, -1.0).tolist() == [2, 1, 5, 3, 4]


def test_fusion_of_sparse_ids_gives_the_same_answer() -> None:
    """Ids far apart take the sorting path instead of the array indexed by id."""
    far = 10**12
    ids, scores, total = fuse(_ids(10, far, 30), _ids(30, far + 1))
    assert ids == [30, 10, far, far + 1]
    assert scores == pytest.approx([1 / 63 + 1 / 61, 1 / 61, 1 / 62, 1 / 62])
    assert total == 4
