"""The ``fit`` component: can this seller actually serve this order?

Five checks, each in [0, 1]; an unknown value scores a neutral 0.5 and the sentence says it was not
given, so a sparse listing is neither rewarded nor punished for what it leaves out. Quantities and
prices are compared only in units that convert (kg and t); pieces and sets, metres and litres never
convert (how many pieces make a set is not declared), so such a check is neutral and says why.
Each check's sentence is a ``Phrase`` (raw figures, formatted by its template) so it can be shown
translated.
"""

from __future__ import annotations

from typing import Callable, Union

from matchmaker.vocabulary import N_

from matchmaker.matching.explain import Phrase
from matchmaker.matching.records import Demand, Product

__all__ = ["structured_fit", "NEUTRAL", "convertible", "amount"]

NEUTRAL = 0.5
MONTHS_TO_DELIVER = 3  # an order up to three months of capacity is a normal order
_TO_BASE = {"kg": ("kg", 1.0), "t": ("kg", 1000.0)}
# Sectors as the sentence names them, in lower case mid-sentence ("the furniture focus corridor"), so
# they can be translated with the sentence; the sector codes are the same words.
_SECTOR_WORDS = {code: Phrase(word) for code, word in (
    ("textiles", N_("textiles")), ("furniture", N_("furniture")), ("fisheries", N_("fisheries")),
    ("meat", N_("meat")), ("dairy", N_("dairy")), ("other", N_("other")))}
# An amount with its unit ("20 t", "1,200 pcs") and a price per unit ("$1,450/t"): abbreviations,
# so no plural forms are needed in any language.
_AMOUNTS = {None: N_("{value:,.10g}"), "kg": N_("{value:,.10g} kg"), "t": N_("{value:,.10g} t"),
            "pcs": N_("{value:,.10g} pcs"), "sets": N_("{value:,.10g} sets"), "m": N_("{value:,.10g} m"),
            "m2": N_("{value:,.10g} m²"), "m3": N_("{value:,.10g} m³"), "l": N_("{value:,.10g} l"),
            "containers": N_("{value:,.10g} × 40-ft containers")}
_PRICES = {None: N_("${value:,.10g}"), "kg": N_("${value:,.10g}/kg"), "t": N_("${value:,.10g}/t"),
           "pcs": N_("${value:,.10g}/pc"), "sets": N_("${value:,.10g}/set"), "m": N_("${value:,.10g}/m"),
           "m2": N_("${value:,.10g}/m²"), "m3": N_("${value:,.10g}/m³"), "l": N_("${value:,.10g}/l"),
           "containers": N_("${value:,.10g}/container")}
# Checks without figures say the same thing for every pair: one phrase each, built once.
_MOQ_UNKNOWN = Phrase(N_("Quantity or minimum order not given"))
_CAPACITY_UNKNOWN = Phrase(N_("Monthly capacity not given"))
_PRICE_UNKNOWN = Phrase(N_("Price or maximum price not given"))
_INCOTERMS_UNKNOWN = Phrase(N_("Incoterms not given"))
_NO_INCOTERMS_IN_COMMON = Phrase(N_("No Incoterms in common"))
_COUNTRIES_UNKNOWN = Phrase(N_("Countries not given"))


def amount(value: float, unit: str | None) -> Phrase:
    """ "20 t", "1,200 pcs": a quantity with its unit, as a translatable phrase.

    >>> amount(20000, "pcs").render(), amount(2.5, "t").render()
    ('20,000 pcs', '2.5 t')
    """
    return Phrase(_AMOUNTS.get(unit, _AMOUNTS[None]), {"value": value})


def _price(value: float, unit: str | None) -> Phrase:
    return Phrase(_PRICES.get(unit, _PRICES[None]), {"value": value})


def convertible(unit_a: str | None, unit_b: str | None) -> bool:
    """Whether quantities in these units can be compared: the same unit, or kg and t.

    >>> convertible("kg", "t"), convertible("pcs", "sets"), convertible(None, None), convertible("t", None)
    (True, False, True, False)
    """
    if unit_a == unit_b:
        return True
    base_a, base_b = _TO_BASE.get(unit_a), _TO_BASE.get(unit_b)
    return bool(base_a and base_b and base_a[0] == base_b[0])


def _in_base(value: float, unit: str | None) -> float:
    return value * _TO_BASE.get(unit, ("", 1.0))[1]


# Each check returns its value and its sentence: a ready Phrase, or for sentences with figures a
# function that builds it, so ranking a hundred candidates builds sentences only for those shown.
Sentence = Union[Phrase, Callable[[], Phrase]]


def _amounts(template: str, **figures: tuple[float, str | None]) -> Callable[[], Phrase]:
    return lambda: Phrase(template, {name: amount(*figure) for name, figure in figures.items()})


def _prices(template: str, **figures: tuple[float, str | None]) -> Callable[[], Phrase]:
    return lambda: Phrase(template, {name: _price(*figure) for name, figure in figures.items()})


