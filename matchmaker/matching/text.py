"""The ``text`` component: TF-IDF on stems (words) and on spelling grams (characters).

One model per index: words are weighed by how rare they are in that catalogue. The value of a pair
is ``WORD_SHARE * word cosine + (1 - WORD_SHARE) * gram cosine``, computed with sparse products; no
Python loop ever runs over pairs.

**Live document frequencies.** The catalogue's rows are stored as sublinear term frequencies
(``1 + ln count``), not as TF-IDF vectors, and each block keeps how many catalogue texts hold each
feature. IDF (scikit-learn's smooth IDF, ``ln((1 + n) / (1 + df)) + 1``) is applied on the query side
and each row's norm under the current IDF is computed in one vectorised pass when a query first needs
it. So adding or removing texts touches only their own rows and counts (plus that one pass, a few
milliseconds at 100,000 texts), and the cosines are exactly those a model fitted on the resulting
catalogue would give: ``fit`` then ``add`` ranks like ``fit`` on the union. What stays frozen is how
a text becomes features (normaliser, stemmers, concept vocabulary); new words get new columns.

A query is normalised over all its words, including those the catalogue never saw (weighed as the
rarest, i.e. with document frequency 0): otherwise a Russian request sharing one number with an
English catalogue would have that number as its whole vector and look like a perfect match.
"""

from __future__ import annotations

import math
from itertools import chain
from functools import lru_cache
from typing import Callable, Mapping, NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp

from matchmaker.vocabulary import N_

from matchmaker.matching.explain import Phrase
from matchmaker.matching.normalise import normalise, stem
from matchmaker.matching.profile import Profile, word_grams

__all__ = ["TextModel", "WORD_SHARE", "Rows", "local_counts", "local_counts_of"]

WORD_SHARE = 0.5
_BLOCKS = ("words", "grams")


_QUERY_TOKENS_REMEMBERED = 200_000  # per block, ~300 bytes each


def _one(feature: str) -> tuple[str, ...]:
    return (feature,)


