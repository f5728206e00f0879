"""Corridor rules a request form applies in advance: the engine decides them, the form shows them.

Halal for meat and dairy bought into Indonesia is the law (the engine enforces it whatever is
ticked); a veterinary certificate for meat, dairy and fish bought into Kazakhstan is a default the
owner may untick. Both come from ``matching.constraints.corridor_defaults``.
"""

from __future__ import annotations

from matchmaker.matching import Demand, classify
from matchmaker.matching.constraints import CorridorDefault, corridor_defaults
from matchmaker.vocabulary import SECTORS, sector_for_hs


def request_sector(*, hs_code: str | None, title: str, description: str | None) -> str:
    """The sector a request is filed under: its HS code's, else the one its words name."""
    if hs_code:
        return sector_for_hs(hs_code)
    return classify(Demand(id="-", title=title or "-", description=description or None)).sector


def request_defaults(country: str | None, *, hs_code: str | None, title: str,
                     description: str | None) -> tuple[str, tuple[CorridorDefault, ...]]:
    """The request's sector and the certifications the corridor rules tick in advance for it."""
    sector = request_sector(hs_code=hs_code, title=title, description=description)
    return sector, corridor_defaults(country, sector)


def rules_for(country: str | None) -> tuple[CorridorDefault, ...]:
    """Every corridor default a buyer in ``country`` may meet, once each, to explain on a blank form."""
    seen: dict[str, CorridorDefault] = {}
    for sector in SECTORS:
        for default in corridor_defaults(country, sector):
            seen.setdefault(default.certification, default)
    return tuple(seen.values())
