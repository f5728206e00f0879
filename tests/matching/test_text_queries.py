"""Query rows of the text model: the vectorised ``_Block.queries`` gives, to the bit, the rows a plain
loop over each query's features gives (the figures every score is made of)."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.matching import Product, ProductIndex
from matchmaker.matching.index import _query_rows
from matchmaker.matching.profile import build_profile
from matchmaker.matching.text import TextModel

from tests.matching.test_artefact import random_demands, random_products


def reference_queries(block, documents) -> sp.csr_matrix:
    """The definition: per query, sublinear tf x idf over its features (unseen ones weighed with
    the unseen idf, counted in the norm, left out of the row), l2-normalised, times idf again."""
    idf, unseen = block.idf, block.unseen_idf
    rows, cols, vals = [], [], []
    for row, tokens in enumerate(documents):
        features = Counter(f for t in tokens for f in block.expand(t))
        norm2, entries = 0.0, []
        for feature, count in features.items():
            tf = 1.0 + math.log(count)
            col = block.columns.get(feature)
            weight = tf * (float(idf[col]) if col is not None else unseen)
            norm2 += weight * weight
            if col is not None:
                entries.append((col, weight * float(idf[col])))
        norm = math.sqrt(norm2) or 1.0
        for col, weight in entries:
            rows.append(row)
            cols.append(col)
            vals.append(weight / norm)
    return sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                         shape=(len(documents), len(block.names)))


def assert_same_rows(found: sp.csr_matrix, expected: sp.csr_matrix) -> None:
    assert found.shape == expected.shape
    assert np.array_equal(found.indptr, expected.indptr)
    assert np.array_equal(found.indices, expected.indices)
    assert found.data.dtype == expected.data.dtype == np.float32
    assert np.array_equal(found.data, expected.data)  # bit for bit, not approximately


def assert_same_row(found, expected: sp.csr_matrix) -> None:
    """``found``, one query's row (``_QueryRow``), is the only row of ``expected``, bit for bit."""
    assert found.indices.dtype == np.int32 and found.data.dtype == np.float32
    assert np.array_equal(found.indices, expected.indices)
    assert np.array_equal(found.data, expected.data)


UNSEEN = ["xylophone", "квазар", "zzzq", "12345", "bambu", "ёлочный", "a", "jatijati"]


def _query_documents(model: TextModel, profiles, rng: random.Random) -> dict[str, list[tuple[str, ...]]]:
    """Each block's token lists of the queries, with unseen words, repeated words and empty queries."""
    documents = {"words": [], "grams": []}
    for profile in profiles:
        for name, tokens in (("words", profile.words), ("grams", profile.spelled)):
            tokens = list(tokens) + rng.sample(UNSEEN, rng.randint(0, 3))
            tokens += rng.choices(tokens, k=rng.randint(0, 3)) if tokens else []  # repeats: tf above 1
            rng.shuffle(tokens)
            documents[name].append(tuple(tokens))
    for name in documents:  # empty queries, at the start, inside and at the end of the batch
        for at in (0, len(documents[name]) // 2, len(documents[name])):
            documents[name].insert(at, ())
    documents["words"].append(tuple(UNSEEN))  # nothing the catalogue knows
    documents["grams"].append(tuple(UNSEEN))
    return documents


@pytest.mark.parametrize("built", ["fit", "rows"])
def test_query_rows_equal_the_plain_loop(tiny_vocabulary, built):
    rng = random.Random(5)
    catalogue = random_products(rng, 300)
    if built == "fit":  # the catalogue read in chunks (absorb), then some removed: live df
        index = ProductIndex(catalogue, vocabulary=tiny_vocabulary).remove([p.id for p in catalogue[::7]])
        model = index.text
    else:  # the catalogue's tokens turned into rows here (tf_rows)
        model = TextModel([build_profile(p, tiny_vocabulary) for p in catalogue])
    queries = [build_profile(r, tiny_vocabulary)
               for r in random_demands(rng, 80) + random_products(rng, 40, "q")]
    documents = _query_documents(model, queries, rng)
    for name, block in model.blocks.items():
        width = len(block.names)
        assert_same_rows(block.queries(documents[name]), reference_queries(block, documents[name]))
        for document in documents[name]:  # one query alone, by its own loop
            assert_same_row(block.query(document), reference_queries(block, [document]))
        assert len(block.names) == width  # a query gives no feature a column
    for name, rows in model.queries(queries).items():
        assert_same_rows(rows, reference_queries(model.blocks[name], [
            p.words if name == "words" else p.spelled for p in queries]))
    if built == "fit":  # words the queries had unseen enter the catalogue: the next queries weigh them
        index.add([Product("new", " ".join(UNSEEN[:4]), description=" ".join(UNSEEN[4:]))])
        assert "xylophone" in index.text.blocks["words"].columns
        for name, block in model.blocks.items():
            assert_same_rows(block.queries(documents[name]), reference_queries(block, documents[name]))


def test_no_query_and_an_empty_catalogue():
    model = TextModel()
    for block in model.blocks.values():
        assert block.queries([]).shape == (0, 0)
        assert_same_row(block.query(("teak",)), reference_queries(block, [("teak",)]))
        assert_same_rows(block.queries([("teak",), ()]), reference_queries(block, [("teak",), ()]))


def test_each_querys_row_is_its_row_of_the_batch(tiny_vocabulary):
    rng = random.Random(9)
    index = ProductIndex(random_products(rng, 60), vocabulary=tiny_vocabulary)
    profiles = [build_profile(r, tiny_vocabulary) for r in random_demands(rng, 20)]
    profiles.insert(3, build_profile(Product("empty", ""), tiny_vocabulary))
    batch = index.text.queries(profiles)
    rows = list(_query_rows(batch))
    assert len(rows) == len(profiles)
    for i, row in enumerate(rows):
        for name, matrix in batch.items():
            assert np.array_equal(row[name].indices, matrix[i].indices)
            assert np.array_equal(row[name].data, matrix[i].data)


def test_queries_remember_a_bounded_number_of_words(tiny_vocabulary, monkeypatch):
    from matchmaker.matching import text

    monkeypatch.setattr(text, "_QUERY_TOKENS_REMEMBERED", 5)
    rng = random.Random(4)
    model = ProductIndex(random_products(rng, 80), vocabulary=tiny_vocabulary).text
    documents = [build_profile(r, tiny_vocabulary).spelled for r in random_demands(rng, 30)]
    block = model.blocks["grams"]
    for _ in range(2):  # the second time, five words are remembered and the rest looked up again
        assert_same_rows(block.queries(documents), reference_queries(block, documents))
        assert len(block._token_columns) == 5
