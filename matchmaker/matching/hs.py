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
POSITION_DECAY = float(__import__("os").environ.get("PD", "0.0"))
DESCEND = float(__import__("os").environ.get("DS", "0.5"))
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


def _votes(hits: Sequence[ConceptHit], vocabulary: ConceptVocabulary) -> tuple[dict[str, float], float]:
    """Each concept's vote, spread over its codes (the most typical one gets most) and passed up the
    hierarchy: a 6-digit code also votes for its heading and its chapter."""
    votes: dict[str, float] = {}
    total = 0.0
    for position, hit in enumerate(hits):
        codes = vocabulary.concepts[hit.concept].hs
        if not codes:
            continue
        weight = 1.0 / (1.0 + POSITION_DECAY * position)
        total += weight
        shares = [1.0 / (rank + 1) for rank in range(len(codes))]
        for code, share in zip(codes, shares):
            for prefix in {code[:digits] for digits in (2, 4, 6) if digits <= len(code)}:
                votes[prefix] = votes.get(prefix, 0.0) + weight * share / sum(shares)
    return votes, total


def infer_hs(hits: Sequence[ConceptHit], vocabulary: ConceptVocabulary) -> HsGuess:
    """Guess an HS prefix (2, 4 or 6 digits) from concept hits.

    Concepts vote; the chapter with the most votes wins, then its best heading if that heading holds
    at least ``DESCEND`` of the chapter's votes, then likewise a subheading. The confidence is the
    share of all votes the chosen code holds. Ties go to the platform's sectors, then the lowest code,
    so the guess never depends on the order of the files.

    >>> from matchmaker.matching.concepts import ConceptVocabulary
    >>> v = ConceptVocabulary.from_entries([
    ...     {"concept": "teak", "hs": ["4403", "9403"], "id": ["jati"]},
    ...     {"concept": "table", "hs": ["9403"], "id": ["meja"]}])
    >>> infer_hs(v.tag("meja jati"), v).describe()
    "inferred 9403 from 'meja jati' (confidence 0.7)"
    """
    votes, total = _votes(hits, vocabulary)
    if not votes:
        return HsGuess(None)

    def best_under(parent: str, digits: int) -> str | None:
        options = [c for c in votes if len(c) == digits and c.startswith(parent)]
        return min(options, key=lambda c: (-round(votes[c], 9), sector_for_hs(c) == "other", c), default=None)

    best = best_under("", 2)
    for digits in (4, 6):
        child = best_under(best, digits)
        if child is None or votes[child] < DESCEND * votes[best]:
            break
        best = child
    backers = [hit for hit in hits if any(_compatible(best, c) for c in vocabulary.concepts[hit.concept].hs)]
    confidence = min(INFERRED_CAP, votes[best] / total)
    words = " ".join(dict.fromkeys(hit.words for hit in backers))
    return HsGuess(best, round(confidence, 2), "inferred", words)


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


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
