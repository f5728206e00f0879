"""What keeps relevant partners away from an item: the engine's ``why_not``, for the item's owner.

Read from the other side's warm shared index (the one matching uses) when the owner opens the item
page, so it always reflects today's requests and products and costs one query's work, not an index
of the whole catalogue.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from matchmaker.matching import Obstacle
from matchmaker.services import index_store
from matchmaker.services.matches import to_engine_demand, to_engine_product

# Same-country pairs are outside the platform's purpose, and no owner can change them: not a hint.
_NOT_ACTIONABLE = frozenset({"own_country"})


def for_owner(session: Session, kind: str, item) -> list[Obstacle]:
    """Groups of relevant partners a hard constraint excludes, the largest first (none while this
    process's index is being prepared: the hints come with it)."""
    side, record = (("requests", to_engine_product(item)) if kind == "product"
                    else ("products", to_engine_demand(item)))
    try:
        with index_store.reading(session, side) as view:
            found = view.index.why_not(record) if len(view.index) else []
            unmatchable = view.unmatchable
    except index_store.IndexBeingPrepared:
        return []
    hints = []
    for obstacle in found:
        # Partners matching never proposes (their organisation is on this side of the market) are
        # in the shared index for search; they are no one's missed partner.
        partners = tuple(p for p in obstacle.partner_ids if int(p) not in unmatchable)
        if partners and obstacle.kind not in _NOT_ACTIONABLE:
            hints.append(replace(obstacle, partner_ids=partners))
    return sorted(hints, key=lambda o: (-len(o.partner_ids), o.kind, o.code))
