"""The components of a score and their weights; the text component lives in ``text.py``.

A score is ``sum(weight * value)`` over the components below, each value in [0, 1] and the weights
adding up to 1, so a score is in [0, 1] and its explanation is a plain sum a person can check.

Why these weights: ``text`` and ``concepts`` carry most because they are the two ways a request's
words reach a product (same language, and across languages); ``hs`` is a strong but second-hand
signal when inferred; ``fuzzy`` only rescues typos and transliterations; ``fit`` is the business
side (quantity, price, Incoterms, corridor). Tuned on the dev half of ``benchmarks/quality.py``
only: moving weight to ``hs`` (0.25, 0.30) lost 0.01-0.03 nDCG@10; moving it to ``text`` or
``concepts`` gained at most 0.003, within noise, so the defaults stay.
"""

from __future__ import annotations

import math
from typing import Mapping

from rapidfuzz import fuzz

from matchmaker.matching.concepts import ConceptVocabulary
from matchmaker.matching.constraints import focus_corridor, is_swine
from matchmaker.matching.explain import Detail, Phrase, Term
from matchmaker.matching.fit import structured_fit
from matchmaker.matching.hs import hs_similarity
from matchmaker.matching.profile import Profile
from matchmaker.vocabulary import N_

__all__ = ["DEFAULT_WEIGHTS", "LABELS", "resolve_weights", "concept_similarity", "fuzzy_similarity",
           "other_components"]

DEFAULT_WEIGHTS: dict[str, float] = {"text": 0.30, "concepts": 0.25, "hs": 0.20, "fuzzy": 0.10,
                                     "fit": 0.15}
# Marked with N_ so the web interface can show them translated; the engine itself stays English.
LABELS = {
    "text": N_("Same words"),
    "concepts": N_("Same products (across languages)"),
    "hs": N_("HS code fit"),
    "fuzzy": N_("Similar titles (typos, transliteration)"),
    "fit": N_("Quantity, price, Incoterms, corridor"),
}
FUZZY_FLOOR = 50  # rapidfuzz gives unrelated titles about 30–50; only the part above counts


def resolve_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults overridden by ``weights``, rescaled to add up to 1.

    >>> resolve_weights({"fit": 0.0, "fuzzy": 0.0})["text"]
    0.4
    """
    merged = dict(DEFAULT_WEIGHTS)
    for name, weight in (weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(f"unknown component {name!r}; components: {', '.join(DEFAULT_WEIGHTS)}")
        if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight >= 0):
            raise ValueError(f"weight of {name!r} must be a number >= 0, got {weight!r}")
        merged[name] = float(weight)
    total = sum(merged.values())
    if total <= 0:
        raise ValueError("at least one weight must be above 0")
    return {name: round(weight / total, 6) for name, weight in merged.items()}


_NONE_IN_PRODUCT = Phrase(N_("The product's text names no product the platform knows"))
_NONE_IN_REQUEST = Phrase(N_("The request's text names no product the platform knows"))
_NOTHING_SHARED = Phrase(N_("No product in common"))
_SPELLED = ((0.6, Phrase(N_("The titles are spelled almost alike"))),
            (0.0, Phrase(N_("The titles are spelled partly alike"))))
_SPELLED_DIFFERENTLY = Phrase(N_("The titles are spelled differently"))


def concept_similarity(product: Profile, demand: Profile, vocabulary: ConceptVocabulary | None = None,
                       *, details: bool = True) -> tuple[float, tuple[Phrase, ...]]:
    """Cosine of the two concept sets, each concept weighted as in ``Profile.weights`` (less when
    named only in a later clause). The sentences name the shared concepts (products first) and what
    the request asks for that the product does not name; names are shown in the reader's language."""
    if not product.concepts or not demand.concepts:
        return 0.0, (_NONE_IN_PRODUCT if not product.concepts else _NONE_IN_REQUEST,)
    wp, wd = product.weights, demand.weights
    shared = product.concepts & demand.concepts
    # Sums of lists rather than of generators: the same additions in the same order, cheaper, and
    # stage two asks for every candidate.
    value = sum([wp[c] * wd[c] for c in shared]) / math.sqrt(
        sum([w * w for w in wp.values()]) * sum([w * w for w in wd.values()]))
    if not details:
        return value, ()
    products = vocabulary.products if vocabulary is not None else shared | demand.concepts
    phrases = (Phrase(N_("Both are about {concepts}"), {"concepts": _terms(shared, products)})
               if shared else _NOTHING_SHARED,)
    missing = demand.concepts - shared
    if missing:
        phrases += (Phrase(N_("The request also asks for {concepts}"), {"concepts": _terms(missing, products)}),)
    return value, phrases


def _terms(concepts, products) -> tuple[Term, ...]:
    """Products first ("teak, chair"), then attributes ("frozen, hotel"), each alphabetical."""
    return tuple(Term(c) for c in sorted(concepts & products) + sorted(concepts - products))


def fuzzy_similarity(product: Profile, demand: Profile) -> tuple[float, Phrase]:
    """rapidfuzz token-set ratio of the transliterated titles, above a noise floor."""
    ratio = fuzz.token_set_ratio(product.title_key, demand.title_key)
    value = max(0.0, (ratio - FUZZY_FLOOR) / (100 - FUZZY_FLOOR))
    for floor, phrase in _SPELLED:
        if value > floor:
            return value, phrase
    return value, _SPELLED_DIFFERENTLY


def other_components(product: Profile, demand: Profile, vocabulary: ConceptVocabulary | None = None,
                     *, details: bool = True) -> dict[str, tuple[float, Detail]]:
    """Every component except ``text`` (which needs the index's fitted TF-IDF); without ``details``
    the values are the same but the longer sentences are left out (for ranking candidates)."""
    sector = product.sector if product.hs.code else demand.sector
    focus = focus_corridor(sector, product.record.country, demand.record.country, swine=is_swine(product))
    return {
        "concepts": concept_similarity(product, demand, vocabulary, details=details),
        "hs": hs_similarity(product.hs, demand.hs),
        "fuzzy": fuzzy_similarity(product, demand),
        "fit": structured_fit(product.record, demand.record, sector, focus=focus, details=details),
    }
