"""What keeps relevant partners away from an item: the engine's ``why_not``, for the item's owner.

Computed when the owner opens the item page, against the other side's published catalogue, so it
always reflects today's requests and products (a few hundred items index in well under a second).
"""

from __future__ import annotations

from sqlmodel import Session, select

from matchmaker.matching import DemandIndex, Obstacle, ProductIndex
from matchmaker.models import BuyingRequest, ProductProfile
from matchmaker.services.matches import to_engine_demand, to_engine_product

# Same-country pairs are outside the platform's purpose, and no owner can change them: not a hint.
_NOT_ACTIONABLE = frozenset({"own_country"})


def _published(session: Session, model) -> list:
    return list(session.exec(select(model).where(model.status == "published").order_by(model.id)).all())


def for_owner(session: Session, kind: str, item) -> list[Obstacle]:
    """Groups of relevant partners a hard constraint excludes, the largest first."""
    if kind == "product":
        others = _published(session, BuyingRequest)
        found = DemandIndex([to_engine_demand(r) for r in others]).why_not(to_engine_product(item)) if others else []
    else:
        others = _published(session, ProductProfile)
        found = ProductIndex([to_engine_product(p) for p in others]).why_not(to_engine_demand(item)) if others else []
    return [obstacle for obstacle in found if obstacle.kind not in _NOT_ACTIONABLE]
