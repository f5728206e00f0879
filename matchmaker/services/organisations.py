"""Organisation profiles: members keep them current; curators verify them."""

from __future__ import annotations

from sqlmodel import Session

from matchmaker.db import transaction
from matchmaker.models import Organisation, User, utcnow
from matchmaker.schemas import OrganisationIn
from matchmaker.services import audit, matches

# The engine reads an organisation's country (no trade within one country; the focus corridors) and
# its kind (only suppliers' products and buyers' requests are matched).
MATCHING_FACTS = ("country", "kind")


def update(session: Session, *, actor: User, organisation: Organisation, data: OrganisationIn) -> Organisation:
    before = audit.snapshot(organisation)
    with transaction(session):
        for key, value in data.model_dump().items():
            setattr(organisation, key, value)
        session.add(organisation)
        audit.record(session, actor=actor, action="update", entity=organisation, before=before)
    if any(before[key] != getattr(organisation, key) for key in MATCHING_FACTS):
        matches.refresh(session, products=[p.id for p in organisation.products],
                        requests=[r.id for r in organisation.requests])
    return organisation


def set_verified(session: Session, *, actor: User, organisation: Organisation, verified: bool) -> Organisation:
    """Record that a curator checked the company (registration documents, export licence…), and who did."""
    before = audit.snapshot(organisation)
    with transaction(session):
        organisation.verified = verified
        organisation.verified_by_id = actor.id if verified else None
        organisation.verified_at = utcnow() if verified else None
        session.add(organisation)
        audit.record(session, actor=actor, action="verify" if verified else "unverify", entity=organisation,
                     before=before)
    return organisation
