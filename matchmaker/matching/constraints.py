"""Hard constraints: a pair that breaks one is never shown, whatever its score.

Each rule is written once, here. The plain checks (:func:`exclusions`, :func:`why_not`) and the
bit masks the index uses on 100,000 products at a time both read a record's obligations from
:func:`requirements` and :func:`holdings`, and a test keeps the two paths in agreement.

The rules:

- a request's required certifications, as its owner ticked them;
- corridor law: halal is required for every meat and dairy request from Indonesia (Law 33/2014 on
  halal product assurance and GR 39/2021 make it mandatory for meat and dairy entering Indonesia);
- "halal" in a request's words (halal, халяль, халал, хәләл…) makes halal required, ticked or not;
- a product of swine can never carry halal, whatever it declares (so it is never proposed to a
  halal request, and never counts as a focus-corridor product);
- a product is never proposed to a buyer in its own country.

The veterinary certificate for meat, dairy and fish bought into Kazakhstan is a *default*, not a
rule: :func:`corridor_defaults` tells the request form to tick it, and the owner may untick it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from matchmaker.vocabulary import CERTIFICATIONS, N_, is_focus_corridor

from matchmaker.matching.concepts import ConceptVocabulary, default_vocabulary
from matchmaker.matching.explain import Phrase
from matchmaker.matching.normalise import normalise
from matchmaker.matching.profile import Profile, build_profile
from matchmaker.matching.records import Demand, Product

__all__ = ["Exclusion", "CorridorDefault", "why_not", "exclusions", "requirements", "holdings",
           "is_swine", "is_swine_text", "asks_for_halal", "corridor_defaults", "focus_corridor", "certification_mask",
           "country_codes", "eligible", "HALAL_BY_LAW", "VET_BY_DEFAULT", "SWINE_CODES"]

_BIT = {code: 1 << i for i, code in enumerate(CERTIFICATIONS)}

# (buyer country, sectors): where the certification applies to every request, or is only ticked in advance.
HALAL_BY_LAW = ("ID", frozenset({"meat", "dairy"}))
VET_BY_DEFAULT = ("KZ", frozenset({"meat", "dairy", "fisheries"}))

# HS codes that name swine: live swine, pork, swine offal, pig fat, swine hams and bellies, lard,
# prepared swine meat. A code that leaves the species open (offal 0206, salted meat 0210, guts 0504,
# animal fats 1501, sausages 1601, other prepared meat 1602) is pork when the words say so.
SWINE_CODES = ("0103", "0203", "020630", "020641", "020649", "0209", "021011", "021012", "021019",
               "150110", "150120", "160241", "160242", "160249")
_SPECIES_OPEN = ("0206", "0210", "0504", "1501", "1601", "1602")
_PORK = "pork"  # the concept that names swine meat in every language
_NO_PORK = re.compile(r"\b(?:no|non|without|free of|tanpa|bebas|bukan|tidak mengandung|без|не содержит|"
                      r"не содержащ\w*)\s+(?:daging\s+)?(?:pork|babi|свинин\w*|свин\w*)|"
                      r"\b(?:pork|babi)\s+free\b")
_HALAL = re.compile(r"(?<![\w-])(?:halal|halaal|халал\w*|халял\w*|халяль\w*|хәләл\w*)")
_NOT_HALAL = re.compile(r"\b(?:non|not|no|без|не|tidak|bukan|tanpa)\s*"
                        r"(?:halal|halaal|халал\w*|халял\w*|халяль\w*|хәләл\w*)")


@dataclass(frozen=True)
class Exclusion:
    """Why one pair can never be proposed: a ``kind`` and the certification or country it is about.

    Kinds: ``certificate`` (the request ticked it), ``halal_by_law``, ``halal_in_text``, ``swine``
    (a product of swine asked for halal) and ``own_country``.
    """

    kind: str
    code: str

    @property
    def phrase(self) -> Phrase:
        label = Phrase(CERTIFICATIONS[self.code].label) if self.code in CERTIFICATIONS else self.code
        return Phrase(_SENTENCES[self.kind], {"certification": label, "country": self.code})


_SENTENCES = {
    "certificate": N_("the request requires {certification}, which the product does not have"),
    "halal_by_law": N_("halal is required by Indonesian law for meat and dairy, and the product is not "
                       "certified halal"),
    "halal_in_text": N_("the request asks for halal in its text, and the product is not certified halal"),
    "swine": N_("the product is of swine, which can never be halal, and the request requires halal"),
    "own_country": N_("the product comes from the buyer's own country ({country})"),
}


@dataclass(frozen=True)
class CorridorDefault:
    """A certification a request form ticks in advance: ``mandatory`` ones the engine enforces anyway."""

    certification: str
    mandatory: bool
    reason: str  # an English sentence marked for translation


_HALAL_REASON = N_("Halal is mandatory for meat and dairy entering Indonesia (Law 33/2014, GR 39/2021): "
                   "only halal-certified suppliers are proposed.")
_VET_REASON = N_("Meat, dairy and fish entering Kazakhstan pass EAEU veterinary control: a veterinary "
                 "certificate is usually needed. Untick it if your case differs.")


def corridor_defaults(country: str | None, sector: str) -> tuple[CorridorDefault, ...]:
    """Certifications to tick in advance on a request form for a buyer in ``country`` and this sector.

    >>> [(d.certification, d.mandatory) for d in corridor_defaults("ID", "dairy")]
    [('halal', True)]
    >>> [(d.certification, d.mandatory) for d in corridor_defaults("KZ", "fisheries")]
    [('vet', False)]
    >>> corridor_defaults("KZ", "furniture")
    ()
    """
    found = []
    if country == HALAL_BY_LAW[0] and sector in HALAL_BY_LAW[1]:
        found.append(CorridorDefault("halal", True, _HALAL_REASON))
    if country == VET_BY_DEFAULT[0] and sector in VET_BY_DEFAULT[1]:
        found.append(CorridorDefault("vet", False, _VET_REASON))
    return tuple(found)


def asks_for_halal(text: str | None) -> bool:
    """True when the words ask for halal in any language, and do not say "non-halal".

    >>> asks_for_halal("Frozen boneless loin, halal slaughter"), asks_for_halal("Говядина халяльная")
    (True, True)
    >>> asks_for_halal("Pork loin, non-halal market"), asks_for_halal("Khalal Trading LLC")
    (False, False)
    """
    text = normalise(text)
    return bool(_HALAL.search(text)) and not _NOT_HALAL.search(text)


def is_swine(profile: Profile) -> bool:
    """A product of swine: by its given HS code, or by its words ("pork", "babi", «свинина») when the
    code leaves the species open or is missing, unless the words say "no pork"."""
    code = profile.record.hs_code
    if code and code.startswith(SWINE_CODES):
        return True
    if code and not code.startswith(_SPECIES_OPEN):
        return False
    if _PORK not in profile.concepts:
        return False
    return not _NO_PORK.search(normalise(f"{profile.record.title} {profile.record.description or ''}"))


def is_swine_text(hs_code: str | None, text: str, *, vocabulary: ConceptVocabulary | None = None) -> bool:
    """:func:`is_swine` for a code and a text (a listing page has no engine profile).

    >>> is_swine_text("020329", "Frozen loin"), is_swine_text(None, "Daging babi beku"), is_swine_text(None, "Beef")
    (True, True, False)
    """
    digits = "".join(ch for ch in hs_code or "" if ch.isdigit()) or None
    return is_swine(_profile(Product("-", text or "-", hs_code=digits),
                             vocabulary if vocabulary is not None else default_vocabulary()))


def requirements(demand: Profile) -> Mapping[str, str]:
    """Every certification a request requires, and why: ``declared``, ``halal_by_law`` or ``halal_in_text``."""
    record = demand.record
    required = {code: "declared" for code in record.required_certifications}
    if record.country == HALAL_BY_LAW[0] and demand.sector in HALAL_BY_LAW[1]:
        required.setdefault("halal", "halal_by_law")
    if "halal" not in required and asks_for_halal(f"{record.title} {record.description or ''}"):
        required["halal"] = "halal_in_text"
    return required


def holdings(product: Profile) -> frozenset[str]:
    """The certifications a product may claim: what it declares, less halal for swine."""
    held = frozenset(product.record.certifications)
    return held - {"halal"} if "halal" in held and is_swine(product) else held


def exclusions(product: Profile, demand: Profile) -> list[Exclusion]:
    """Every rule this pair breaks, in a fixed order; [] when it may be proposed."""
    held, found = holdings(product), []
    for code, source in sorted(requirements(demand).items()):
        if code in held:
            continue
        if code == "halal" and is_swine(product):
            found.append(Exclusion("swine", code))
        else:
            found.append(Exclusion("certificate" if source == "declared" else source, code))
    country = product.record.country
    if country is not None and country == demand.record.country:
        found.append(Exclusion("own_country", country))
    return found


@lru_cache(maxsize=65_536)
def _profile(record: Product | Demand, vocabulary: ConceptVocabulary) -> Profile:
    return build_profile(record, vocabulary)


def why_not(product: Product, demand: Demand, *, vocabulary: ConceptVocabulary | None = None) -> list[str]:
    """Reasons, in plain English, why this product is never offered for this request; [] if eligible.

    >>> why_not(Product("p1", "Beef", country="KZ", certifications=("vet",)),
    ...         Demand("d1", "Beef", country="KZ", required_certifications=("vet",)))
    ["the product comes from the buyer's own country (KZ)"]
    >>> why_not(Product("p1", "Daging babi beku", hs_code="020329", country="KZ", certifications=("halal",)),
    ...         Demand("d1", "Daging beku", country="ID"))
    ['the product is of swine, which can never be halal, and the request requires halal']
    """
    vocabulary = vocabulary if vocabulary is not None else default_vocabulary()
    found = exclusions(_profile(product, vocabulary), _profile(demand, vocabulary))
    return [exclusion.phrase.render() for exclusion in found]


def focus_corridor(sector: str, exporter_country: str | None, importer_country: str | None, *,
                   swine: bool = False) -> bool:
    """The programme's focus corridor for this trade; never for swine products (the meat corridor
    runs into Indonesia, where they cannot be sold as halal)."""
    return not swine and is_focus_corridor(sector, exporter_country, importer_country)


def certification_mask(codes: Sequence[str]) -> int:
    mask = 0
    for code in codes:
        mask |= _BIT[code]
    return mask


def country_codes(countries: Sequence[str | None]) -> np.ndarray:
    """Countries as small integers; unknown is -1 and equals nothing, not even another unknown."""
    return np.array([-1 if c is None else (ord(c[0]) << 8) | ord(c[1]) for c in countries],
                    dtype=np.int32)


def eligible(*, held: np.ndarray, required: np.ndarray, product_country: np.ndarray,
             demand_country: np.ndarray) -> np.ndarray:
    """Vectorised :func:`exclusions` == []: arrays broadcast, one side usually a scalar; ``held`` is
    the mask of :func:`holdings`, ``required`` of :func:`requirements`."""
    certified = (required & ~held) == 0
    same_country = (product_country == demand_country) & (product_country >= 0)
    return certified & ~same_country
