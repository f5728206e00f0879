"""What a match page tells its reader about the people's work on it: the history of its introduction
(the audit events of every move, newest first) and, in plain words, what happens next.

Plain functions of a session, ids and records, so a page, a mail or an export can tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from flask_babel import format_decimal, format_date, gettext as _, lazy_gettext as _l
from sqlmodel import Session, col, select

from matchmaker.models import AuditEvent, Introduction, Match, User
from matchmaker.services.curation import curates, party_side, stage_of
from matchmaker.stages import DECLINE_REASON_LABELS, DISMISS_REASON_LABELS, LOST_REASON_LABELS, Stage

ACTION_LABELS = {
    "request": _l("Asked for an introduction"),
    "dismiss": _l("Marked the proposal as not relevant"),
    "introduce": _l("Introduced the parties"),
    "decline": _l("Declined to introduce the parties"),
    "accept": _l("Accepted the introduction"),
    "reject": _l("Rejected the introduction"),
    "meeting": _l("Recorded a meeting"),
    "negotiation": _l("Recorded a negotiation"),
    "won": _l("Recorded a won deal"),
    "lost": _l("Recorded a lost deal"),
}
REASON_LABELS = {"dismiss": DISMISS_REASON_LABELS, "decline": DECLINE_REASON_LABELS, "lost": LOST_REASON_LABELS}


@dataclass(frozen=True)
class Entry:
    """One move in a match's history."""

    at: datetime
    actor: Optional[User]
    action: str
    before: Optional[Stage]
    after: Optional[Stage]
    reason: str          # the reason's label, in the reader's language, or ""
    note: str            # "" when the reader may not read it
    deal: str            # "USD 1,200,000 on 3 Nov 2026" for a won deal, else ""

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


def reason_label(action: str, code: Optional[str]) -> str:
    labels = REASON_LABELS.get(action, {})
    for key, text in labels.items():
        if key.value == code:
            return str(text)
    return code or ""


def history(session: Session, *, introduction_id: Optional[int], reader: Optional[User]) -> list[Entry]:
    """The introduction's moves, newest first. A party's note is for the chamber and the party's own
    organisation; a curator's note is addressed to both parties."""
    if introduction_id is None:
        return []
    events = session.exec(select(AuditEvent)
                          .where(AuditEvent.entity_type == Introduction.__tablename__,
                                 AuditEvent.entity_id == introduction_id)
                          .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())).all()
    actors = {user.id: user for user in session.exec(
        select(User).where(col(User.id).in_({e.actor_id for e in events if e.actor_id}))).all()}
    entries = []
    for event in events:
        actor = actors.get(event.actor_id)
        detail, after = event.reason or {}, event.after or {}
        entries.append(Entry(
            at=_utc(event.created_at), actor=actor, action=event.action,
            before=_stage(event.before), after=_stage(after),
            reason=reason_label(event.action, detail.get("code")),
            note=detail.get("note", "") if _may_read(reader, actor) else "",
            deal=_deal(after) if event.action == "won" else ""))
    return entries


def _utc(moment: datetime) -> datetime:
    # Stored in UTC; SQLite hands it back without the zone.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _stage(snapshot: Optional[dict]) -> Optional[Stage]:
    try:
        return Stage(snapshot["stage"]) if snapshot else None
    except (KeyError, ValueError):
        return None


def _may_read(reader: Optional[User], author: Optional[User]) -> bool:
    if reader is None or author is None:
        return False
    return reader.is_curator or author.is_curator or (
        reader.organisation_id is not None and reader.organisation_id == author.organisation_id)


def _deal(snapshot: dict) -> str:
    value, day = snapshot.get("deal_value_usd"), snapshot.get("deal_date")
    if value is None or not day:
        return ""
    return _("USD %(value)s on %(date)s", value=format_decimal(value, format="#,##0.##"),
             date=format_date(datetime.fromisoformat(day).date()))


def next_step(user: Optional[User], match: Match, introduction: Optional[Introduction]) -> str:
    """What happens next, for this reader, in plain words."""
    stage, side = stage_of(introduction), party_side(user, match)
    supplier, buyer = match.product.organisation, match.request.organisation
    other = (buyer if side == "supplier" else supplier).name if side else ""
    if stage is Stage.PROPOSED:
        if side:
            return _("Ask the chamber to introduce you to %(other)s, or tell it this proposal is not relevant.",
                     other=other)
        if curates(user, match):
            return _("Proposed by the engine; no party has asked yet. You may introduce the parties or decline.")
        return _("Proposed by the engine; waiting for a party or the chamber.")
    if stage is Stage.REQUESTED:
        if curates(user, match):
            return _("A party asked for an introduction: introduce the parties or decline.")
        return _("Waiting for the chamber to review the request for an introduction.")
    if stage is Stage.INTRODUCED:
        if side and getattr(introduction, f"{side}_accepted_at"):
            return _("You accepted. Waiting for %(other)s to accept.", other=other)
        if side:
            return _("The chamber introduced you to %(other)s. Accept to share your contact details with "
                     "each other, or reject.", other=other)
        waiting = [org.name for org, at in ((supplier, introduction.supplier_accepted_at),
                                            (buyer, introduction.buyer_accepted_at)) if at is None]
        return _("Waiting for %(names)s to accept.", names=", ".join(waiting))
    if stage is Stage.ACCEPTED:
        return _("Both accepted: each party sees the other's contact details. Record the meeting when it "
                 "takes place.")
    if stage is Stage.MEETING:
        return _("The parties have met. Record the negotiation or the outcome.")
    if stage is Stage.NEGOTIATION:
        return _("In negotiation. Record the outcome: won, with the deal's value and date, or lost.")
    if stage is Stage.DISMISSED:
        return _("Closed: a party found this proposal not relevant (%(reason)s).",
                 reason=reason_label("dismiss", introduction.dismiss_reason))
    if stage is Stage.DECLINED:
        return _("Closed: the chamber declined to introduce the parties (%(reason)s).",
                 reason=reason_label("decline", introduction.decline_reason))
    if stage is Stage.REJECTED:
        return _("Closed: a party rejected the introduction.")
    if stage is Stage.WON:
        return _("Closed: deal won, %(deal)s.", deal=_deal(_plain(introduction)))
    return _("Closed: deal lost (%(reason)s).", reason=reason_label("lost", introduction.lost_reason))


def _plain(introduction: Introduction) -> dict:
    day = introduction.deal_date
    return {"deal_value_usd": introduction.deal_value_usd, "deal_date": day.isoformat() if day else None}
