"""HS codes: the one a record gives, or one inferred from the concepts its text mentions.

A buyer often writes "meja jati" and no code. Each concept found in the text points to HS prefixes
and votes for them, through the hierarchy (a subheading's vote also counts for its heading and
chapter), less for its less typical codes and less in later clauses of the text. The guess goes as
deep as the votes agree; its confidence is its share of the votes, kept per level (sure of heading
0402, less of which subheading), and runner-up headings are kept as second guesses. Inferred codes
never count as much as a given one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Sequence

from matchmaker.vocabulary import N_, sector_for_hs

from matchmaker.matching.concepts import ConceptHit, ConceptVocabulary
from matchmaker.matching.explain import Phrase

__all__ = ["HsGuess", "infer_hs", "hs_similarity", "format_hs"]

INFERRED_CAP = 0.9  # an inferred code is a guess; a code the user typed is worth more
# Texts name the product first ("Fish, frozen; tunas", "Kain katun ..."): a concept's vote is
# 1 / (1 + CLAUSE_DECAY * clause rank + POSITION_DECAY * mention rank). Tuned on the benchmark's dev
# half: position alone 0.3-1.0 all scored alike; clauses 0.5 plus position 0.2 a little better.
POSITION_DECAY = 0.2
CLAUSE_DECAY = 0.5
ALT_MIN = 0.2  # a runner-up heading with a fifth of the votes still counts (as "a second guess")
DESCEND = 0.5  # go one level deeper only when that child holds half of its parent's votes
LEVELS = ((6, 1.0, Phrase(N_("Same subheading"))), (4, 0.75, Phrase(N_("Same heading"))),
          (2, 0.35, Phrase(N_("Same chapter"))))
_BARE_CHAPTER = Phrase(N_("Same chapter (no heading known)"))
_OTHER_CHAPTER = Phrase(N_("Different chapters"))
_NOT_COMPARABLE = Phrase(N_("No HS comparison"))
_NO_CODE = Phrase(N_("no HS code given, none read from the words"))
PROBABLY = 0.6  # an inferred code this sure is "probably" the product's; below, "possibly"


def format_hs(code: str) -> str:
    """An HS code as people write it: 9401.61, 9401.61.10; headings and chapters as they are.

    >>> format_hs("940161"), format_hs("94016110"), format_hs("9401"), format_hs("94")
    ('9401.61', '9401.61.10', '9401', '94')
    """
    if len(code) <= 4:
        return code
    return ".".join([code[:4], code[4:6]] + ([code[6:]] if len(code) > 6 else []))


@dataclass(frozen=True)
class HsGuess:
    """An HS code with where it came from: ``given`` (confidence 1) or ``inferred`` from words."""

    code: str | None
    confidence: float = 0.0
    source: str = "unknown"
    words: str = ""
    parents: tuple[float, ...] = ()   # inferred only: confidence in the code's chapter, heading
    others: tuple[tuple[str, float], ...] = ()  # inferred only: runner-up headings and their shares

    def confidence_at(self, digits: int) -> float:
        """How sure the guess is of its first ``digits`` digits: a request for "milk powder" is sure
        of heading 0402 even when it is unsure which subheading.

        >>> HsGuess("040221", 0.55, "inferred", "susu bubuk", (0.9, 0.9)).confidence_at(4)
        0.9
        """
        level = {2: 0, 4: 1}.get(digits)
        if level is None or level >= len(self.parents):
            return self.confidence
        return max(self.confidence, self.parents[level])

    def describe(self) -> Phrase:
        """The code and where it came from, e.g. "HS 9403.60" or "probably HS 9403, read from
        'meja jati'" (no raw confidence: "probably" from ``PROBABLY`` up, else "possibly")."""
        return self._description

    @cached_property
    def _description(self) -> Phrase:
        # Built once per guess: every pair scored against this record asks for it again.
        if self.code is None:
            return _NO_CODE
        if self.source == "given":
            return Phrase(N_("HS {code}"), {"code": format_hs(self.code)})
        template = N_("probably HS {code}, read from '{words}'") if self.confidence >= PROBABLY \
            else N_("possibly HS {code}, read from '{words}'")
        return Phrase(template, {"code": format_hs(self.code), "words": self.words})


