"""The score people read: a grade from 0 to 100, where 85 and above is a perfect fit, 50 to 85 a
plausible one, and anything below 50 is not proposed.

The weighted sum of the components (the "raw" score) ranks well but reads badly: a pair with the same
HS subheading, the quantity at the minimum order and the price under the maximum sums to about 0.5,
because the text of two languages rarely shares words. ``grade`` maps the raw score onto the scale a
trade adviser expects, through a monotone piecewise-linear curve, so the order never changes; the
explanation rescales every part by the same factor, so the parts still add up to the grade.

The knots were set on the dev half of ``benchmarks/quality.py`` (see benchmarks/README.md):

- ``RAW_MINIMUM`` (grade 50): the lowest raw score still proposed. Of the dev top-ten results
  scoring 0.10-0.20, 0-7 % were the right heading and 14-33 % were of another sector; a floor of
  0.15 or 0.17 cost no nDCG@10, 0.19 began to cut relevant results.
- ``RAW_PERFECT`` (grade 85): a perfect pair, i.e. the exact HS subheading found first with
  quantity, price and Incoterms all fitting, scores at least this much in 85 % of dev requests.
"""

from __future__ import annotations

__all__ = ["grade", "MINIMUM_GRADE", "PERFECT_GRADE", "RAW_MINIMUM", "RAW_PERFECT", "raw_floor_units"]

MINIMUM_GRADE = 0.50
PERFECT_GRADE = 0.85
RAW_MINIMUM = 0.17
RAW_PERFECT = 0.40
_KNOTS = ((0.0, 0.0), (RAW_MINIMUM, MINIMUM_GRADE), (RAW_PERFECT, PERFECT_GRADE), (1.0, 1.0))


def grade(raw: float) -> float:
    """The grade (0..1, shown as 0..100) of a raw weighted score (0..1); monotone, grade(0) = 0.

    >>> grade(0.0), grade(RAW_MINIMUM), grade(RAW_PERFECT), grade(1.0)
    (0.0, 0.5, 0.85, 1.0)
    """
    raw = min(1.0, max(0.0, raw))
    for (x0, y0), (x1, y1) in zip(_KNOTS, _KNOTS[1:]):
        if raw <= x1:
            return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
    return 1.0


def raw_floor_units(scale: int) -> int:
    """The smallest raw score, in units of ``1 / scale``, whose grade shows as at least the minimum
    (in whole points): ranking compares these integers before it builds any explanation."""
    return next(units for units in range(scale + 1)
                if round(grade(units / scale) * 100) >= round(MINIMUM_GRADE * 100))
