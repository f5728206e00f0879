"""Organisation profiles: members keep them current; curators verify them (services/verification.py)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from matchmaker.models import AuditEvent, Organisation, User
from matchmaker.schemas import OrganisationIn
from matchmaker.services import audit, changes
from matchmaker.services.editing import edit
from matchmaker.signals import verification_changed

# The engine reads an organisation's country (no trade within one country; the focus corridors) and
# its kind (only suppliers' products and buyers' requests are matched).
MATCHING_FACTS = ("country", "kind")

# What a curator checks when verifying (registration documents name the company, its country, its
# trade and its official website and email): a change to any of them needs a new check.
IDENTITY_FIELDS = ("name", "country", "kind", "website", "contact_email")
IDENTITY_CHANGED = "identity_changed"


def update(session: Session, *, actor: User, organisation: Organisation, version: int,
           data: OrganisationIn) -> Organisation:
    """Save a member's edit made in a form that showed ``version`` of the profile.

    Changing an identity field withdraws the verification, in the same transaction and with its own
    audit event saying which fields changed. Raises
    :class:`~matchmaker.services.editing.StaleEdit`, saving nothing, when someone else changed the
    profile since.
    """
    with edit(session, organisation, version=version) as before:
        for key, value in data.model_dump().items():
            setattr(organisation, key, value)
        session.add(organisation)
        audit.record(session, actor=actor, action="update", entity=organisation, before=before)
        changed = [field for field in IDENTITY_FIELDS if before[field] != getattr(organisation, field)]
        if changed and organisation.verified:
            _withdraw_verification(session, actor, organisation, reason={"code": IDENTITY_CHANGED,
                                                                          "fields": changed})
        if any(before[key] != getattr(organisation, key) for key in MATCHING_FACTS):
            changes.record(session, products=[p.id for p in organisation.products if p.status == "published"],
                           requests=[r.id for r in organisation.requests if r.status == "published"])
    return organisation


def _withdraw_verification(session: Session, actor: User, organisation: Organisation, *,
                           reason: dict) -> None:
    before = audit.snapshot(organisation)
    organisation.verified = False
    organisation.verified_by_id = None
    organisation.verified_at = None
    session.add(organisation)
    audit.record(session, actor=actor, action="unverify", entity=organisation, before=before, reason=reason)
    verification_changed.send(session, organisation_id=organisation.id, what="organisation", event="withdrawn",
                              actor_id=actor.id, detail={"reason": reason})


def reverification_pending(session: Session, organisation: Organisation) -> list[str]:
    """The identity fields whose change withdrew the organisation's verification, when that is the
    latest news about its verification; otherwise nothing."""
    if organisation.verified:
        return []
    latest = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_type == Organisation.__tablename__, AuditEvent.entity_id == organisation.id,
               col(AuditEvent.action).in_(("verify", "unverify")))
        .order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    reason = (latest.reason or {}) if latest is not None else {}
    return list(reason.get("fields", ())) if reason.get("code") == IDENTITY_CHANGED else []
