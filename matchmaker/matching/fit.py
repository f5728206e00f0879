"""The ``fit`` component: can this seller actually serve this order?

Five checks, each in [0, 1]; an unknown value scores a neutral 0.5 and the detail says it was
unknown, so a sparse listing is neither rewarded nor punished for what it leaves out. Each check's
detail is a ``Phrase`` (raw figures, formatted by its template) so it can be shown translated.
"""

from __future__ import annotations

from matchmaker.vocabulary import N_, is_focus_corridor

from matchmaker.matching.explain import Phrase
from matchmaker.matching.records import Demand, Product

__all__ = ["structured_fit", "NEUTRAL"]

NEUTRAL = 0.5
MONTHS_TO_DELIVER = 3  # an order up to three months of capacity is a normal order
_TO_BASE = {"kg": ("kg", 1.0), "t": ("kg", 1000.0)}
# Sectors as the detail names them, in lower case mid-sentence ("the furniture focus corridor"), so
# they can be translated with the sentence; the sector codes are the same words.
_SECTOR_WORDS = {code: Phrase(word) for code, word in (
    ("textiles", N_("textiles")), ("furniture", N_("furniture")), ("fisheries", N_("fisheries")),
    ("meat", N_("meat")), ("dairy", N_("dairy")), ("other", N_("other")))}
# Checks without figures say the same thing for every pair: one phrase each, built once.
_MOQ_UNKNOWN = Phrase(N_("quantity vs MOQ unknown"))
_CAPACITY_UNKNOWN = Phrase(N_("capacity unknown"))
_CAPACITY_OTHER_UNITS = Phrase(N_("capacity in other units"))
_PRICE_UNKNOWN = Phrase(N_("price vs budget unknown"))
_INCOTERMS_UNKNOWN = Phrase(N_("Incoterms unknown"))
_NO_INCOTERMS_IN_COMMON = Phrase(N_("no Incoterms in common"))
_COUNTRIES_UNKNOWN = Phrase(N_("countries unknown"))


def _same_unit(a: float, unit_a: str | None, b: float, unit_b: str | None) -> tuple[float, float] | None:
    if unit_a is None or unit_b is None or unit_a == unit_b:
        return a, b
    base_a, base_b = _TO_BASE.get(unit_a), _TO_BASE.get(unit_b)
    if base_a and base_b and base_a[0] == base_b[0]:
        return a * base_a[1], b * base_b[1]
    return None


def _moq(p: Product, d: Demand) -> tuple[float, Phrase]:
    if p.moq is None or d.quantity is None:
        return NEUTRAL, _MOQ_UNKNOWN
    pair = _same_unit(d.quantity, d.unit, p.moq, p.unit)
    if pair is None:
        return NEUTRAL, Phrase(N_("quantity in {quantity_unit}, MOQ in {moq_unit}: not comparable"),
                               {"quantity_unit": d.unit, "moq_unit": p.unit})
    quantity, moq = pair
    figures = {"quantity": d.quantity, "moq": p.moq}
    if quantity >= moq:
        return 1.0, Phrase(N_("quantity {quantity:g} meets MOQ {moq:g}"), figures)
    return quantity / moq, Phrase(N_("quantity {quantity:g} below MOQ {moq:g}"), figures)


def _capacity(p: Product, d: Demand) -> tuple[float, Phrase]:
    if p.capacity_per_month is None or d.quantity is None:
        return NEUTRAL, _CAPACITY_UNKNOWN
    pair = _same_unit(d.quantity, d.unit, p.capacity_per_month, p.unit)
    if pair is None:
        return NEUTRAL, _CAPACITY_OTHER_UNITS
    quantity, capacity = pair
    figures = {"capacity": p.capacity_per_month, "quantity": d.quantity}
    if quantity <= capacity * MONTHS_TO_DELIVER:
        return 1.0, Phrase(N_("capacity {capacity:g}/month covers it"), figures)
    return capacity * MONTHS_TO_DELIVER / quantity, \
        Phrase(N_("capacity {capacity:g}/month is short for {quantity:g}"), figures)


def _price(p: Product, d: Demand) -> tuple[float, Phrase]:
    if p.price_usd is None or d.max_price_usd is None:
        return NEUTRAL, _PRICE_UNKNOWN
    figures = {"price": p.price_usd, "max_price": d.max_price_usd}
    if p.price_usd <= d.max_price_usd:
        return 1.0, Phrase(N_("price ${price:g} within max ${max_price:g}"), figures)
    over = (p.price_usd - d.max_price_usd) / max(d.max_price_usd, 1e-9)
    return max(0.0, 1.0 - 2 * over), Phrase(N_("price ${price:g} over max ${max_price:g}"), figures)


def _incoterms(p: Product, d: Demand) -> tuple[float, Phrase]:
    if not p.incoterms or not d.incoterms:
        return NEUTRAL, _INCOTERMS_UNKNOWN
    common = tuple(sorted(set(p.incoterms) & set(d.incoterms)))
    if common:
        return 1.0, Phrase(N_("Incoterms in common: {incoterms}"), {"incoterms": common})
    return 0.0, _NO_INCOTERMS_IN_COMMON


def _corridor(p: Product, d: Demand, sector: str) -> tuple[float, Phrase]:
    if p.country is None or d.country is None:
        return NEUTRAL, _COUNTRIES_UNKNOWN
    words = {"origin": p.country, "destination": d.country, "sector": _SECTOR_WORDS.get(sector, sector)}
    if is_focus_corridor(sector, p.country, d.country):
        return 1.0, Phrase(N_("{origin}→{destination} is the {sector} focus corridor"), words)
    return NEUTRAL, Phrase(N_("{origin}→{destination} is not a focus corridor for {sector}"), words)


def structured_fit(product: Product, demand: Demand, sector: str) -> tuple[float, tuple[Phrase, ...]]:
    """Mean of the five checks, with a phrase for each.

    >>> p = Product("p1", "Teak chairs", moq=100, incoterms=("FOB",), country="ID")
    >>> d = Demand("d1", "Chairs", quantity=500, incoterms=("FOB", "CIF"), country="KZ")
    >>> value, phrases = structured_fit(p, d, "furniture")
    >>> round(value, 2), phrases[0].render()
    (0.8, 'quantity 500 meets MOQ 100')
    """
    checks = [_moq(product, demand), _capacity(product, demand), _price(product, demand),
              _incoterms(product, demand), _corridor(product, demand, sector)]
    value = sum(v for v, _ in checks) / len(checks)
    return value, tuple(phrase for _, phrase in checks)
