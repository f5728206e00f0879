"""Who may see and change what. Views ask these questions; they never decide on their own."""

from __future__ import annotations

from sqlmodel import Session, select

from matchmaker.models import BuyingRequest, Introduction, Match, Organisation, ProductProfile
from matchmaker.stages import CONTACTS_SHARED
from matchmaker.vocabulary import DEMAND_KINDS, SUPPLY_KINDS


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_member_of(user, organisation_id: int | None) -> bool:
    return _signed_in(user) and organisation_id is not None and user.organisation_id == organisation_id


def can_edit_item(user, item: ProductProfile | BuyingRequest) -> bool:
    """Only members of the owning organisation change its profiles and requests."""
    return is_member_of(user, item.organisation_id)


def can_view_item(user, item: ProductProfile | BuyingRequest) -> bool:
    if item.status == "published":
        return True
    return can_edit_item(user, item) or (_signed_in(user) and user.is_curator)


def can_see_matches(user, item: ProductProfile | BuyingRequest) -> bool:
    """Whom the engine proposes to a company is its business: only the item's own organisation and
    curators (admins included) see an item's proposed partners."""
    return can_edit_item(user, item) or (_signed_in(user) and user.is_curator)


def can_view_match(user, match: Match) -> bool:
    """A match page is for the two parties' members and curators; for anyone else it does not exist.
    A party sees it only while it may see both sides, so a match never reveals the other's draft."""
    if _signed_in(user) and user.is_curator:
        return True
    party = is_member_of(user, match.product.organisation_id) or is_member_of(user, match.request.organisation_id)
    return party and can_view_item(user, match.product) and can_view_item(user, match.request)


def can_post_products(user) -> bool:
    """Exporters and producers offer products; buyers, importers and chambers do not."""
    return _signed_in(user) and user.organisation is not None and user.organisation.kind in SUPPLY_KINDS


def can_post_requests(user) -> bool:
    return _signed_in(user) and user.organisation is not None and user.organisation.kind in DEMAND_KINDS


def can_see_contacts(session: Session, user, organisation: Organisation) -> bool:
    """Contact details are private until a curator has introduced the two organisations and both
    have accepted (as in the Enterprise Europe Network); then each party sees the other's."""
    if not _signed_in(user):
        return False
    if user.is_curator or user.organisation_id == organisation.id:
        return True
    if user.organisation_id is None:
        return False
    mine, theirs = user.organisation_id, organisation.id
    shared = (
        select(Introduction.id)
        .join(ProductProfile, Introduction.product_id == ProductProfile.id)
        .join(BuyingRequest, Introduction.request_id == BuyingRequest.id)
        .where(Introduction.stage.in_([stage.value for stage in CONTACTS_SHARED]))
        .where(
            ((ProductProfile.organisation_id == mine) & (BuyingRequest.organisation_id == theirs))
            | ((ProductProfile.organisation_id == theirs) & (BuyingRequest.organisation_id == mine))
        )
    )
    return session.exec(shared.limit(1)).first() is not None


def can_act_on_match(user, match: Match, introduction: Introduction | None, action: str) -> bool:
    """Whether the match page offers this move (the curation service refuses the same moves)."""
    from matchmaker.services.curation import available_actions

    return action in available_actions(user, match, introduction)


def can_manage_users(user) -> bool:
    return _signed_in(user) and user.is_admin