def _votes(hits: Sequence[ConceptHit], vocabulary: ConceptVocabulary) -> tuple[dict[str, float], float]:
    """Each concept's vote, spread over its codes (the most typical one gets most) and passed up the
    hierarchy: a 6-digit code also votes for its heading and its chapter."""
    votes: dict[str, float] = {}
    total = 0.0
    pointing = [hit for hit in hits if vocabulary.concepts[hit.concept].hs]
    clause_rank = {clause: r for r, clause in enumerate(sorted({hit.clause for hit in pointing}))}
    for position, hit in enumerate(pointing):
        codes = vocabulary.concepts[hit.concept].hs
        weight = 1.0 / (1.0 + CLAUSE_DECAY * clause_rank[hit.clause] + POSITION_DECAY * position)
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
    >>> guess = infer_hs(v.tag("meja jati"), v)
    >>> guess.code, guess.confidence, guess.describe().render()
    ('9403', 0.7, "probably HS 9403, read from 'meja jati'")
    """
    votes, total = _votes(hits, vocabulary)
    if not votes:
        return HsGuess(None)

    def best_under(parent: str, digits: int) -> str | None:
        options = [c for c in votes if len(c) == digits and c.startswith(parent)]
        return min(options, key=lambda c: (-round(votes[c], 9), sector_for_hs(c) == "other", c), default=None)

    best = best_under("", 2)
    parents = []
    for digits in (4, 6):
        child = best_under(best, digits)
        if child is None or votes[child] < DESCEND * votes[best]:
            break
        parents.append(round(min(INFERRED_CAP, votes[best] / total), 2))
        best = child
    backers = [hit for hit in hits if any(_compatible(best, c) for c in vocabulary.concepts[hit.concept].hs)]
    confidence = min(INFERRED_CAP, votes[best] / total)
    words = " ".join(dict.fromkeys(hit.words for hit in backers))
    others = tuple((code, round(min(INFERRED_CAP, votes[code] / total), 2))
                   for code in sorted(votes, key=lambda c: (-votes[c], c))
                   if len(code) == 4 and not best.startswith(code) and votes[code] >= ALT_MIN * total)
    return HsGuess(best, round(confidence, 2), "inferred", words, tuple(parents), others)


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _compared(level: Phrase, product: HsGuess, demand: HsGuess) -> Phrase:
    """How deep the codes agree (``level``), then both codes and where they came from; one code when
    both sides typed the same ("Same code on both sides: HS 9401.61")."""
    if product.source == demand.source == "given" and product.code == demand.code:
        return Phrase(N_("Same code on both sides: {code}"), {"code": product.describe()})
    return Phrase(N_("{level}: product {product}, request {request}"),
                  {"level": level, "product": product.describe(), "request": demand.describe()})


# Cached: many products carry the same code (typed, or read from the same words), and stage two
# asks for every candidate of every query; a cached pair costs a fifth of computing it.
@lru_cache(maxsize=65_536)
def hs_similarity(product: HsGuess, demand: HsGuess) -> tuple[float, Phrase]:
    """1.0 same subheading, 0.75 same heading, 0.35 same chapter, times the weaker side's
    confidence in the level the two codes share.

    Codes are compared only as deep as the shorter one goes: a request for heading 9403 fits every
    9403xx product fully (a bare chapter only half).

    >>> value, detail = hs_similarity(HsGuess("940360", 1.0, "given"),
    ...                               HsGuess("9403", 0.8, "inferred", "meja jati"))
    >>> value, detail.render()
    (0.8, "Same heading: product HS 9403.60, request probably HS 9403, read from 'meja jati'")
    """
    if product.code is None or demand.code is None:
        return 0.0, _compared(_NOT_COMPARABLE, product, demand)
    shorter, longer = sorted((product.code[:6], demand.code[:6]), key=len)

    def sure(digits: int) -> float:  # the weaker side's confidence in the level they share
        return min(product.confidence_at(digits), demand.confidence_at(digits))

    if longer.startswith(shorter):
        # Agreement as deep as the shorter code goes; a chapter alone says little.
        value, label = (1.0, LEVELS[0][2]) if len(shorter) == 6 else \
            (1.0, LEVELS[1][2]) if len(shorter) == 4 else (0.5, _BARE_CHAPTER)
        return round(value * sure(len(shorter)), 4), _compared(label, product, demand)
    for digits, value, label in LEVELS[1:]:
        if shorter[:digits] == longer[:digits]:
            found = (round(value * sure(digits), 4), _compared(label, product, demand))
            break
    else:
        found = (0.0, _compared(_OTHER_CHAPTER, product, demand))
    for guess, other in ((demand, product), (product, demand)):
        for heading, share in guess.others:
            if other.code.startswith(heading) and LEVELS[1][1] * min(share, other.confidence) > found[0]:
                second = Phrase(N_("Same heading {heading}, a second reading of the words"),
                                {"heading": heading})
                found = (round(LEVELS[1][1] * min(share, other.confidence), 4),
                         _compared(second, product, demand))
    return found
