"""Search one side of the market with records of the other: ``ProductIndex`` and ``DemandIndex``.

Two stages. Stage one scores every catalogue entry at once with sparse matrix products (word TF-IDF,
concepts, HS heading) and keeps the best eligible candidates. Stage two computes every component
exactly for those candidates only, keeps those whose products agree (``evidence.py``) and whose
grade reaches the minimum (``grade.py``), ranks them by score (ties by id) and explains the top k.

``why_not`` runs the same two stages over the partners the hard constraints exclude, so an owner
learns which relevant partners a missing certificate keeps away.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

try:  # scipy's kernel behind a CSC matrix times a vector (see _postings_sum)
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - a scipy that moved it: the public product, the same figures
    _csc_matvec = None

from matchmaker.matching.concepts import ConceptVocabulary, default_vocabulary
from matchmaker.matching.constraints import certification_mask, country_codes, eligible, exclusions, \
    holdings, requirements
from matchmaker.matching.evidence import STRONG_TEXT, evidence, has_evidence
from matchmaker.matching.explain import Explanation, Match, score_units
from matchmaker.matching.grade import grade, raw_floor_units
from matchmaker.matching.artefact import ENGINE_VERSION, STORED, Fingerprint, load_index, save_index
from matchmaker.matching.parallel import collections_paused, default_workers, forked_map
from matchmaker.matching.profile import Profile, build_profile, read_in_chunks, \
    with_tokens, word_grams
from matchmaker.matching.reading import read_profiles, read_slim
from matchmaker.matching.records import Demand, Product
from matchmaker.matching.scoring import LABELS, other_components, resolve_weights
from matchmaker.matching.text import Rows, TextModel, _QueryRow, _one, local_counts_of

__all__ = ["ProductIndex", "DemandIndex", "Obstacle"]

CANDIDATES = 75       # stage two looks at this many per query: on quality.py's dev half 50 already gave every figure
                      # of 100, but informal.py's real retail names lost 0.004 nDCG@10 at 50 and none at 75
CHUNK = 64            # queries per stage-one matrix product: 64 x 100,000 floats stay ~25 MB
_STAGE_ONE_FLOOR = 0.02  # keep every stage-one signal alive even if a caller weighs it 0
_FLOOR_UNITS = raw_floor_units(1000)  # raw score (thousandths, as score_units) of the minimum grade
_MASKS_KEPT = 16      # masks of sets of ids (search facets) remembered until the catalogue changes
_masks_lock = threading.Lock()
_READ_TOGETHER = 16   # queries read as one batch (reading.read_profiles) rather than one by one
PARALLEL_QUERIES_FROM = 512  # a list of this many queries is ranked with forked worker processes


@dataclass(frozen=True)
class Obstacle:
    """Relevant partners one hard constraint keeps away from an item, for its owner.

    ``kind`` and ``code`` are those of :class:`~matchmaker.matching.constraints.Exclusion` (e.g.
    ``certificate``/``vet``); ``partner_ids`` are the excluded partners that would otherwise have been
    proposed, best first; ``subject`` is the item's main product concept ("tuna"), or None. A partner
    in the item's own country is counted under ``own_country`` only: no certificate would bring it.
    """

    kind: str
    code: str
    partner_ids: tuple[str, ...]
    subject: str | None = None


def _widen(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    """The same rows with more (empty) columns on the right: features are only ever appended."""
    if matrix.shape[1] == width:
        return matrix
    return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def _query_rows(query_text: dict) -> Iterator[dict]:
    """Each query's own rows of ``TextModel.queries``, as slices of the batch's arrays."""
    blocks = [(n, m.indptr.tolist(), m.indices, m.data) for n, m in query_text.items()]
    for i in range(next(iter(query_text.values())).shape[0]):
        yield {n: _QueryRow(indices[bounds[i]:bounds[i + 1]], data[bounds[i]:bounds[i + 1]])
               for n, bounds, indices, data in blocks}


def _hs_ints(code: str | None, digits: int) -> int:
    return int(code[:digits]) if code and len(code) >= digits else -1


def _concept_weights(profile: Profile, concept_column: Mapping[str, int]) -> list[tuple[int, float]]:
    """A profile's concept weights as ``(column, weight)``, scaled to unit length."""
    weights = [(concept_column[c], w) for c, w in profile.weights.items() if c in concept_column]
    norm = math.sqrt(sum(w * w for _, w in weights))
    return [(c, w / norm) for c, w in weights]


def _concept_matrix(profiles: Sequence[Profile], concept_column: Mapping[str, int]) -> sp.csr_matrix:
    """Each profile's concept weights as a unit-length row."""
    rows, cols, vals = [], [], []
    for row, p in enumerate(profiles):
        weights = _concept_weights(p, concept_column)
        rows += [row] * len(weights)
        cols += [c for c, _ in weights]
        vals += [w for _, w in weights]
    return sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                         shape=(len(profiles), max(1, len(concept_column))))


