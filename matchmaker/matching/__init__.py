"""The matching engine: plain records in, ranked and explained matches out.

Pure Python on purpose: no Flask, no database. The web platform, the batch CLI and the benchmarks
all call this small API.

>>> from matchmaker.matching import Demand, Product, ProductIndex, why_not
>>> products = [Product.from_mapping({"id": "p1", "title": "Kursi dan meja makan jati solid",
...                                   "country": "ID", "certifications": "svlk"}),
...             Product.from_mapping({"id": "p2", "title": "Kain katun", "country": "ID"})]
>>> demand = Demand.from_mapping({"id": "d1", "title": "мебель из тикового дерева для гостиниц",
...                               "country": "KZ"})
>>> best = ProductIndex(products).top(demand, k=2)[0]
>>> best.product_id, best.score == round(sum(c.contribution for c in best.explanation.components), 3)
('p1', True)
>>> why_not(products[1], Demand.from_mapping({"id": "d2", "title": "Cotton", "country": "ID"}))
["the product comes from the buyer's own country (ID)"]
"""

from __future__ import annotations

from typing import Mapping

from matchmaker.matching.artefact import ENGINE_VERSION, Fingerprint, IncompatibleIndex
from matchmaker.matching.classify import Classification, classify, hs_codes_for_words
from matchmaker.matching.concepts import ConceptVocabulary, default_vocabulary
from matchmaker.matching.constraints import why_not
from matchmaker.matching.explain import Component, Explanation, Match
from matchmaker.matching.index import DemandIndex, Obstacle, ProductIndex
from matchmaker.matching.records import Demand, InputError, Product
from matchmaker.matching.scoring import DEFAULT_WEIGHTS

__all__ = [
    "Product", "Demand", "InputError",
    "ProductIndex", "DemandIndex", "Obstacle", "Fingerprint", "IncompatibleIndex", "ENGINE_VERSION", "Match", "Explanation", "Component",
    "why_not", "explain", "classify", "Classification", "hs_codes_for_words",
    "ConceptVocabulary", "default_vocabulary", "DEFAULT_WEIGHTS",
]


def explain(product: Product, demand: Demand, *, weights: Mapping[str, float] | None = None,
            vocabulary: ConceptVocabulary | None = None) -> Explanation:
    """Every component of one pair's score, plus the reasons it would be excluded.

    Word rarity comes from this pair alone; for the figure shown in a ranked list use the
    ``Match.explanation`` stored with it, or ``ProductIndex.explain`` on the same index.

    >>> e = explain(Product("p1", "Udang beku vaname", country="ID"), Demand("d1", "Frozen shrimp"))
    >>> [c.name for c in e.components]
    ['text', 'concepts', 'hs', 'fuzzy', 'fit']
    """
    return ProductIndex([product], weights=weights, vocabulary=vocabulary).explain(product, demand)
