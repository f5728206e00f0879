"""Stages, reasons and roles of the curation loop, in one place.

A match is engine output: it may be recomputed or removed. The moment a person acts on it (a party
asks for an introduction or says "not relevant", a curator introduces or declines) an
:class:`~matchmaker.models.Introduction` records that work, and from then on the stage lives there.
The allowed moves between stages are one table in :mod:`matchmaker.services.curation`.

>>> Stage("won").is_closed, Stage.MEETING.is_closed
(True, False)
>>> [s.value for s in FUNNEL]
['proposed', 'requested', 'introduced', 'accepted', 'meeting', 'won']
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Stage(StrEnum):
    PROPOSED = "proposed"        # the engine's suggestion; nobody has acted on it yet
    REQUESTED = "requested"      # a party asked a curator for an introduction
    DISMISSED = "dismissed"      # a party said "not relevant"
    INTRODUCED = "introduced"    # a curator introduced the parties; each accepts or rejects
    DECLINED = "declined"        # a curator declined to introduce
    REJECTED = "rejected"        # a party rejected the introduction
    ACCEPTED = "accepted"        # both parties accepted: each sees the other's contacts
    MEETING = "meeting"
    NEGOTIATION = "negotiation"
    WON = "won"                  # a deal: value in USD and date
    LOST = "lost"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])

    @property
    def is_closed(self) -> bool:
        return self in CLOSED

    @property
    def contacts_shared(self) -> bool:
        """Both parties accepted the introduction (as in the Enterprise Europe Network)."""
        return self in CONTACTS_SHARED


CLOSED = frozenset({Stage.DISMISSED, Stage.DECLINED, Stage.REJECTED, Stage.WON, Stage.LOST})
CONTACTS_SHARED = frozenset({Stage.ACCEPTED, Stage.MEETING, Stage.NEGOTIATION, Stage.WON, Stage.LOST})
# The programme's funnel: each match counts in every step it has reached.
FUNNEL = (Stage.PROPOSED, Stage.REQUESTED, Stage.INTRODUCED, Stage.ACCEPTED, Stage.MEETING, Stage.WON)
# Stages a party or curator records once the parties know each other.
PROGRESS = (Stage.MEETING, Stage.NEGOTIATION, Stage.WON, Stage.LOST)

STAGE_LABELS = {
    Stage.PROPOSED: _l("Proposed"),
    Stage.REQUESTED: _l("Introduction requested"),
    Stage.DISMISSED: _l("Not relevant"),
    Stage.INTRODUCED: _l("Introduced"),
    Stage.DECLINED: _l("Declined by the chamber"),
    Stage.REJECTED: _l("Introduction rejected"),
    Stage.ACCEPTED: _l("Both accepted"),
    Stage.MEETING: _l("Meeting"),
    Stage.NEGOTIATION: _l("Negotiation"),
    Stage.WON: _l("Won"),
    Stage.LOST: _l("Lost"),
}


class DismissReason(StrEnum):
    """Why a party finds a proposal not relevant: labelled feedback for the engine."""

    WRONG_PRODUCT = "wrong_product"
    CERTIFICATE = "certificate"
    VOLUME = "volume"
    PRICE = "price"
    OTHER = "other"


DISMISS_REASON_LABELS = {
    DismissReason.WRONG_PRODUCT: _l("Wrong product"),
    DismissReason.CERTIFICATE: _l("Certificate missing"),
    DismissReason.VOLUME: _l("Volume does not fit"),
    DismissReason.PRICE: _l("Price does not fit"),
    DismissReason.OTHER: _l("Other"),
}


class DeclineReason(StrEnum):
    """Why a curator does not introduce the parties."""

    NOT_RELEVANT = "not_relevant"
    CERTIFICATE = "certificate"
    VOLUME = "volume"
    PRICE = "price"
    NOT_VERIFIED = "not_verified"
    OTHER = "other"


DECLINE_REASON_LABELS = {
    DeclineReason.NOT_RELEVANT: _l("The products do not match"),
    DeclineReason.CERTIFICATE: _l("Certificate missing"),
    DeclineReason.VOLUME: _l("Volume does not fit"),
    DeclineReason.PRICE: _l("Price does not fit"),
    DeclineReason.NOT_VERIFIED: _l("A party is not verified yet"),
    DeclineReason.OTHER: _l("Other"),
}


class LostReason(StrEnum):
    PRICE = "price"
    VOLUME = "volume"
    CERTIFICATE = "certificate"
    LOGISTICS = "logistics"
    PAYMENT = "payment"
    NO_RESPONSE = "no_response"
    OTHER = "other"


LOST_REASON_LABELS = {
    LostReason.PRICE: _l("Price"),
    LostReason.VOLUME: _l("Volume"),
    LostReason.CERTIFICATE: _l("Certificates"),
    LostReason.LOGISTICS: _l("Logistics"),
    LostReason.PAYMENT: _l("Payment terms"),
    LostReason.NO_RESPONSE: _l("No response"),
    LostReason.OTHER: _l("Other"),
}


class Role(StrEnum):
    MEMBER = "member"      # works for one organisation
    CURATOR = "curator"    # works for a chamber (or embassy) in one country; curates its members' matches
    ADMIN = "admin"        # runs the platform; curates everything


# Whose hand a transition needs (services.curation checks it; permissions.py asks the same table).
class Actor(StrEnum):
    PARTY = "party"        # a member of the product's or the request's organisation
    CURATOR = "curator"