def _moq(p: Product, d: Demand) -> tuple[float, Sentence]:
    if p.moq is None or d.quantity is None:
        return NEUTRAL, _MOQ_UNKNOWN
    figures = {"quantity": (d.quantity, d.unit), "moq": (p.moq, p.unit)}
    if not convertible(d.unit, p.unit):
        return NEUTRAL, _amounts(N_("{quantity} asked, minimum order {moq}: units not comparable, "
                                    "counted as neutral"), **figures)
    quantity, moq = _in_base(d.quantity, d.unit), _in_base(p.moq, p.unit)
    if quantity >= moq:
        return 1.0, _amounts(N_("{quantity} asked, minimum order {moq}"), **figures)
    return quantity / moq, _amounts(N_("{quantity} asked, below the minimum order of {moq}"), **figures)


def _capacity(p: Product, d: Demand) -> tuple[float, Sentence]:
    if p.capacity_per_month is None or d.quantity is None:
        return NEUTRAL, _CAPACITY_UNKNOWN
    figures = {"capacity": (p.capacity_per_month, p.unit), "quantity": (d.quantity, d.unit)}
    if not convertible(d.unit, p.unit):
        return NEUTRAL, _amounts(N_("Capacity {capacity} a month, order {quantity}: units not comparable, "
                                    "counted as neutral"), **figures)
    quantity, capacity = _in_base(d.quantity, d.unit), _in_base(p.capacity_per_month, p.unit)
    if quantity <= capacity * MONTHS_TO_DELIVER:
        return 1.0, _amounts(N_("Capacity {capacity} a month covers {quantity}"), **figures)
    return capacity * MONTHS_TO_DELIVER / quantity, \
        _amounts(N_("Capacity {capacity} a month is short for {quantity}"), **figures)


def _budget(p: Product, d: Demand) -> tuple[float, Sentence]:
    if p.price_usd is None or d.max_price_usd is None:
        return NEUTRAL, _PRICE_UNKNOWN
    figures = {"price": (p.price_usd, p.unit), "max_price": (d.max_price_usd, d.unit)}
    if not convertible(p.unit, d.unit):
        return NEUTRAL, _prices(N_("Price {price} and maximum {max_price} are per different units: "
                                   "not compared, counted as neutral"), **figures)
    # A price per tonne is a thousand times the price per kilogram.
    price, ceiling = p.price_usd / _in_base(1, p.unit), d.max_price_usd / _in_base(1, d.unit)
    if price <= ceiling:
        return 1.0, _prices(N_("Price {price} within the maximum {max_price}"), **figures)
    over = (price - ceiling) / max(ceiling, 1e-9)
    return max(0.0, 1.0 - 2 * over), _prices(N_("Price {price} over the maximum {max_price}"), **figures)


def _incoterms(p: Product, d: Demand) -> tuple[float, Sentence]:
    if not p.incoterms or not d.incoterms:
        return NEUTRAL, _INCOTERMS_UNKNOWN
    common = set(p.incoterms) & set(d.incoterms)
    if common:
        return 1.0, lambda: Phrase(N_("Incoterms in common: {incoterms}"), {"incoterms": tuple(sorted(common))})
    return 0.0, _NO_INCOTERMS_IN_COMMON


def _corridor(p: Product, d: Demand, sector: str, focus: bool) -> tuple[float, Sentence]:
    if p.country is None or d.country is None:
        return NEUTRAL, _COUNTRIES_UNKNOWN
    template = N_("{origin}→{destination} is the {sector} focus corridor") if focus else \
        N_("{origin}→{destination} is not a focus corridor for {sector}")
    return 1.0 if focus else NEUTRAL, lambda: Phrase(template, {
        "origin": p.country, "destination": d.country, "sector": _SECTOR_WORDS.get(sector, sector)})


def structured_fit(product: Product, demand: Demand, sector: str, *, focus: bool = False,
                   details: bool = True) -> tuple[float, tuple[Phrase, ...]]:
    """Mean of the five checks, with a sentence for each (none when ``details`` is False, for
    ranking); ``focus`` says whether the trade runs along a focus corridor
    (``constraints.focus_corridor`` decides).

    >>> p = Product("p1", "Teak chairs", moq=100, incoterms=("FOB",), country="ID", unit="pcs")
    >>> d = Demand("d1", "Chairs", quantity=500, incoterms=("FOB", "CIF"), country="KZ", unit="pcs")
    >>> value, phrases = structured_fit(p, d, "furniture", focus=True)
    >>> round(value, 2), phrases[0].render()
    (0.8, '500 pcs asked, minimum order 100 pcs')
    """
    checks = [_moq(product, demand), _capacity(product, demand), _budget(product, demand),
              _incoterms(product, demand), _corridor(product, demand, sector, focus)]
    value = sum([v for v, _ in checks]) / len(checks)
    if not details:
        return value, ()
    return value, tuple(s if isinstance(s, Phrase) else s() for _, s in checks)
