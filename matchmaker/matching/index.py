"""Search one side of the market with records of the other: ``ProductIndex`` and ``DemandIndex``.

Two stages. Stage one scores every catalogue entry at once with sparse matrix products (word TF-IDF,
concepts, HS heading) and keeps the best eligible candidates. Stage two computes every component
exactly for those candidates only, keeps those whose products agree (``evidence.py``) and whose
grade reaches the minimum (``grade.py``), ranks them by score (ties by id) and explains the top k.

``why_not`` runs the same two stages over the partners the hard constraints exclude, so an owner
learns which relevant partners a missing certificate keeps away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from matchmaker.matching.concepts import ConceptVocabulary, default_vocabulary
from matchmaker.matching.constraints import certification_mask, country_codes, eligible, exclusions, \
    holdings, requirements
from matchmaker.matching.evidence import evidence, has_evidence
from matchmaker.matching.explain import Explanation, Match, score_units
from matchmaker.matching.grade import grade, raw_floor_units
from matchmaker.matching.profile import Profile, build_profile
from matchmaker.matching.records import Demand, Product
from matchmaker.matching.scoring import LABELS, other_components, resolve_weights
from matchmaker.matching.text import TextModel

__all__ = ["ProductIndex", "DemandIndex", "Obstacle"]

CANDIDATES = 100      # stage two looks at this many per query; on the quality benchmark even 20 hold the true top 10
CHUNK = 64            # queries per stage-one matrix product: 64 x 100,000 floats stay ~25 MB
_STAGE_ONE_FLOOR = 0.02  # keep every stage-one signal alive even if a caller weighs it 0
_FLOOR_UNITS = raw_floor_units(1000)  # raw score (thousandths, as score_units) of the minimum grade


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


def _hs_ints(code: str | None, digits: int) -> int:
    return int(code[:digits]) if code and len(code) >= digits else -1


class _Index:
    _products_are_catalogue = True

    def __init__(self, records: Iterable, *, weights: Mapping[str, float] | None = None,
                 vocabulary: ConceptVocabulary | None = None, candidates: int = CANDIDATES):
        self.vocabulary = vocabulary if vocabulary is not None else default_vocabulary()
        self.weights = resolve_weights(weights)
        self.records = tuple(records)
        ids = [r.id for r in self.records]
        if len(set(ids)) != len(ids):
            raise ValueError("record ids must be unique within an index")
        self.candidates = candidates
        self.profiles = [build_profile(r, self.vocabulary) for r in self.records]
        self._position = {r.id: i for i, r in enumerate(self.records)}
        self.text = TextModel(self.profiles)
        self._words, self._combined = self.text.catalogue(self.profiles)
        self._words_t = self._words.T.tocsr()
        self._concept_column = {name: i for i, name in enumerate(sorted(self.vocabulary.concepts))}
        self._concepts_t = self._concept_rows(self.profiles).T.tocsr()
        self._heading = np.array([_hs_ints(p.hs.code, 4) for p in self.profiles], dtype=np.int32)
        self._chapter = np.array([_hs_ints(p.hs.code, 2) for p in self.profiles], dtype=np.int32)
        self._hs_confidence = np.array([p.hs.confidence for p in self.profiles], dtype=np.float32)
        self._certificates = np.array([self._certificate_mask(p) for p in self.profiles], dtype=np.int64)
        self._country = country_codes([r.country for r in self.records])

    def __len__(self) -> int:
        return len(self.records)

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
    def _concept_rows(self, profiles: Sequence[Profile]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for row, p in enumerate(profiles):
            weights = {c: w for c, w in p.weights.items() if c in self._concept_column}
            norm = np.sqrt(sum(w * w for w in weights.values()))
            for name, weight in weights.items():
                rows.append(row)
                cols.append(self._concept_column[name])
                vals.append(weight / norm)
        return sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                             shape=(len(profiles), max(1, len(self._concept_column))))

    def _hs_stage_one(self, query: Profile) -> np.ndarray:
        code = query.hs.code
        if not code:
            return np.zeros(len(self.records), dtype=np.float32)
        heading, chapter = _hs_ints(code, 4), _hs_ints(code, 2)
        sure = {d: np.minimum(self._hs_confidence, np.float32(query.hs.confidence_at(d))) for d in (2, 4)}
        fit = np.where(self._chapter == chapter, np.float32(0.35 if heading >= 0 else 0.5) * sure[2],
                       np.float32(0))
        if heading >= 0:
            fit = np.where(self._heading == heading, sure[4], fit)
        return fit

    def _stage_one(self, queries: Sequence[Profile], query_words: sp.csr_matrix) -> np.ndarray:
        w = {n: max(self.weights[n], _STAGE_ONE_FLOOR) for n in ("text", "concepts", "hs")}
        scores = (query_words @ self._words_t) * np.float32(w["text"] * 0.5) \
            + (self._concept_rows(queries) @ self._concepts_t) * np.float32(w["concepts"])
        dense = scores.toarray()
        for i, query in enumerate(queries):
            dense[i] += w["hs"] * self._hs_stage_one(query)
        return dense

    # -- stage two ---------------------------------------------------------------------------
    def _rank(self, query: Profile, row: np.ndarray, query_words, query_combined, k: int) -> list[Match]:
        ok = self._eligible(query)
        ranked = self._proposable(query, np.where(ok, row, -np.inf), int(ok.sum()), query_combined, k)
        return [self._match(query, position, self._parts(position, query, text_value), query_words)
                for _, _, position, text_value in ranked[:k]]

    def _proposable(self, query: Profile, row: np.ndarray, available: int, query_combined,
                    k: int) -> list[tuple[int, str, int, float]]:
        """Stage two on the best candidates of ``row`` (``available`` of its entries are not -inf):
        ``(-raw units, id, position, text value)`` of those that reach the minimum grade and whose
        products agree, best first."""
        take = min(max(self.candidates, k), available)
        if take == 0:
            return []
        candidates = np.argpartition(-row, take - 1)[:take]
        text_values = np.asarray((self._combined[candidates] @ query_combined.T).todense()).ravel()
        ranked = []
        for position, text_value in zip(candidates.tolist(), np.minimum(text_values, 1.0).tolist()):
            parts = self._parts(position, query, text_value, details=False)
            units = score_units([(value, weight) for _, value, weight, _ in parts])
            if units < _FLOOR_UNITS or not has_evidence(*self._pair(self.profiles[position], query),
                                                        text=parts[0][1], concepts=parts[1][1],
                                                        vocabulary=self.vocabulary):
                continue
            # Figures only: the k shown are redone with their sentences (building sentences for every
            # candidate, and holding them until the sort, cost a quarter of the batch time).
            ranked.append((-units, self.records[position].id, position, text_value))
        ranked.sort(key=lambda entry: entry[:2])
        return ranked

    def _parts(self, position: int, query: Profile, text_value: float, *, details: bool = True) -> list:
        product, demand = self._pair(self.profiles[position], query)
        others = other_components(product, demand, self.vocabulary, details=details)
        return [("text", text_value, self.weights["text"], None)] + [
            (name, value, self.weights[name], detail) for name, (value, detail) in others.items()]

    def _evidence(self, position: int, query: Profile, parts: list) -> tuple[str, ...]:
        values = {name: value for name, value, _, _ in parts}
        return evidence(*self._pair(self.profiles[position], query), text=values["text"],
                        concepts=values["concepts"], vocabulary=self.vocabulary)

    def _explanation(self, position: int, query: Profile, parts: list, query_words,
                     excluded: Sequence[str] = ()) -> Explanation:
        text_detail = self.text.describe(self._words[position], query_words, parts[0][1], query)
        return Explanation.from_parts(
            [(name, LABELS[name], value, weight, detail if detail is not None else text_detail)
             for name, value, weight, detail in parts], excluded, grade=grade,
            evidence=self._evidence(position, query, parts), name=self._english_name)

    def _english_name(self, concept: str) -> str:
        return self.vocabulary.label(concept, "en")

    def _match(self, query: Profile, position: int, parts: list, query_words) -> Match:
        explanation = self._explanation(position, query, parts, query_words)
        product, demand = self._pair(self.profiles[position], query)
        return Match(demand.record.id, product.record.id, explanation.score, explanation)

    def _obstacles(self, record) -> list[Obstacle]:
        """Partners that would be proposed but for a hard constraint, grouped by the constraint."""
        query = build_profile(record, self.vocabulary)
        words, combined = self.text.queries([query])
        blocked = ~self._eligible(query)
        row = np.where(blocked, self._stage_one([query], words)[0], -np.inf)
        groups: dict[tuple[str, str], list[str]] = {}
        for _, partner, position, _ in self._proposable(query, row, int(blocked.sum()), combined[0],
                                                        self.candidates):
            found = exclusions(*self._pair(self.profiles[position], query))
            # No certificate brings in a buyer of the seller's own country: count it there only.
            found = [e for e in found if e.kind == "own_country"] or found
            for exclusion in found:
                groups.setdefault((exclusion.kind, exclusion.code), []).append(partner)
        subject = next((h.concept for h in query.hits if self.vocabulary.concepts[h.concept].hs), None)
        return sorted((Obstacle(kind, code, tuple(ids), subject) for (kind, code), ids in groups.items()),
                      key=lambda o: (-len(o.partner_ids), o.kind, o.code))

    def _search(self, queries: Iterable, k: int, progress: Callable[[int], object] | None) -> Iterator:
        if k < 1:
            raise ValueError("k must be at least 1")
        chunk: list = []
        for query in queries:
            chunk.append(query)
            if len(chunk) == CHUNK:
                yield from self._search_chunk(chunk, k, progress)
                chunk = []
        if chunk:
            yield from self._search_chunk(chunk, k, progress)

    def _search_chunk(self, records: list, k: int, progress) -> Iterator:
        profiles = [build_profile(r, self.vocabulary) for r in records]
        words, combined = self.text.queries(profiles)
        scores = self._stage_one(profiles, words)
        for i, (record, profile) in enumerate(zip(records, profiles)):
            yield record, self._rank(profile, scores[i], words[i], combined[i], k)
        if progress is not None:
            progress(len(records))

    def _explain(self, product: Product, demand: Demand) -> Explanation:
        catalogue, query = (product, demand) if self._products_are_catalogue else (demand, product)
        position = self._position.get(catalogue.id)
        if position is None or self.records[position] != catalogue:
            raise ValueError(f"{catalogue.id!r} is not in this index")
        query_profile = build_profile(query, self.vocabulary)
        q_words, q_combined = self.text.queries([query_profile])
        text_value = min(1.0, float((self._combined[position] @ q_combined.T).sum()))
        parts = self._parts(position, query_profile, text_value)
        broken = exclusions(*self._pair(self.profiles[position], query_profile))
        return self._explanation(position, query_profile, parts, q_words,
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
                 progress: Callable[[int], object] | None = None) -> Iterator[tuple[Demand, list[Match]]]:
        """``(demand, matches)`` for each request, in input order, scored in vectorised chunks.

        ``progress`` is called with the number of requests just finished (``tqdm().update`` fits).
        """
        return self._search(demands, k, progress)

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

    def top(self, product: Product, *, k: int = 10) -> list[Match]:
        """The ``k`` best open requests this product is eligible for, best first."""
        return next(self._search([product], k, None))[1]

    def top_many(self, products: Iterable[Product], *, k: int = 10,
                 progress: Callable[[int], object] | None = None) -> Iterator[tuple[Product, list[Match]]]:
        """``(product, matches)`` for each product, in input order."""
        return self._search(products, k, progress)

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
