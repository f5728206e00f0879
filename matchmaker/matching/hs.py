"""HS codes: the one a record gives, or one inferred from the concepts its text mentions.

A buyer often writes "meja jati" and no code. Each concept found in the text points to HS prefixes;
the prefix that agrees with the most concepts wins (the more specific one on a tie), and the share
of concepts that agree is the confidence. Inferred codes never count as much as a given one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from matchmaker.vocabulary import sector_for_hs

from matchmaker.matching.concepts import ConceptHit, ConceptVocabulary

__all__ = ["HsGuess", "infer_hs", "hs_similarity"]

INFERRED_CAP = 0.9  # an inferred code is a guess; a code the user typed is worth more
LEVELS = ((6, 1.0, "same subheading"), (4, 0.75, "same heading"), (2, 0.35, "same chapter"))


@dataclass(frozen=True)
class HsGuess:
    """An HS code with where it came from: ``given`` (confidence 1) or ``inferred`` from words."""

    code: str | None
    confidence: float = 0.0
    source: str = "unknown"
    words: str = ""

    def describe(self) -> str:
        if self.code is None:
            return "no HS code, none inferred"
        if self.source == "given":
            return f"HS {self.code}"
        return f"inferred {self.code} from '{self.words}' (confidence {self.confidence:.1f})"


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def infer_hs(hits: Sequence[ConceptHit], vocabulary: ConceptVocabulary) -> HsGuess:
    """Guess an HS prefix (2, 4 or 6 digits) from concept hits.

    >>> from matchmaker.vocabulary import sector_for_hs

from matchmaker.matching.concepts import ConceptVocabulary
    >>> v = ConceptVocabulary.from_entries([
    ...     {"concept": "teak", "hs": ["4403", "9403"], "id": ["jati"]},
    ...     {"concept": "table", "hs": ["9403"], "id": ["meja"]}])
    >>> infer_hs(v.tag("meja jati"), v).describe()
    "inferred 9403 from 'meja jati' (confidence 0.9)"
    """
    pointing = [(hit, vocabulary.concepts[hit.concept].hs) for hit in hits
                if vocabulary.concepts[hit.concept].hs]
    if not pointing:
        return HsGuess(None)
    candidates = sorted({code for _, codes in pointing for code in codes})

    def support(code: str) -> list[ConceptHit]:
        return [hit for hit, codes in pointing if any(_compatible(code, c) for c in codes)]

    # Most support wins; on a tie, a code in one of the platform's sectors, then the more specific,
    # then the lowest code, so the guess never depends on the order of the files.
    best = max(candidates, key=lambda code: (len(support(code)), sector_for_hs(code) != "other",
                                             len(code), [-ord(ch) for ch in code]))
    backers = support(best)
    confidence = min(INFERRED_CAP, len(backers) / len(pointing))
    words = " ".join(dict.fromkeys(hit.words for hit in backers))
    return HsGuess(best, round(confidence, 2), "inferred", words)


def hs_similarity(product: HsGuess, demand: HsGuess) -> tuple[float, str]:
    """1.0 same subheading, 0.75 same heading, 0.35 same chapter, times the weaker confidence.

    Codes are compared only as deep as the shorter one goes: a request for heading 9403 fits every
    9403xx product fully (a bare chapter only half).

    >>> hs_similarity(HsGuess("940360", 1.0, "given"), HsGuess("9403", 0.8, "inferred", "meja jati"))
    (0.8, "same heading: product HS 940360, request inferred 9403 from 'meja jati' (confidence 0.8)")
    """
    if product.code is None or demand.code is None:
        return 0.0, f"cannot compare: product {product.describe()}, request {demand.describe()}"
    both = f"product {product.describe()}, request {demand.describe()}"
    confidence = min(product.confidence, demand.confidence)
    shorter, longer = sorted((product.code[:6], demand.code[:6]), key=len)
    if longer.startswith(shorter):
        # Agreement as deep as the shorter code goes; a chapter alone says little.
        value, label = (1.0, "same subheading") if len(shorter) == 6 else \
            (1.0, "same heading") if len(shorter) == 4 else (0.5, "same chapter (no heading known)")
        return round(value * confidence, 4), f"{label}: {both}"
    for digits, value, label in LEVELS[1:]:
        if shorter[:digits] == longer[:digits]:
            return round(value * confidence, 4), f"{label}: {both}"
    return 0.0, f"different chapters: {both}"