class _Block:
    """An extensible feature list with live document frequencies."""

    def __init__(self, expand: Callable[[str], tuple[str, ...]]):
        self.expand = expand                     # a profile's token -> its features (cached per token)
        self.columns: dict[str, int] = {}
        self.names: list[str] = []
        self.df = np.zeros(0, dtype=np.int64)
        self.documents = 0
        self._token_columns: dict[str, np.ndarray] = {}
        self._idf: np.ndarray | None = None

    # -- catalogue side ----------------------------------------------------------------------
    def _columns_of(self, token: str) -> np.ndarray:
        found = self._token_columns.get(token)
        if found is None:
            columns = []
            for feature in self.expand(token):
                column = self.columns.get(feature)
                if column is None:
                    column = self.columns[feature] = len(self.names)
                    self.names.append(feature)
                columns.append(column)
            found = self._token_columns[token] = np.array(columns, dtype=np.int32)
        return found

    def tf_rows(self, documents: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Sublinear term-frequency rows of catalogue texts; unseen features get new columns.

        Work is per distinct token of the batch: each token's feature columns are looked up once,
        and the rows are assembled with numpy."""
        local: dict[str, int] = {}
        token_ids = [local.setdefault(t, len(local)) for doc in documents for t in doc]
        tables = [self._columns_of(t) for t in local]
        lengths = np.array([len(c) for c in tables], dtype=np.int64)
        starts = np.zeros(len(tables) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        flat = np.concatenate(tables) if tables else np.zeros(0, dtype=np.int32)
        ids = np.array(token_ids, dtype=np.int64)
        matrix = _counts(documents, ids, lengths, starts, flat, len(self.names))
        matrix.data = (1.0 + np.log(matrix.data)).astype(np.float32)
        return matrix

    def absorb(self, names: Sequence[str], counts: sp.csr_matrix) -> sp.csr_matrix:
        """Term-frequency rows of texts counted over their own feature list (``local_counts``), in
        this block's columns; unseen features get new columns in the order of ``names``, which is
        the order ``tf_rows`` would give them, so the columns do not depend on how a catalogue was
        cut into chunks."""
        columns, mapping = self.columns, np.empty(len(names), dtype=np.int32)
        for i, feature in enumerate(names):
            column = columns.get(feature)
            if column is None:
                column = columns[feature] = len(self.names)
                self.names.append(feature)
            mapping[i] = column
        matrix = sp.csr_matrix((counts.data, mapping[counts.indices], counts.indptr),
                               shape=(counts.shape[0], len(self.names)))
        matrix.has_sorted_indices = False
        matrix.sort_indices()
        matrix.data = (1.0 + np.log(matrix.data)).astype(np.float32)
        return matrix

    def count(self, rows: sp.csr_matrix, sign: int, frequencies: np.ndarray | None = None) -> None:
        """Add (``sign`` 1) or remove (-1) catalogue rows from the document frequencies
        (``frequencies``: how many of the rows hold each feature, when already known)."""
        if len(self.df) < len(self.names):
            self.df = np.concatenate([self.df, np.zeros(len(self.names) - len(self.df), dtype=np.int64)])
        if rows.shape[0]:
            if frequencies is None:
                frequencies = np.bincount(rows.indices, minlength=rows.shape[1])
            self.df[: len(frequencies)] += sign * frequencies
        self.documents += sign * rows.shape[0]
        self._idf = None

    # -- weights -----------------------------------------------------------------------------
    @property
    def unseen_idf(self) -> float:
        return float(np.log(self.documents + 1) + 1)  # smooth idf with df = 0

    @property
    def idf(self) -> np.ndarray:
        if self._idf is None or len(self._idf) != len(self.df):
            self._idf = (np.log((1.0 + self.documents) / (1.0 + self.df)) + 1.0).astype(np.float32)
        return self._idf

    def norms(self, rows: sp.csr_matrix) -> np.ndarray:
        """Each row's length as a TF-IDF vector under the current IDF (1 for an empty row)."""
        idf = self.idf[: rows.shape[1]]
        squared = rows.multiply(rows) @ (idf * idf) if rows.nnz else np.zeros(rows.shape[0])
        norms = np.sqrt(np.asarray(squared, dtype=np.float32)).ravel()
        norms[norms == 0] = 1.0
        return norms

    # -- query side --------------------------------------------------------------------------
    def _query_columns(self, token: str, width: int, unseen: dict[str, int]) -> np.ndarray:
        """A query token's feature ids: their columns, and for features the catalogue never saw, ids
        from ``width`` on, one per distinct feature of the batch (``unseen``); no column is added. A
        token whose features all have columns is remembered, as ``_columns_of`` does (columns are
        never taken back), up to ``_QUERY_TOKENS_REMEMBERED`` tokens: a server's queries bring words
        without end (typos, names), the catalogue's own are bounded."""
        found = self._token_columns.get(token)
        if found is not None:
            return found
        features = self.expand(token)
        columns = [self.columns.get(f, -1) for f in features]
        if -1 not in columns:
            found = np.array(columns, dtype=np.int32)
            if len(self._token_columns) < _QUERY_TOKENS_REMEMBERED:
                self._token_columns[token] = found
            return found
        return np.array([c if c >= 0 else width + unseen.setdefault(f, len(unseen))
                         for c, f in zip(columns, features)], dtype=np.int32)

    def query(self, tokens: Sequence[str]) -> "_QueryRow":
        """One query's row of ``queries``, to the bit, by a plain loop over its features: for one
        query the batch's numpy steps (a few dozen, on arrays of a few dozen entries) cost more
        than the loop. The squared norm is summed in the order the features first occur, as there."""
        width, unseen = len(self.names), {}
        counts: dict[int, int] = {}
        for token in tokens:
            for feature in self._query_columns(token, width, unseen).tolist():
                counts[feature] = counts.get(feature, 0) + 1
        idf, unseen_idf = self.idf, self.unseen_idf
        weights = {f: (1.0 + math.log(c)) * (float(idf[f]) if f < width else unseen_idf)
                   for f, c in counts.items()}
        squared = 0.0
        for weight in weights.values():
            squared += weight * weight
        norm = math.sqrt(squared) or 1.0
        seen = sorted(f for f in weights if f < width)
        return _QueryRow(np.array(seen, dtype=np.int32),
                         np.array([weights[f] * float(idf[f]) / norm for f in seen], dtype=np.float32))

    def queries(self, documents: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Query rows, l2-normalised TF-IDF (unseen features in the norm), then multiplied by IDF once
        more: a dot product with a catalogue TF row divided by that row's norm is then the cosine.

        Work is per distinct token of the batch (its features looked up once, without giving unseen
        ones columns: a query does not change the model); the rows are assembled with numpy. Each
        row's squared norm is summed in the order its features first occur, the order a loop over
        the row's features would add them in, so the figures do not depend on how they are computed."""
        width, unseen = len(self.names), {}
        tokens = {t: i for i, t in enumerate(dict.fromkeys(chain.from_iterable(documents)))}
        ids = np.fromiter(map(tokens.__getitem__, chain.from_iterable(documents)), dtype=np.int64,
                          count=sum(map(len, documents)))
        tables = [self._query_columns(t, width, unseen) for t in tokens]
        lengths = np.fromiter(map(len, tables), dtype=np.int64, count=len(tables))
        starts = np.zeros(len(tables) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        table = np.concatenate(tables).astype(np.int64) if tables else np.zeros(0, dtype=np.int64)
        # Every feature occurrence of the batch, in reading order: its document and its id.
        per_token = lengths[ids]
        first = np.repeat(starts[ids] - (np.cumsum(per_token) - per_token), per_token)
        occurrences = table[first + np.arange(len(first))]
        rows = np.repeat(np.repeat(np.arange(len(documents), dtype=np.int64),
                                   np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))),
                         per_token)
        span = width + len(unseen) or 1
        keys, seen_at, counts = np.unique(rows * span + occurrences, return_index=True, return_counts=True)
        row, feature = keys // span, keys % span
        # (sublinear tf) x (idf, the unseen one past the columns), as Python floats would give it:
        # math.log per distinct count, the products and sums in float64.
        tf = np.array([1.0 + math.log(c) for c in range(1, int(counts.max(initial=0)) + 1)])
        idf = np.concatenate([self.idf.astype(np.float64), np.full(len(unseen), self.unseen_idf)])
        weights = tf[counts - 1] * idf[feature]
        in_order = np.argsort(seen_at, kind="stable")
        squared = np.bincount(row[in_order], weights=(weights * weights)[in_order], minlength=len(documents))
        norms = np.sqrt(squared)
        norms[norms == 0] = 1.0
        kept = feature < width
        values = (weights[kept] * idf[feature[kept]] / norms[row[kept]]).astype(np.float32)
        indptr = np.zeros(len(documents) + 1, dtype=np.int32)
        np.cumsum(np.bincount(row[kept], minlength=len(documents)), out=indptr[1:])
        return sp.csr_matrix((values, feature[kept].astype(np.int32), indptr), shape=(len(documents), width))


_ROWS_AT_ONCE = 5_000


def local_counts(documents: Sequence[Sequence[str]], expand: Callable[[str], tuple[str, ...]]) \
        -> tuple[list[str], sp.csr_matrix]:
    """How often each feature occurs in each document, over the documents' own feature list (in
    order of first occurrence, each token's features in ``expand`` order): what a worker process
    sends back instead of the tokens. ``_Block.absorb`` turns it into rows of an index."""
    # dict.fromkeys and map keep the work per token in C; Python runs once per distinct token.
    tokens = {t: i for i, t in enumerate(dict.fromkeys(chain.from_iterable(documents)))}
    ids = np.fromiter(map(tokens.__getitem__, chain.from_iterable(documents)), dtype=np.int32,
                      count=sum(map(len, documents)))
    per_document = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
    return _local_counts(list(tokens), ids, np.repeat(np.arange(len(documents), dtype=np.int32), per_document),
                         len(documents), expand)


def local_counts_of(ids: np.ndarray, names: Sequence[str], document_at: np.ndarray, documents: int,
                    expand: Callable[[str], tuple[str, ...]]) -> tuple[list[str], sp.csr_matrix]:
    """``local_counts`` of documents given as arrays: token ``i`` is ``names[ids[i]]`` and stands in
    document ``document_at[i]`` (ascending), as ``reading.Tokens`` holds them.

    >>> names, counts = local_counts_of(np.array([2, 0, 2]), ["b", "x", "a"], np.array([0, 0, 2]), 3, _one)
    >>> names, counts.toarray().tolist() == local_counts([["a", "b"], [], ["a"]], _one)[1].toarray().tolist()
    (['a', 'b'], True)
    """
    distinct, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # tokens numbered in order of first occurrence
    rank = np.empty(len(distinct), dtype=np.int32)
    rank[order] = np.arange(len(distinct), dtype=np.int32)
    return _local_counts([names[i] for i in distinct[order].tolist()], rank[inverse.reshape(-1)],
                         document_at.astype(np.int32), documents, expand)


def _local_counts(tokens: list[str], ids: np.ndarray, document_at: np.ndarray, documents: int,
                  expand: Callable[[str], tuple[str, ...]]) -> tuple[list[str], sp.csr_matrix]:
    """The counts of ``local_counts``: the documents' tokens are ``tokens[ids[i]]``, numbered in order
    of first occurrence, in documents ``document_at``."""
    expanded = [expand(t) for t in tokens]
    features = {f: i for i, f in enumerate(dict.fromkeys(chain.from_iterable(expanded)))}
    lengths = np.fromiter(map(len, expanded), dtype=np.int64, count=len(expanded))
    starts = np.zeros(len(expanded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    flat = np.fromiter(map(features.__getitem__, chain.from_iterable(expanded)), dtype=np.int32,
                       count=int(starts[-1]))
    # Counts per document of its tokens, times each token's features: a sparse product sums the
    # repeats without sorting every feature occurrence of the chunk (as building the counts from
    # one (document, feature) pair per occurrence did).
    token_counts = sp.csr_matrix((np.ones(len(ids), dtype=np.float32), (document_at, ids)),
                                 shape=(documents, len(tokens)))
    if len(flat) == len(features) == len(tokens) and np.array_equal(flat, np.arange(len(flat))):
        counts = token_counts  # each token is its own feature (words)
        counts.sum_duplicates()
        return list(features), counts
    token_features = sp.csr_matrix((np.ones(len(flat), dtype=np.float32), flat, starts),
                                   shape=(len(tokens), len(features)))
    token_features.sum_duplicates()  # a word may hold a gram twice ("anana")
    counts = token_counts @ token_features
    counts.sort_indices()
    return list(features), counts


def _counts(documents: Sequence[Sequence[str]], ids: np.ndarray, lengths: np.ndarray, starts: np.ndarray,
            flat: np.ndarray, width: int) -> sp.csr_matrix:
    """Feature counts per document, assembled with numpy (no Python per token): the batch's tokens,
    in document order, are ``ids`` into a table whose entry ``i`` lists its feature columns as
    ``flat[starts[i]:starts[i] + lengths[i]]``."""
    per_token = lengths[ids] if len(ids) else np.zeros(0, dtype=np.int64)
    total = int(per_token.sum())
    # position of each emitted feature inside ``flat``
    first = np.repeat(starts[ids] - (np.cumsum(per_token) - per_token), per_token)
    columns = flat[first + np.arange(total)] if total else np.zeros(0, dtype=np.int32)
    doc_of_token = np.repeat(np.arange(len(documents), dtype=np.int32), [len(d) for d in documents])
    rows = np.repeat(doc_of_token, per_token)
    matrix = sp.csr_matrix((np.ones(total, dtype=np.float32), (rows, columns)), shape=(len(documents), width))
    matrix.sum_duplicates()
    return matrix


def _wider(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def _profile_tokens(profile: Profile, block: str) -> tuple[str, ...]:
    return profile.words if block == "words" else profile.spelled


class _QueryRow(NamedTuple):
    """One query's row of a block of ``TextModel.queries``: its columns (ascending) and values, as
    slices of the batch's arrays. Stage two reads each query's row several times; indexing the sparse
    batch by row built a new matrix each time, which cost more than reading it."""

    indices: np.ndarray
    data: np.ndarray


class Rows:
    """A catalogue's rows in both blocks, stored as term frequencies with their current norms."""

    def __init__(self, words: sp.csr_matrix, grams: sp.csr_matrix):
        self.tf = {"words": words, "grams": grams}
        self.frequencies: dict[str, np.ndarray] = {}  # per block, how many rows hold each feature, if known
        self._norms: dict[str, tuple[int, np.ndarray]] = {}

    def __len__(self) -> int:
        return self.tf["words"].shape[0]


class TextModel:
    """TF-IDF with live document frequencies over one side's texts; ``queries`` for the other side."""

    def __init__(self, profiles: Sequence[Profile] = ()):
        self.blocks = {"words": _Block(_one), "grams": _Block(word_grams)}
        self._generation = 0
        if profiles:
            self.count(self.rows(profiles), 1)

    # -- catalogue ---------------------------------------------------------------------------
    def rows(self, profiles: Sequence[Profile]) -> Rows:
        """TF rows of catalogue profiles (new features get columns; counts are not changed). Built
        ``_ROWS_AT_ONCE`` texts at a time: the grams of 100,000 texts, before they are counted,
        would hold over a gigabyte of index arrays."""
        stacked = {}
        for n in _BLOCKS:
            pieces = [self.blocks[n].tf_rows([_profile_tokens(p, n) for p in profiles[i:i + _ROWS_AT_ONCE]])
                      for i in range(0, len(profiles), _ROWS_AT_ONCE)]
            width = len(self.blocks[n].names)
            stacked[n] = sp.vstack([_wider(piece, width) for piece in pieces], format="csr") if len(pieces) > 1 \
                else pieces[0] if pieces else sp.csr_matrix((0, width), dtype=np.float32)
        return Rows(stacked["words"], stacked["grams"])

    def absorb_chunk(self, part: tuple[tuple[list[str], sp.csr_matrix], tuple[list[str], sp.csr_matrix]]) -> dict:
        """A chunk of catalogue texts read apart (``_Index._read``), taken in order as soon as it is
        read: the ``local_counts`` of its stems and of its spelling grams as rows in each block's
        columns so far (new features get columns; counts are not changed), and how many of its
        texts hold each feature (``stack`` puts the chunks together)."""
        absorbed = {}
        for k, n in enumerate(_BLOCKS):
            rows = self.blocks[n].absorb(*part[k])
            absorbed[n] = (rows, np.bincount(rows.indices, minlength=rows.shape[1]))
        return absorbed

    def stack(self, chunks: Sequence[dict]) -> Rows:
        """The rows of chunks taken by ``absorb_chunk``, one after the other, as one ``Rows`` that
        knows its document frequencies (``count`` adds them without counting again)."""
        stacked, frequencies = {}, {}
        for n in _BLOCKS:
            width = len(self.blocks[n].names)
            pieces = [chunk[n][0] for chunk in chunks]
            stacked[n] = sp.vstack([_wider(piece, width) for piece in pieces], format="csr") if len(pieces) > 1 \
                else _wider(pieces[0], width) if pieces else sp.csr_matrix((0, width), dtype=np.float32)
            frequencies[n] = np.zeros(width, dtype=np.int64)
            for chunk in chunks:
                frequencies[n][:len(chunk[n][1])] += chunk[n][1]
        rows = Rows(stacked["words"], stacked["grams"])
        rows.frequencies = frequencies
        return rows

    def count(self, rows: Rows, sign: int) -> None:
        """Count ``rows`` in (1) or out of (-1) the catalogue's document frequencies."""
        for name in _BLOCKS:
            self.blocks[name].count(rows.tf[name], sign, rows.frequencies.get(name))
        self._generation += 1

    def norms(self, rows: Rows, block: str) -> np.ndarray:
        cached = rows._norms.get(block)
        if cached is None or cached[0] != self._generation:
            cached = rows._norms[block] = (self._generation, self.blocks[block].norms(rows.tf[block]))
        return cached[1]

    # -- queries -----------------------------------------------------------------------------
    def queries(self, profiles: Sequence[Profile]) -> dict[str, sp.csr_matrix]:
        """Query rows of each block for profiles of the other side."""
        return {n: self.blocks[n].queries([_profile_tokens(p, n) for p in profiles]) for n in _BLOCKS}

    def query(self, profile: Profile) -> dict[str, "_QueryRow"]:
        """One profile's row of each block of ``queries``."""
        return {n: self.blocks[n].query(_profile_tokens(profile, n)) for n in _BLOCKS}

    @staticmethod
    def cosine(tf: sp.csr_matrix, norms: np.ndarray, query: sp.csr_matrix) -> np.ndarray:
        """Cosines of catalogue rows ``tf`` (with their ``norms``) against query rows: an array of
        shape (rows, queries). The queries go dense (features x queries), so the product is one pass
        of the sparse rows, whatever the number of candidates."""
        width = tf.shape[1]
        dense = np.zeros((width, query.shape[0]), dtype=np.float32)
        q = query.tocoo()
        keep = q.col < width
        dense[q.col[keep], q.row[keep]] = q.data[keep]
        return np.asarray(tf @ dense, dtype=np.float32) / norms[:, None]

    def value(self, rows: Rows, positions: np.ndarray, queries: Mapping[str, _QueryRow]) -> np.ndarray:
        """Text values (word and gram cosines blended) of ``rows[positions]`` for one query (its row
        of each block)."""
        total = np.zeros(len(positions), dtype=np.float32)
        for name, share in (("words", WORD_SHARE), ("grams", 1 - WORD_SHARE)):
            tf, query = rows.tf[name], queries[name]
            dense = np.zeros(tf.shape[1], dtype=np.float32)
            keep = query.indices < tf.shape[1]
            dense[query.indices[keep]] = query.data[keep]
            total += np.float32(share) * (tf[positions] @ dense) / self.norms(rows, name)[positions]
        return total

    def describe(self, rows: Rows, position: int, query_words: _QueryRow, value: float,
                 query: Profile) -> Phrase:
        """The words the two texts share, as the query wrote them (not stems, no figures)."""
        tf = rows.tf["words"]
        start, stop = tf.indptr[position], tf.indptr[position + 1]
        shared, mine, theirs = np.intersect1d(tf.indices[start:stop], query_words.indices,
                                              assume_unique=True, return_indices=True)
        data = tf.data[start:stop][mine] * query_words.data[theirs] / self.norms(rows, "words")[position]
        word_cos = float(data.sum())
        order = np.argsort(-data, kind="stable")[:5]
        names = self.blocks["words"].names
        stems = [str(names[shared[i]]) for i in order]
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
