"""kiln.embeddings in this process: shapes, unit lengths, blank texts, and similarity that means something."""

from __future__ import annotations

import numpy as np
import pytest

from kiln import embeddings
from kiln.embeddings import DIMENSIONS, embed


def test_each_text_is_one_unit_row_of_256_float32() -> None:
    vectors = embed(["a loaf of bread", "tuning a violin"])
    assert vectors.shape == (2, DIMENSIONS) == (2, 256)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert embeddings.loaded()


def test_blank_texts_are_zero_vectors_and_nothing_is_an_empty_matrix() -> None:
    vectors = embed(["", "bread", "  \n"])
    assert vectors.shape == (3, 256)
    assert not vectors[0].any()
    assert not vectors[2].any()
    assert np.linalg.norm(vectors[1]) == pytest.approx(1.0, abs=1e-5)
    assert embed([]).shape == (0, 256)


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    bread, baking, violin = embed(["a loaf of bread", "baking bread at home", "tuning a violin"])
    assert float(bread @ baking) > float(bread @ violin)
    assert float(bread @ bread) == pytest.approx(1.0, abs=1e-5)


def test_the_same_text_gives_the_same_vector() -> None:
    first, second = embed(["sourdough starter"]), embed(["sourdough starter"])
    assert np.array_equal(first, second)
