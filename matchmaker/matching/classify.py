"""What a text is about, without a catalogue: the HS code and sector the engine reads from it.

The platform files a buying request without an HS code under the sector its words point to, and
the HS picker offers codes for Indonesian and Russian words that the English nomenclature lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from matchmaker.matching.concepts import ConceptVocabulary, default_vocabulary
from matchmaker.matching.normalise import normalise
from matchmaker.matching.profile import build_profile
from matchmaker.matching.records import Demand, Product

__all__ = ["Classification", "classify", "hs_codes_for_words"]


@dataclass(frozen=True)
class Classification:
    hs_code: str | None      # given, or inferred (2, 4 or 6 digits); None when nothing points anywhere
    confidence: float        # 1.0 when given
    source: str              # "given", "inferred" or "unknown"
    sector: str              # textiles, furniture, fisheries, meat, dairy or other


def classify(record: Product | Demand, *, vocabulary: ConceptVocabulary | None = None) -> Classification:
    """The HS code and sector of one product or request.

    >>> classify(Demand("d1", "Daging sapi beku tanpa tulang")).sector
    'meat'
    """
    profile = build_profile(record, vocabulary if vocabulary is not None else default_vocabulary())
    return Classification(profile.hs.code, profile.hs.confidence, profile.hs.source, profile.sector)


def hs_codes_for_words(text: str, *, vocabulary: ConceptVocabulary | None = None) -> list[str]:
    """HS prefixes of the concepts named in ``text`` (any of the three languages), best first.

    >>> "9403" in hs_codes_for_words("meja jati")
    True
    """
    vocabulary = vocabulary if vocabulary is not None else default_vocabulary()
    codes: dict[str, int] = {}
    for hit in vocabulary.tag(normalise(text)):
        for rank, code in enumerate(vocabulary.concepts[hit.concept].hs):
            codes[code] = codes.get(code, 0) + 10 - min(rank, 9)
    # "мебель" names chapter 94 and "тик" heading 9403: the heading inherits its chapter's support.
    support = {code: score + sum(codes[other] for other in codes if other != code and code.startswith(other))
               for code, score in codes.items()}
    return sorted(support, key=lambda code: (-support[code], -len(code), code))