def _concept_vector(profile: Profile, concept_column: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """One profile's row of ``_concept_matrix`` as (columns ascending, float32 values), without
    building a matrix (that cost more than stage one's product for one query)."""
    weights = sorted(_concept_weights(profile, concept_column))
    return (np.array([c for c, _ in weights], dtype=np.int64),
            np.array([w for _, w in weights], dtype=np.float32))


@dataclass
class _Read:
    """A chunk of catalogue records as the index keeps them: profiles without their words (only
    the counts are kept), term counts over the chunk's own feature lists (``text.local_counts``),
    concept rows and the per-row arrays of the hard constraints and stage one's HS signal. Worker
    processes send this back, compact, instead of full profiles."""

    profiles: list
    words: tuple | None
    grams: tuple | None
    concepts: sp.csr_matrix
    heading: np.ndarray
    chapter: np.ndarray
    hs_confidence: np.ndarray
    certificates: np.ndarray
    country: np.ndarray
    text: dict | None = None  # ``words`` and ``grams`` once taken by the index (``TextModel.absorb_chunk``)

    def __getstate__(self) -> dict:
        # Pickled only on the way back from a worker, whose parent holds the records already (the
        # worker drops its profiles afterwards, so they lose their records in place).
        for profile in self.profiles:
            object.__setattr__(profile, "record", None)
        return self.__dict__

    def restore(self, records: Sequence) -> None:
        """Put back the records a worker left out (see ``__getstate__``)."""
        if self.profiles and self.profiles[0].record is None:
            for profile, record in zip(self.profiles, records):
                object.__setattr__(profile, "record", record)


def _read(records: Sequence, *, vocabulary: ConceptVocabulary, concept_column: Mapping[str, int],
          holds: bool) -> _Read:
    """Read catalogue records (``holds``: they are products, whose certificates are held)."""
    slim, stems, spelled = read_slim(records, vocabulary)  # the words are counted, not kept
    words = local_counts_of(stems.ids, stems.names, stems.text_at, stems.texts, _one)
    grams = local_counts_of(spelled.ids, spelled.names, spelled.text_at, spelled.texts, word_grams)
    return _Read(
        slim, words, grams, _concept_matrix(slim, concept_column),
        np.array([_hs_ints(p.hs.code, 4) for p in slim], dtype=np.int32),
        np.array([_hs_ints(p.hs.code, 2) for p in slim], dtype=np.int32),
        np.array([p.hs.confidence for p in slim], dtype=np.float32),
        np.array([certification_mask(tuple(holdings(p) if holds else requirements(p))) for p in slim],
                 dtype=np.int64),
        country_codes([p.record.country for p in slim]))


class _Segment:
    """Catalogue rows added together (by ``fit`` or one ``add``): text rows and concept rows. Later
    segments may be narrower than the current feature list (columns are only ever appended)."""

    def __init__(self, start: int, text: Rows, concepts: sp.csr_matrix):
        self.start = start
        self.text = text
        self.concepts = concepts
        # Stage one walks each query word's postings: the word rows transposed (feature x row).
        self.words_t = text.tf["words"].T.tocsr()
        self.concepts_t = concepts.T.tocsr()

    @property
    def stop(self) -> int:
        return self.start + len(self.text)


def _postings_sum(postings: sp.csr_matrix, features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``postings[features].T @ weights``, to the bit (float32, each row's terms added in the order
    of ``features``), without building ``postings[features]``: scipy's own kernel for a column of a
    sparse matrix times a number adds each feature's postings where they lie. Copying them out
    first, with scipy's checks around it, was a third of stage one."""
    if _csc_matvec is None or not (postings.dtype == weights.dtype == np.float32
                                   and postings.indptr.dtype == postings.indices.dtype == np.int32):
        return postings[features].T @ weights
    rows = postings.shape[1]
    out = np.zeros(rows, dtype=np.float32)
    indptr, indices, data = postings.indptr, postings.indices, postings.data
    for j, feature in enumerate(features.tolist()):
        _csc_matvec(rows, 1, indptr[feature:feature + 2], indices, data, weights[j:j + 1], out)
    return out


def _among(values: np.ndarray, ascending: np.ndarray) -> np.ndarray:
    """``np.isin(values, ascending)`` for an ascending array of distinct values, by binary search:
    ``isin`` sorts the large array again on every call."""
    if not len(ascending):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ascending, values), len(ascending) - 1)
    return ascending[at] == values


def _best(row: np.ndarray, ok: np.ndarray, available: int, take: int) -> np.ndarray:
    """Positions of the ``take`` highest scores of ``row`` among the rows ``ok`` (``available`` of
    them), as ``np.argpartition`` over the whole row gives them: stage two's candidates.

    Most rows score above zero (a query's common words are in most texts), so rather than
    partitioning all of them, the scores at or above the ``take``-th best of a regular sample are
    partitioned (each sampled row above that score is one more row above it in the whole, so the
    best ``take`` are all there). When the ``take``-th score of the whole is shared with a row left
    out, which of the tied rows are taken is argpartition's choice over the whole row: it is then
    left to it, so the candidates are exactly what they always were."""
    take = min(take, available)
    if take == 0:
        return np.zeros(0, dtype=np.int64)
    step = available // (32 * take)
    if step > 1:
        sample = row[::step][ok[::step]]
        if len(sample) > take:
            floor = np.partition(sample, len(sample) - take)[len(sample) - take]
            if floor > 0:
                kept = np.flatnonzero((row >= floor) & ok)
                scores = row[kept]
                chosen = np.argpartition(-scores, take - 1)[:take]
                if np.count_nonzero(scores >= scores[chosen].min()) == take:
                    return kept[chosen]
    return np.argpartition(-np.where(ok, row, -np.inf), take - 1)[:take]


