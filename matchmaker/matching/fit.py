"""The ``fit`` component: can this seller actually serve this order?

Five checks, each in [0, 1]; an unknown value scores a neutral 0.5 and the detail says it was
unknown, so a sparse listing is neither rewarded nor punished for what it leaves out.
"""

from __future__ import annotations

from matchmaker.vocabulary import is_focus_corridor

from matchmaker.matching.records import Demand, Product

__all__ = ["structured_fit", "NEUTRAL"]

NEUTRAL = 0.5
MONTHS_TO_DELIVER = 3  # an order up to three months of capacity is a normal order
_TO_BASE = {"kg": ("kg", 1.0), "t": ("kg", 1000.0)}


def _same_unit(a: float, unit_a: str | None, b: float, unit_b: str | None) -> tuple[float, float] | None:
    if unit_a is None or unit_b is None or unit_a == unit_b:
        return a, b
    base_a, base_b = _TO_BASE.get(unit_a), _TO_BASE.get(unit_b)
    if base_a and base_b and base_a[0] == base_b[0]:
        return a * base_a[1], b * base_b[1]
    return None


def _moq(p: Product, d: Demand) -> tuple[float, str]:
    if p.moq is None or d.quantity is None:
        return NEUTRAL, "quantity vs MOQ unknown"
    pair = _same_unit(d.quantity, d.unit, p.moq, p.unit)
    if pair is None:
        return NEUTRAL, f"quantity in {d.unit}, MOQ in {p.unit}: not comparable"
    quantity, moq = pair
    if quantity >= moq:
        return 1.0, f"quantity {d.quantity:g} meets MOQ {p.moq:g}"
    return quantity / moq, f"quantity {d.quantity:g} below MOQ {p.moq:g}"


def _capacity(p: Product, d: Demand) -> tuple[float, str]:
    if p.capacity_per_month is None or d.quantity is None:
        return NEUTRAL, "capacity unknown"
    pair = _same_unit(d.quantity, d.unit, p.capacity_per_month, p.unit)
    if pair is None:
        return NEUTRAL, "capacity in other units"
    quantity, capacity = pair
    if quantity <= capacity * MONTHS_TO_DELIVER:
        return 1.0, f"capacity {p.capacity_per_month:g}/month covers it"
    return capacity * MONTHS_TO_DELIVER / quantity, \
        f"capacity {p.capacity_per_month:g}/month is short for {d.quantity:g}"


def _price(p: Product, d: Demand) -> tuple[float, str]:
    if p.price_usd is None or d.max_price_usd is None:
        return NEUTRAL, "price vs budget unknown"
    if p.price_usd <= d.max_price_usd:
        return 1.0, f"price ${p.price_usd:g} within max ${d.max_price_usd:g}"
    over = (p.price_usd - d.max_price_usd) / max(d.max_price_usd, 1e-9)
    return max(0.0, 1.0 - 2 * over), f"price ${p.price_usd:g} over max ${d.max_price_usd:g}"


def _incoterms(p: Product, d: Demand) -> tuple[float, str]:
    if not p.incoterms or not d.incoterms:
        return NEUTRAL, "Incoterms unknown"
    common = sorted(set(p.incoterms) & set(d.incoterms))
    if common:
        return 1.0, f"Incoterms in common: {', '.join(common)}"
    return 0.0, "no Incoterms in common"


def _corridor(p: Product, d: Demand, sector: str) -> tuple[float, str]:
    if p.country is None or d.country is None:
        return NEUTRAL, "countries unknown"
    if is_focus_corridor(sector, p.country, d.country):
        return 1.0, f"{p.country}→{d.country} is the {sector} focus corridor"
    return NEUTRAL, f"{p.country}→{d.country} is not a focus corridor for {sector}"


def structured_fit(product: Product, demand: Demand, sector: str) -> tuple[float, str]:
    """Mean of the five checks, with a detail naming each.

    >>> p = Product("p1", "Teak chairs", moq=100, incoterms=("FOB",), country="ID")
    >>> d = Demand("d1", "Chairs", quantity=500, incoterms=("FOB", "CIF"), country="KZ")
    >>> value, detail = structured_fit(p, d, "furniture")
    >>> round(value, 2)
    0.8
    """
    checks = [_moq(product, demand), _capacity(product, demand), _price(product, demand),
              _incoterms(product, demand), _corridor(product, demand, sector)]
    value = sum(v for v, _ in checks) / len(checks)
    return value, "; ".join(detail for _, detail in checks)
