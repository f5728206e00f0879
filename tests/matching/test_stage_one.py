"""Stage one's postings sums are those of scipy's public sparse product, to the bit: ranking ties
and the order of candidates depend on them, and the fast path calls one of scipy's kernels itself."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.matching import index as engine


def _postings(rng: np.random.Generator, features: int = 300, rows: int = 5000) -> sp.csr_matrix:
    # Frequent features (postings in most rows) and rare ones, as words in a catalogue.
    density = rng.choice([0.001, 0.01, 0.3], size=features)
    mask = rng.random((features, rows)) < density[:, None]
    values = (1.0 + np.log(rng.integers(1, 4, size=(features, rows)))).astype(np.float32)
    return sp.csr_matrix(np.where(mask, values, 0).astype(np.float32))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_postings_sum_equals_the_public_product_to_the_bit(seed):
    rng = np.random.default_rng(seed)
    postings = _postings(rng)
    for _ in range(20):
        features = rng.choice(postings.shape[0], size=rng.integers(0, 40), replace=False).astype(np.int32)
        weights = rng.random(len(features)).astype(np.float32)
        fast = engine._postings_sum(postings, features, weights)
        public = postings[features].T @ weights
        assert fast.dtype == public.dtype == np.float32
        assert np.array_equal(fast.view(np.int32), np.asarray(public, dtype=np.float32).view(np.int32))


def test_postings_sum_without_the_kernel_is_the_public_product(monkeypatch):
    rng = np.random.default_rng(4)
    postings = _postings(rng)
    features = np.array([5, 1, 77], dtype=np.int32)
    weights = np.array([0.5, 0.25, 0.125], dtype=np.float32)
    expected = engine._postings_sum(postings, features, weights)
    monkeypatch.setattr(engine, "_csc_matvec", None)
    assert np.array_equal(engine._postings_sum(postings, features, weights), expected)