class _Index:
    """The engine as a fitted artefact (scikit-learn style): ``fit`` reads a whole catalogue,
    ``add``/``remove`` change it in place with the same frozen reading (stemmers, concept
    vocabulary), ``save``/``load`` keep it, ``fingerprint`` says which engine, weights and vocabulary
    scored a match. Word weights (IDF) follow the catalogue as it is after each change, see
    ``text.py``: ``fit(a)`` then ``add(b)`` ranks exactly as ``fit(a + b)``.
    """

    _products_are_catalogue = True
    _kind = "products"

    def __init__(self, records: Iterable | None = None, *, weights: Mapping[str, float] | None = None,
                 vocabulary: ConceptVocabulary | None = None, candidates: int = CANDIDATES):
        self.vocabulary = vocabulary if vocabulary is not None else default_vocabulary()
        self.weights = resolve_weights(weights)
        self.candidates = candidates
        self.fit(records if records is not None else ())

    # -- fitting and changing ----------------------------------------------------------------
    def fit(self, records: Iterable, *, workers: int | None = None) -> "_Index":
        """Read a whole catalogue (the heavy step); replaces whatever the index held. Large
        catalogues are read in ``workers`` processes (see ``profile.build_profiles``)."""
        records = list(records)
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids):
            raise ValueError("record ids must be unique within an index")
        self._ids: list = []         # position -> id (None once removed)
        self._profiles: list = []    # position -> Profile, None once removed, STORED until read from a file
        self._store = None           # the saved profiles of a loaded index (artefact.StoredProfiles)
        self._stored_row = np.zeros(0, dtype=np.int64)
        self._position: dict[str, int] = {}
        self._segments: list[_Segment] = []
        self.text = TextModel()
        self._concept_column = {name: i for i, name in enumerate(sorted(self.vocabulary.concepts))}
        self._heading = np.zeros(0, dtype=np.int32)
        self._chapter = np.zeros(0, dtype=np.int32)
        self._hs_confidence = np.zeros(0, dtype=np.float32)
        self._certificates = np.zeros(0, dtype=np.int64)
        self._country = np.zeros(0, dtype=np.int16)
        self._alive = np.zeros(0, dtype=bool)
        self._fitted_at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        self._append(self._read(records, workers))
        return self

    def add(self, records: Iterable) -> "_Index":
        """Add records (or replace those whose id is already indexed) with the fitted reading; the
        cost is that of the records added (see ``text.py`` for the word weights)."""
        latest = {r.id: r for r in records}  # the same id twice in one call: the last one counts
        self.remove([i for i in latest if i in self._position])
        self._append(self._read(list(latest.values()), None))
        self._compact_when_fragmented()
        return self

    def remove(self, ids: Iterable[str]) -> "_Index":
        """Take records out by id; ids not in the index are ignored."""
        positions = sorted({self._position.pop(i) for i in ids if i in self._position})
        if not positions:
            return self
        chosen = np.array(positions, dtype=np.int64)
        for segment in self._segments:
            local = chosen[(chosen >= segment.start) & (chosen < segment.stop)] - segment.start
            if len(local):
                self.text.count(Rows(*(segment.text.tf[n][local] for n in ("words", "grams"))), -1)
        self._alive[chosen] = False
        self._cached = {}
        for position in positions:
            self._ids[position] = self._profiles[position] = None
        self._compact_when_fragmented()
        return self

    def _read(self, records: Sequence, workers: int | None) -> list[_Read]:
        """Read records in chunks, in worker processes when there are many (``read_in_chunks``)."""
        read = partial(_read, vocabulary=self.vocabulary, concept_column=self._concept_column,
                       holds=self._products_are_catalogue)
        def take(bounds: tuple[int, int], chunk: _Read) -> _Read:
            chunk.restore(records[slice(*bounds)])
            # Its words and grams get their columns now, while the workers read on; the counts
            # are let go (a gigabyte of grams at 100,000 texts, before they are summed).
            chunk.text, chunk.words, chunk.grams = self.text.absorb_chunk((chunk.words, chunk.grams)), None, None
            return chunk

        return [chunk for _, chunk in read_in_chunks(read, records, workers=workers, then=take)]

    def _append(self, reads: list[_Read]) -> None:
        start = len(self._ids)
        rows = self.text.stack([r.text for r in reads])
        self.text.count(rows, 1)
        profiles = [p for r in reads for p in r.profiles]
        concepts = sp.vstack([r.concepts for r in reads], format="csr") if reads else \
            _concept_matrix([], self._concept_column)
        self._segments.append(_Segment(start, rows, concepts))
        for offset, profile in enumerate(profiles):
            self._position[profile.record.id] = start + offset
        self._ids += [p.record.id for p in profiles]
        self._profiles += profiles
        self._stored_row = np.concatenate([self._stored_row, np.full(len(profiles), -1, dtype=np.int64)])
        for name in ("heading", "chapter", "hs_confidence", "certificates", "country"):
            setattr(self, f"_{name}", np.concatenate([getattr(self, f"_{name}")] + [getattr(r, name) for r in reads]))
        self._alive = np.concatenate([self._alive, np.ones(len(profiles), dtype=bool)])
        self._cached = {}

    def _compact_when_fragmented(self) -> None:
        """Merge segments and drop removed rows once there are many small segments or many removed
        rows: amortised, each row is copied a bounded number of times."""
        base = len(self._segments[0].text) if self._segments else 0
        tail = len(self._ids) - base
        dead = len(self._ids) - int(self._alive.sum())
        if len(self._segments) > 16 or tail > max(base // 4, 1000) or dead > max(len(self._ids) // 4, 1000):
            self._compact()

    def _compact(self) -> None:
        """One segment, no removed rows: positions change, results do not."""
        if len(self._segments) <= 1 and bool(self._alive.all()):
            return
        keep = np.flatnonzero(self._alive)
        widths = {n: len(self.text.blocks[n].names) for n in ("words", "grams")}
        stacked = {n: _widen(sp.vstack([_widen(s.text.tf[n], widths[n]) for s in self._segments],
                                       format="csr"), widths[n])[keep] for n in widths}
        concepts = sp.vstack([s.concepts for s in self._segments], format="csr")[keep]
        self._segments = [_Segment(0, Rows(stacked["words"], stacked["grams"]), concepts)]
        self._ids = [self._ids[i] for i in keep.tolist()]
        self._profiles = [self._profiles[i] for i in keep.tolist()]
        self._position = {record_id: i for i, record_id in enumerate(self._ids)}
        for name in ("_heading", "_chapter", "_hs_confidence", "_certificates", "_country", "_alive",
                     "_stored_row"):
            setattr(self, name, getattr(self, name)[keep])
        self._cached = {}

    @property
    def records(self) -> tuple:
        """The indexed records, in the order they were added."""
        return tuple(self._profile(i).record for i, record_id in enumerate(self._ids) if record_id is not None)

    def __len__(self) -> int:
        return len(self._position)

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._position

    def profile(self, record_id: str) -> Profile | None:
        """The engine's reading of one indexed record (its language, concepts, HS), or None when
        the record is not in the index."""
        position = self._position.get(record_id)
        return None if position is None else self._profile(position)

    def read_stored_profiles(self, *, step: int = 256) -> Iterator[int]:
        """Read now the profiles a loaded index would read on first use, ``step`` positions per
        iteration (a generator that yields how many positions it has gone through): a server reads
        them before its first queries, and may take its own lock around each step. The file's copy
        is let go once every profile is read.

        >>> index = ProductIndex([Product("p1", "Teak chair")])
        >>> list(index.read_stored_profiles())   # a fitted index holds its profiles already
        [1]
        """
        done = 0
        while done < len(self._ids):
            for position in range(done, min(done + step, len(self._ids))):
                if self._profiles[position] is STORED:
                    self._profile(position)
            done = min(done + step, len(self._ids))
            yield done
        if self._store is not None and not any(p is STORED for p in self._profiles):
            self._store = None

    @property
    def profiles(self) -> list[Profile]:
        return [self._profile(i) for i, record_id in enumerate(self._ids) if record_id is not None]

    def _profile(self, position: int) -> Profile:
        """The catalogue profile at ``position``; a loaded index reads its profiles when first needed."""
        found = self._profiles[position]
        if found is STORED:
            store = self._store  # None once another thread has read them all (read_stored_profiles)
            found = self._profiles[position] = \
                self._profiles[position] if store is None else store.profile(int(self._stored_row[position]))
        return found

    # -- fingerprint, save, load -------------------------------------------------------------
    @property
    def fingerprint(self) -> Fingerprint:
        """Which engine, weights and concept vocabulary scored, and when the index was fitted."""
        return Fingerprint(ENGINE_VERSION, tuple(sorted(self.weights.items())), self.vocabulary.digest,
                           self._fitted_at)

    def save(self, path) -> None:
        """Write the fitted index to one file (numpy arrays and a small manifest)."""
        self._compact()
        save_index(self, path)

    @classmethod
    def load(cls, path, *, vocabulary: ConceptVocabulary | None = None) -> "_Index":
        """Read an index written by ``save``; refuses a file of another engine version, of the other
        side of the market, or fitted with another concept vocabulary."""
        return load_index(cls, path, vocabulary=vocabulary)

    # -- the two directions differ only here -------------------------------------------------
    def _certificate_mask(self, profile: Profile, *, query: bool = False) -> int:
        """What a product holds, or what a request requires (the corridor rules included)."""
        product_side = self._products_are_catalogue != query
        return certification_mask(tuple(holdings(profile) if product_side else requirements(profile)))

    def _pair(self, catalogue: Profile, query: Profile) -> tuple[Profile, Profile]:
        return (catalogue, query) if self._products_are_catalogue else (query, catalogue)

    def _eligible(self, query: Profile) -> np.ndarray:
        mine = np.int64(self._certificate_mask(query, query=True))
        theirs = country_codes([query.record.country])[0]
        if self._products_are_catalogue:
            return eligible(held=self._certificates, required=mine, product_country=self._country,
                            demand_country=theirs)
        return eligible(held=mine, required=self._certificates, product_country=theirs,
                        demand_country=self._country)

    # -- stage one ---------------------------------------------------------------------------
    def _memo(self, key, build):
        """A per-query array that depends only on ``key`` and the catalogue (many queries share it:
        the same certificates and country, the same HS chapter); forgotten when the catalogue changes."""
        cached = self.__dict__.setdefault("_cached", {})
        found = cached.get(key)
        if found is None:
            if len(cached) > 4096:  # a list of rows per product concept is kept among them
                cached.clear()
            found = cached[key] = build()
        return found

    def _hs_stage_one(self, query: Profile) -> tuple[np.ndarray, np.ndarray] | None:
        """Stage one's HS signal as ``(positions, values)``: only rows of the query's chapter get
        one (a heading lies inside its chapter), so the rest of the catalogue is not touched."""
        code = query.hs.code
        if not code:
            return None
        heading, chapter = _hs_ints(code, 4), _hs_ints(code, 2)
        rows = self._memo(("chapter", chapter), lambda: np.flatnonzero(self._chapter == chapter))
        confidence = self._hs_confidence[rows]
        sure = {d: np.minimum(confidence, np.float32(query.hs.confidence_at(d))) for d in (2, 4)}
        fit = np.float32(0.35 if heading >= 0 else 0.5) * sure[2]
        if heading >= 0:
            fit = np.where(self._heading[rows] == heading, sure[4], fit)
        return rows, fit

    def _text_factor(self, i: int) -> np.ndarray:
        """What stage one multiplies the word products of segment ``i`` by: the text weight (half of
        the text value is words) over each row's norm."""
        weight = np.float32(max(self.weights["text"], _STAGE_ONE_FLOOR) * 0.5)
        return self._memo(("text_factor", i, float(weight)),  # weights may be set after a load
                          lambda: weight / self.text.norms(self._segments[i].text, "words"))

    def _stage_one(self, query: Profile, words: _QueryRow) -> np.ndarray:
        """Stage one's score of every catalogue row for one query (``words``, its row of word
        TF-IDF): the word cosine, concepts and HS, each weighed.

        Only the query's own features are read: the postings of its few words and concepts, as
        columns of a small matrix whose product with the query's weights walks them in C. The sums
        are those of the batch's sparse product (float32, each row's terms added in the order of
        the query's features), so the scores are the same to the bit."""
        w = {n: max(self.weights[n], _STAGE_ONE_FLOOR) for n in ("text", "concepts", "hs")}
        concepts, weights = _concept_vector(query, self._concept_column)
        parts = []
        for i, segment in enumerate(self._segments):
            seen = words.indices < segment.words_t.shape[0]  # words added after this segment
            scores = _postings_sum(segment.words_t, words.indices[seen], words.data[seen])
            scores *= self._text_factor(i)
            if len(concepts):
                scores += _postings_sum(segment.concepts_t, concepts, weights) * np.float32(w["concepts"])
            parts.append(scores)
        dense = np.concatenate(parts) if len(parts) != 1 else parts[0]
        hs = self._hs_stage_one(query)
        if hs is not None:
            dense[hs[0]] += w["hs"] * hs[1]
        return dense

    # -- stage two ---------------------------------------------------------------------------
    def _eligible_alive(self, query: Profile) -> tuple[np.ndarray, int]:
        """Rows the query may be matched with (and not removed), and how many; shared by queries
        with the same certificates and country."""
        key = ("eligible", self._certificate_mask(query, query=True), query.record.country)
        return self._memo(key, lambda: (lambda ok: (ok, int(ok.sum())))(self._eligible(query) & self._alive))

    def _rank(self, query: Profile, query_row: dict, k: int) -> list[tuple[int, float]]:
        ok, available = self._eligible_alive(query)
        candidates = _best(self._stage_one(query, query_row["words"]), ok, available, max(self.candidates, k))
        ranked = self._proposable(query, candidates, query_row)
        return [(position, text_value) for _, _, position, text_value in ranked[:k]]

    def _text_values(self, positions: np.ndarray, query_row: dict) -> np.ndarray:
        """Text values of the catalogue rows at ``positions`` for one query (``_query_rows``)."""
        if len(self._segments) == 1:
            return self.text.value(self._segments[0].text, positions, query_row)
        values = np.zeros(len(positions), dtype=np.float32)
        for segment in self._segments:
            inside = (positions >= segment.start) & (positions < segment.stop)
            if inside.any():
                values[inside] = self.text.value(segment.text, positions[inside] - segment.start, query_row)
        return values

    def _segment_of(self, position: int) -> _Segment:
        return next(s for s in self._segments if s.start <= position < s.stop)

    def _proposable(self, query: Profile, candidates: np.ndarray,
                    query_row: dict) -> list[tuple[int, str, int, float]]:
        """Stage two on the ``candidates`` (positions) of stage one: ``(-raw units, id, position,
        text value)`` of those that reach the minimum grade and whose products agree, best first."""
        text_values = self._text_values(candidates, query_row)
        possible = self._may_agree(query, candidates, text_values)
        candidates, text_values = candidates[possible], text_values[possible]
        ranked = []
        weights = self.weights
        for position, text_value in zip(candidates.tolist(), np.minimum(text_values, 1.0).tolist()):
            product, demand = self._pair(self._profile(position), query)
            others = other_components(product, demand, self.vocabulary, details=False)
            units = score_units([(text_value, weights["text"])] + [(value, weights[name])
                                                                  for name, (value, _) in others.items()])
            if units < _FLOOR_UNITS or not has_evidence(product, demand, text=text_value,
                                                        concepts=others["concepts"][0],
                                                        vocabulary=self.vocabulary):
                continue
            # Figures only: the k shown are redone with their sentences (building sentences for every
            # candidate, and holding them until the sort, cost a quarter of the batch time).
            ranked.append((-units, self._ids[position], position, text_value))
        ranked.sort(key=lambda entry: entry[:2])
        return ranked

    def _may_agree(self, query: Profile, positions: np.ndarray, text_values: np.ndarray) -> np.ndarray:
        """Which catalogue rows at ``positions`` could show product evidence with the query (see
        ``evidence.has_evidence``), from the index's arrays alone: strong text, a product concept
        both name, the same HS chapter, a runner-up heading of either side. Every row that has
        evidence is kept, so ranking only these is exact; it spares stage two's per-pair work for
        the rest, most of a side when a save ranks all of it to find the lists it can enter."""
        keep = np.minimum(text_values, 1.0) >= STRONG_TEXT
        # One remembered list of rows per concept, not per set of concepts: queries rarely share
        # their whole set, and merging the lists afresh cost stage two a millisecond per query.
        for column in sorted(self._concept_column[c] for c in query.concepts & self.vocabulary.products
                             if c in self._concept_column):
            keep |= _among(positions, self._memo(("naming", column), lambda: self._rows_naming(column)))
        code = query.hs.code
        if code:
            keep |= self._chapter[positions] == _hs_ints(code, 2)
            if query.hs.others:
                keep |= np.isin(self._heading[positions], [_hs_ints(h, 4) for h, _ in query.hs.others])
            if _hs_ints(code, 4) >= 0:  # a row's own runner-up heading may be the query's: inferred rows
                keep |= (self._hs_confidence[positions] < 1.0) & (self._chapter[positions] >= 0)
        return keep

    def _rows_naming(self, column: int) -> np.ndarray:
        """Positions of the rows whose concepts include this concept column, ascending (each
        segment's row of its transposed concepts is ascending, and segments follow each other)."""
        found = [segment.concepts_t.indices[segment.concepts_t.indptr[column]:segment.concepts_t.indptr[column + 1]]
                 + segment.start for segment in self._segments if column < segment.concepts_t.shape[0]]
        return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)

    def _parts(self, position: int, query: Profile, text_value: float, *, details: bool = True) -> list:
        product, demand = self._pair(self._profile(position), query)
        others = other_components(product, demand, self.vocabulary, details=details)
        return [("text", text_value, self.weights["text"], None)] + [
            (name, value, self.weights[name], detail) for name, (value, detail) in others.items()]

    def _evidence(self, position: int, query: Profile, parts: list) -> tuple[str, ...]:
        values = {name: value for name, value, _, _ in parts}
        return evidence(*self._pair(self._profile(position), query), text=values["text"],
                        concepts=values["concepts"], vocabulary=self.vocabulary)

    def _explanation(self, position: int, query: Profile, parts: list, query_row: dict,
                     excluded: Sequence[str] = ()) -> Explanation:
        segment = self._segment_of(position)
        text_detail = self.text.describe(segment.text, position - segment.start, query_row["words"],
                                         parts[0][1], query)
        return Explanation.from_parts(
            [(name, LABELS[name], value, weight, detail if detail is not None else text_detail)
             for name, value, weight, detail in parts], excluded, grade=grade,
            evidence=self._evidence(position, query, parts), name=self._english_name)

    def _english_name(self, concept: str) -> str:
        return self.vocabulary.label(concept, "en")

    def _match(self, query: Profile, position: int, parts: list, query_row: dict) -> Match:
        explanation = self._explanation(position, query, parts, query_row)
        product, demand = self._pair(self._profile(position), query)
        return Match(demand.record.id, product.record.id, explanation.score, explanation)

    def _obstacles(self, record) -> list[Obstacle]:
        """Partners that would be proposed but for a hard constraint, grouped by the constraint."""
        query = build_profile(record, self.vocabulary)
        blocked = ~self._eligible(query) & self._alive
        query_row = self.text.query(query)
        candidates = _best(self._stage_one(query, query_row["words"]), blocked, int(blocked.sum()),
                           self.candidates)
        groups: dict[tuple[str, str], list[str]] = {}
        for _, partner, position, _ in self._proposable(query, candidates, query_row):
            found = exclusions(*self._pair(self._profile(position), query))
            # No certificate brings in a buyer of the seller's own country: count it there only.
            found = [e for e in found if e.kind == "own_country"] or found
            for exclusion in found:
                groups.setdefault((exclusion.kind, exclusion.code), []).append(partner)
        subject = next((h.concept for h in query.hits if self.vocabulary.concepts[h.concept].hs), None)
        return sorted((Obstacle(kind, code, tuple(ids), subject) for (kind, code), ids in groups.items()),
                      key=lambda o: (-len(o.partner_ids), o.kind, o.code))

    def _query_profiles(self, records: Sequence, profiled: "_Index | None") -> list[Profile]:
        """The queries' readings. A query that ``profiled`` (an index of the queries' side, read with
        the same vocabulary) holds as it is takes that reading with its words put back
        (``with_tokens``): concept tagging and HS inference, most of a reading, are not done again."""
        profiles: list = [None] * len(records)
        if profiled is not None and profiled.vocabulary.digest == self.vocabulary.digest:
            for i, record in enumerate(records):
                known = profiled.profile(record.id)
                if known is not None and known.record == record:
                    profiles[i] = with_tokens(known)
        unread = [i for i, profile in enumerate(profiles) if profile is None]
        # Many are read as one batch (the catalogue's reading has warmed its caches), a few one by one.
        read = read_profiles([records[i] for i in unread], self.vocabulary) if len(unread) >= _READ_TOGETHER \
            else [build_profile(records[i], self.vocabulary) for i in unread]
        for i, profile in zip(unread, read):
            profiles[i] = profile
        return profiles

    def _search(self, queries: Iterable, k: int, progress: Callable[[int], object] | None,
                profiled: "_Index | None" = None) -> Iterator:
        if k < 1:
            raise ValueError("k must be at least 1")
        if isinstance(queries, Sequence) and len(queries) >= PARALLEL_QUERIES_FROM:
            yield from self._search_forked(queries, k, progress, default_workers(), profiled)
            return
        chunk: list = []
        for query in queries:
            chunk.append(query)
            if len(chunk) == CHUNK:
                yield from self._search_chunk(chunk, k, progress, profiled)
                chunk = []
        if chunk:
            yield from self._search_chunk(chunk, k, progress, profiled)

    def _search_chunk(self, records: list, k: int, progress, profiled: "_Index | None") -> Iterator:
        # A chunk of many queries is done with collections paused (see _search_forked); one query
        # (a web request, among other threads') leaves them alone.
        with collections_paused() if len(records) >= _READ_TOGETHER else nullcontext():
            profiles = self._query_profiles(records, profiled)
            texts = self._query_text(profiles)
            ranked = self._rank_chunk(profiles, texts, k)
            found = [(record, self._matches(profile, mine, text))
                     for record, profile, mine, text in zip(records, profiles, ranked, texts)]
        yield from found
        if progress is not None:
            progress(len(records))

    def _matches(self, query: Profile, found: list[tuple[int, float]], query_row: dict) -> list[Match]:
        return [self._match(query, position, self._parts(position, query, value), query_row)
                for position, value in found]

    def _query_text(self, profiles: list) -> list[dict]:
        """Each query's row of each text block (``_query_rows``); one query's alone by ``TextModel.query``."""
        if len(profiles) == 1:
            return [self.text.query(profiles[0])]
        return list(_query_rows(self.text.queries(profiles)))

    def _rank_chunk(self, profiles: list, texts: list[dict], k: int) -> list[list[tuple[int, float]]]:
        """Stage one and two for a chunk of queries: each one's top ``k`` as ``(position, text
        value)``, what the matches are then built from."""
        return [self._rank(profile, text, k) for profile, text in zip(profiles, texts)]

    def _search_forked(self, records: Sequence, k: int, progress, workers: int,
                       profiled: "_Index | None") -> Iterator:
        """``_search`` with stages one and two of each chunk shared by ``workers`` processes, this
        one and forked ones (``parallel.forked_map``); the forked ones send back only positions and
        text values (pickled explanations cost more to read than to write here), and this process
        builds the matches of each chunk in order, ranking chunks itself when the next one is not
        ready. The queries are read here, before the fork, so their words are read once (not in
        every worker) and the workers find them in memory."""
        for i, segment in enumerate(self._segments):  # computed once here rather than in every worker
            for block in ("words", "grams"):
                self.text.norms(segment.text, block)
            self._text_factor(i)
        bounds = [(start, min(start + CHUNK, len(records))) for start in range(0, len(records), CHUNK)]
        with collections_paused():
            profiles = self._query_profiles(records, profiled)
            texts = [self._query_text(profiles[start:stop]) for start, stop in bounds]
        ranked = forked_map(lambda i: self._rank_chunk(profiles[slice(*bounds[i])], texts[i], k),
                            range(len(bounds)), workers)
        for (start, stop), text in zip(bounds, texts):
            # Each chunk is ranked and explained with collections paused (the workers, forked inside,
            # inherit the pause): matches are many objects and no cycles, and a full collection
            # walks the whole index, 0.7 s at 100,000 products. The caller's code runs between
            # chunks with collections as it set them.
            with collections_paused():
                found = [(record, self._matches(profile, mine, row)) for record, profile, mine, row in
                         zip(records[start:stop], profiles[start:stop], next(ranked), text)]
            yield from found
            if progress is not None:
                progress(stop - start)

    def rank(self, record, *, k: int = 10, allowed: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """``(id, grade)`` of the ``k`` best eligible catalogue items for one query, best first: the
        same candidates, evidence gate and minimum grade as :meth:`top`, without writing explanations
        (what search shows). ``allowed`` keeps the ranking to those catalogue ids (a search's facets),
        so a narrow filter still gets the best ``k`` of its own items. A ``frozenset`` of ids is
        read once until the catalogue changes (a facet asked again allows the same ids)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        query = build_profile(record, self.vocabulary)
        ok, available = self._eligible_alive(query)
        if allowed is not None:
            ok = ok & self._rows_of(allowed)  # a new array: ``ok`` is shared by every query like this one
            available = int(ok.sum())
        query_row = self.text.query(query)
        take = max(self.candidates, k)
        candidates = _best(self._stage_one(query, query_row["words"]), ok, available, take)
        found = self._proposable(query, candidates, query_row)
        return [(item_id, round(grade(-units / 1000), 2)) for units, item_id, _, _ in found[:k]]

    def _rows_of(self, ids: Iterable[str]) -> np.ndarray:
        """A mask of the rows of these ids; the masks of the last few sets of ids are remembered
        (a broad facet allows tens of thousands: looking each up took longer than the ranking)."""
        def mask() -> np.ndarray:
            keep = np.zeros(len(self._ids), dtype=bool)
            keep[[p for p in map(self._position.get, ids) if p is not None]] = True
            return keep
        if not isinstance(ids, frozenset):
            return mask()
        kept = self._memo("masks of ids", OrderedDict)
        with _masks_lock:  # request threads share one index
            found = kept.get(ids)
            if found is not None:
                kept.move_to_end(ids)
                return found
        found = mask()
        with _masks_lock:
            kept[ids] = found
            while len(kept) > _MASKS_KEPT:
                kept.popitem(last=False)
        return found

    def _explain(self, product: Product, demand: Demand) -> Explanation:
        catalogue, query = (product, demand) if self._products_are_catalogue else (demand, product)
        position = self._position.get(catalogue.id)
        if position is None or self._profile(position).record != catalogue:
            raise ValueError(f"{catalogue.id!r} is not in this index")
        query_profile = build_profile(query, self.vocabulary)
        query_row = self.text.query(query_profile)
        text_value = min(1.0, float(self._text_values(np.array([position]), query_row)[0]))
        parts = self._parts(position, query_profile, text_value)
        broken = exclusions(*self._pair(self._profile(position), query_profile))
        return self._explanation(position, query_profile, parts, query_row,
                                 [exclusion.phrase.render() for exclusion in broken])


class ProductIndex(_Index):
    """Products to search with requests: "which offers fit this buyer?".

    >>> index = ProductIndex([Product("p1", "Kursi dan meja makan jati solid", country="ID"),
    ...                       Product("p2", "Kain katun", country="ID")])
    >>> [m.product_id for m in index.top(Demand("d1", "Teak dining chairs", country="KZ"), k=1)]
    ['p1']
    """

    _products_are_catalogue = True

    def top(self, demand: Demand, *, k: int = 10) -> list[Match]:
        """The ``k`` best eligible products for one request, best first."""
        return next(self._search([demand], k, None))[1]

    def top_many(self, demands: Iterable[Demand], *, k: int = 10,
                 progress: Callable[[int], object] | None = None,
                 profiled: "DemandIndex | None" = None) -> Iterator[tuple[Demand, list[Match]]]:
        """``(demand, matches)`` for each request, in input order, scored in vectorised chunks.

        ``progress`` is called with the number of requests just finished (``tqdm().update`` fits).
        ``profiled``, an index that holds (some of) these requests, lends its readings of them: the
        results are the same, a request it holds as it is costs less to read.
        """
        return self._search(demands, k, progress, profiled)

    def explain(self, product: Product, demand: Demand) -> Explanation:
        """The breakdown for one indexed product, with this catalogue's word weights."""
        return self._explain(product, demand)

    def why_not(self, demand: Demand) -> list[Obstacle]:
        """Products that would suit this request but for a hard constraint, grouped by constraint,
        the largest group first: what the request's owner could change (or should know)."""
        return self._obstacles(demand)


class DemandIndex(_Index):
    """Open requests to search with a product: "who is asking for what I make?"."""

    _products_are_catalogue = False
    _kind = "demands"

    def top(self, product: Product, *, k: int = 10) -> list[Match]:
        """The ``k`` best open requests this product is eligible for, best first."""
        return next(self._search([product], k, None))[1]

    def top_many(self, products: Iterable[Product], *, k: int = 10,
                 progress: Callable[[int], object] | None = None,
                 profiled: ProductIndex | None = None) -> Iterator[tuple[Product, list[Match]]]:
        """``(product, matches)`` for each product, in input order (``progress`` and ``profiled`` as
        in :meth:`ProductIndex.top_many`: the products' index lends its readings of the products)."""
        return self._search(products, k, progress, profiled)

    def explain(self, product: Product, demand: Demand) -> Explanation:
        """The breakdown for one indexed request, with this index's word weights."""
        return self._explain(product, demand)

    def why_not(self, product: Product) -> list[Obstacle]:
        """Open requests this product would suit but for a hard constraint, grouped by constraint,
        the largest group first: e.g. four requests for tuna need a veterinary certificate.

        >>> index = DemandIndex([Demand("d1", "Frozen tuna loins", country="KZ", required_certifications=("vet",)),
        ...                      Demand("d2", "Tuna beku", country="KZ", required_certifications=("vet",))])
        >>> [(o.kind, o.code, o.partner_ids) for o in index.why_not(Product("p", "Frozen tuna loins",
        ...                                                                    hs_code="030487", country="ID"))]
        [('certificate', 'vet', ('d1', 'd2'))]
        """
        return self._obstacles(product)
