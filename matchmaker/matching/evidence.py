"""Product evidence: a pair is proposed only when the products themselves agree.

Quantity, price, Incoterms and the corridor say whether a seller can serve an order, not whether it
makes the thing asked for; they reorder pairs that pass this gate but never let a pair in alone.
Three kinds of evidence count, any one is enough:

- ``concept``: both texts name the same *product* concept (one with HS codes: "teak", "tuna"), not
  only an attribute ("frozen", "halal", "hotel"); the concept belongs with every HS code that was
  given or inferred with a sure chapter (same chapter, or same sector): "wool" does not make wool
  grease (1505) a textile, nor upholstery fabric banquet chairs a garment; and the
  shared concepts are a real part of what the texts name (concept similarity at least
  ``SHARED_CONCEPTS``), not the upholstery fabric of a request for banquet chairs;
- ``hs``: the two HS codes agree to the heading, each side sure enough of it when inferred, or one
  side's runner-up heading is the other's; a chapter alone counts only when both owners typed it;
- ``text``: the words themselves are strongly alike (same language, same product name), unless
  both texts name known products and none of them is shared: then the shared words are only
  attributes ("frozen halal beef", "frozen halal shrimp"). Text is the evidence for products the
  vocabulary does not know.
"""

from __future__ import annotations

from functools import lru_cache

from matchmaker.vocabulary import sector_for_hs

from matchmaker.matching.concepts import ConceptVocabulary
from matchmaker.matching.hs import HsGuess
from matchmaker.matching.profile import Profile

__all__ = ["evidence", "has_evidence", "shared_products", "hs_agrees", "HS_CONFIDENCE", "STRONG_TEXT", "SHARED_CONCEPTS"]

HS_CONFIDENCE = 0.2  # an inferred heading with a fifth of the votes counts, as a runner-up does (hs.ALT_MIN)
STRONG_TEXT = 0.5    # text similarity this high names the same thing
SHARED_CONCEPTS = 0.15  # dev top tens: 0.15 dropped 1 relevant result, 0.2 dropped 9, 0.3 dropped 30
# An inferred chapter this sure is what the text is about, like a typed code: the fabric of banquet
# chairs (inferred 94) or the tuna of a fish-oil request (inferred 15) is not what is asked for.
SURE_CHAPTER = 0.4


@lru_cache(maxsize=65_536)
def _belongs(concept_codes: tuple[str, ...], code: str) -> bool:
    sector = sector_for_hs(code)
    return any(c[:2] == code[:2] or (sector != "other" and sector_for_hs(c) == sector) for c in concept_codes)


def shared_products(product: Profile, demand: Profile, vocabulary: ConceptVocabulary) -> tuple[str, ...]:
    """Product concepts both texts name that fit each given HS code, sorted.

    >>> from matchmaker.matching.profile import build_profile
    >>> from matchmaker.matching.records import Demand, Product
    >>> v = ConceptVocabulary.from_entries([{"concept": "wool", "hs": ["5112"], "en": ["wool"]},
    ...                                     {"concept": "frozen", "hs": [], "en": ["frozen"]}])
    >>> request = build_profile(Demand("d", "wool fabric, frozen"), v)
    >>> shared_products(build_profile(Product("p", "Wool grease", hs_code="150500"), v), request, v)
    ()
    >>> shared_products(build_profile(Product("p", "Frozen wool tops", hs_code="510529"), v), request, v)
    ('wool',)
    """
    return tuple(sorted(_shared_products(product, demand, vocabulary)))


def _shared_products(product: Profile, demand: Profile, vocabulary: ConceptVocabulary):
    given = [p.hs.code[:4] for p in (product, demand)
             if p.hs.code and (p.hs.source == "given" or p.hs.confidence_at(2) >= SURE_CHAPTER)]
    return (name for name in product.concepts & demand.concepts & vocabulary.products
            if all(_belongs(vocabulary.concepts[name].hs, code) for code in given))


def hs_agrees(product: HsGuess, demand: HsGuess) -> bool:
    """The two codes name the same heading (or a chapter both owners typed).

    >>> hs_agrees(HsGuess("940360", 1.0, "given"), HsGuess("9403", 0.6, "inferred"))
    True
    >>> hs_agrees(HsGuess("940360", 1.0, "given"), HsGuess("9403", 0.1, "inferred"))
    False
    >>> hs_agrees(HsGuess("940360", 1.0, "given"), HsGuess("94", 1.0, "given"))
    True
    """
    if product.code is None or demand.code is None:
        return False
    p, d = product.code[:6], demand.code[:6]
    depth = min(len(p), len(d), 4)
    if p[:depth] == d[:depth]:
        if depth == 4 and min(product.confidence_at(4), demand.confidence_at(4)) >= HS_CONFIDENCE:
            return True
        if depth == 2 and product.source == demand.source == "given":
            return True
    return any(other.code.startswith(heading) and min(share, other.confidence_at(4)) >= HS_CONFIDENCE
               for guess, other in ((demand, product), (product, demand)) for heading, share in guess.others)


def _different_products(product: Profile, demand: Profile, vocabulary: ConceptVocabulary) -> bool:
    named = [p.concepts & vocabulary.products for p in (product, demand)]
    return all(named) and not named[0] & named[1]


def evidence(product: Profile, demand: Profile, *, text: float, concepts: float,
             vocabulary: ConceptVocabulary) -> tuple[str, ...]:
    """Which kinds of product evidence the pair has: some of ``concept``, ``hs``, ``text``; ``text``
    and ``concepts`` are the values of those score components."""
    checks = (("concept", lambda: concepts >= SHARED_CONCEPTS
               and any(_shared_products(product, demand, vocabulary))),
              ("hs", lambda: hs_agrees(product.hs, demand.hs)),
              ("text", lambda: text >= STRONG_TEXT and not _different_products(product, demand, vocabulary)))
    return tuple(kind for kind, check in checks if check())


def has_evidence(product: Profile, demand: Profile, *, text: float, concepts: float,
                 vocabulary: ConceptVocabulary) -> bool:
    """``bool(evidence(...))``, stopping at the first kind found (stage two asks for every candidate)."""
    return hs_agrees(product.hs, demand.hs) \
        or (concepts >= SHARED_CONCEPTS and any(_shared_products(product, demand, vocabulary))) \
        or (text >= STRONG_TEXT and not _different_products(product, demand, vocabulary))
