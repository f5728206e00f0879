"""The ``text`` component: TF-IDF on stems (words) and on spelling grams (characters).

One model per index: words are weighed by how rare they are in that catalogue. The two blocks are
scaled so that one sparse dot product gives ``WORD_SHARE * word cosine + (1 - WORD_SHARE) * gram
cosine``; no Python loop ever runs over pairs.

A query is normalised over all its words, including those the catalogue never saw (weighed as the
rarest): otherwise a Russian request sharing one number with an English catalogue would have that
number as its whole vector and look like a perfect match.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker.vocabulary import N_

from matchmaker.matching.explain import Phrase
from matchmaker.matching.normalise import normalise, stem
from matchmaker.matching.profile import Profile

__all__ = ["TextModel", "WORD_SHARE"]

WORD_SHARE = 0.5
_BLOCKS = ("words", "grams")


def _as_is(features):
    return features


class _Block:
    def __init__(self, documents: list[tuple[str, ...]]):
        self.vectoriser = TfidfVectorizer(analyzer=_as_is, sublinear_tf=True, dtype=np.float32)
        self.vectoriser.fit(documents or [("-",)])
        self.columns = self.vectoriser.vocabulary_
        self.idf = self.vectoriser.idf_.astype(np.float32)
        self.unseen_idf = float(np.log(len(documents) + 1) + 1)  # smooth idf with df = 0
        self.names = self.vectoriser.get_feature_names_out()

    def catalogue(self, documents: list[tuple[str, ...]]) -> sp.csr_matrix:
        if not documents:  # an empty catalogue is legal: it simply matches nothing
            return sp.csr_matrix((0, len(self.columns)), dtype=np.float32)
        return self.vectoriser.transform(documents).tocsr()

    def queries(self, documents: list[tuple[str, ...]]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for row, features in enumerate(documents):
            norm2, entries = 0.0, []
            for feature, count in Counter(features).items():
                tf = 1.0 + np.log(count)
                col = self.columns.get(feature)
                weight = tf * (self.idf[col] if col is not None else self.unseen_idf)
                norm2 += weight * weight
                if col is not None:
                    entries.append((col, weight))
            norm = np.sqrt(norm2) or 1.0
            for col, weight in entries:
                rows.append(row)
                cols.append(col)
                vals.append(weight / norm)
        return sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                             shape=(len(documents), len(self.columns)))


class TextModel:
    """TF-IDF fitted on one side's profiles; ``catalogue`` for that side, ``queries`` for the other."""

    def __init__(self, profiles: Sequence[Profile]):
        self.blocks = {name: _Block([getattr(p, name) for p in profiles]) for name in _BLOCKS}

    def _combine(self, words: sp.csr_matrix, grams: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        combined = sp.hstack([words * np.float32(np.sqrt(WORD_SHARE)),
                              grams * np.float32(np.sqrt(1 - WORD_SHARE))], format="csr")
        return words, combined

    def catalogue(self, profiles: Sequence[Profile]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(word block, combined block) rows for the profiles this model was fitted on."""
        return self._combine(*(self.blocks[n].catalogue([getattr(p, n) for p in profiles])
                               for n in _BLOCKS))

    def queries(self, profiles: Sequence[Profile]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(word block, combined block) rows for profiles of the other side."""
        return self._combine(*(self.blocks[n].queries([getattr(p, n) for p in profiles])
                               for n in _BLOCKS))

    def describe(self, catalogue_words: sp.csr_matrix, query_words: sp.csr_matrix, value: float,
                 query: Profile) -> Phrase:
        """The words the two texts share, as the query wrote them (not stems, no figures)."""
        product = catalogue_words.multiply(query_words).tocoo()
        word_cos = float(product.data.sum())
        order = np.argsort(-product.data, kind="stable")[:5]
        stems = [str(self.blocks["words"].names[product.col[i]]) for i in order]
        if stems:
            written = _surface_words(f"{query.record.title} {query.record.description or ''}", query.language)
            return Phrase(N_("Words in common: {words}"), {"words": tuple(written.get(s, s) for s in stems)})
        spelling = (value - WORD_SHARE * word_cos) / (1 - WORD_SHARE)
        return _SIMILAR_SPELLING if spelling >= SIMILAR_SPELLING else _SOME_SPELLING if spelling > 0 else _NO_WORDS


SIMILAR_SPELLING = 0.3  # spelling-gram similarity from which cognates ("sintetis", "synthetic") are named
_SIMILAR_SPELLING = Phrase(N_("No word in common, but similar spellings (cognates, transliteration)"))
_SOME_SPELLING = Phrase(N_("No word in common; a few spellings partly alike"))
_NO_WORDS = Phrase(N_("No words in common"))


@lru_cache(maxsize=4096)
def _surface_words(text: str, language: str) -> dict[str, str]:
    """Each stem of a text mapped to the first word that gave it ("tabl" -> "tables"); cached, as a
    query's ten explained matches all ask. Callers only read the dict."""
    written: dict[str, str] = {}
    for word in normalise(text).split():
        written.setdefault(stem(word, language), word)
    return written
