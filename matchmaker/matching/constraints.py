"""Hard constraints: a pair that breaks one is never shown, whatever its score.

The rules are written once here as plain checks (for ``why_not``) and once as bit masks (for the
index, which has to test 100,000 products at a time); a test keeps the two in agreement.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from matchmaker.vocabulary import CERTIFICATIONS

from matchmaker.matching.records import Demand, Product

__all__ = ["why_not", "certification_mask", "country_codes", "eligible"]

_BIT = {code: 1 << i for i, code in enumerate(CERTIFICATIONS)}


def why_not(product: Product, demand: Demand) -> list[str]:
    """Reasons, in plain English, why this product is never offered for this request; [] if eligible.

    >>> why_not(Product("p1", "Beef", country="KZ", certifications=("vet",)),
    ...         Demand("d1", "Halal beef", country="ID", required_certifications=("halal", "vet")))
    ['the request requires the Halal certification, which the product does not have']
    >>> why_not(Product("p1", "Beef", country="KZ"), Demand("d1", "Beef", country="KZ"))
    ["the product comes from the buyer's own country (KZ)"]
    """
    reasons = [f"the request requires the {CERTIFICATIONS[code].label} certification, "
               "which the product does not have"
               for code in demand.required_certifications if code not in product.certifications]
    if product.country is not None and product.country == demand.country:
        reasons.append(f"the product comes from the buyer's own country ({product.country})")
    return reasons


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
    """Vectorised :func:`why_not` == []: arrays broadcast, one side usually a scalar."""
    certified = (required & ~held) == 0
    same_country = (product_country == demand_country) & (product_country >= 0)
    return certified & ~same_country
