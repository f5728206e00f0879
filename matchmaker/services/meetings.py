"""Meetings of two introduced parties: 1–3 times proposed in the proposer's zone, stored in UTC, one
confirmed by the other side, which moves the introduction to the "meeting" stage; an ``.ics`` invitation.

Functions take ids and plain values; refusals are :class:`~matchmaker.services.curation.Refused`
("forbidden" → 404/403 in the view, "stage" → 409, "invalid" → a form error on ``field``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import update
from sqlmodel import Session, select

from matchmaker import timezones
from matchmaker.db import transaction
from matchmaker.models import Introduction, Match, Meeting, MeetingSlot, User, utcnow
from matchmaker.services import curation, notifications
from matchmaker.services.curation import Refused
from matchmaker.stages import Stage

MAX_SLOTS = 3
DURATIONS = (15, 30, 45, 60, 90, 120, 180)
WHERE_MAX, NOTE_MAX = 300, 2000
# Meetings are arranged once the parties know each other, and not after the deal is closed.
OPEN_STAGES = frozenset({Stage.ACCEPTED, Stage.MEETING, Stage.NEGOTIATION})
INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def parse_slots(values: list[str], zone_key: str, *, now: datetime) -> list[datetime]:
    """Local times typed in ``zone_key`` → UTC datetimes, or :class:`Refused` naming the field.

    >>> now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    >>> parse_slots(["2027-03-10T10:00", ""], "Asia/Jakarta", now=now)
    [datetime.datetime(2027, 3, 10, 3, 0, tzinfo=datetime.timezone.utc)]
    """
    if zone_key not in timezones.ZONES:
        raise Refused("invalid", _l("Choose a time zone from the list."), field="timezone")
    zone = timezones.zone(zone_key)
    filled = [(i, v.strip()) for i, v in enumerate(values, 1) if v and v.strip()]
    if not filled:
        raise Refused("invalid", _l("Propose at least one time."), field="slot_1")
    if len(filled) > MAX_SLOTS:
        raise Refused("invalid", _l("Propose at most three times."), field="slot_1")
    found = []
    for position, text in filled:
        try:
            local = datetime.strptime(text[:16], INPUT_FORMAT) if len(text) <= 19 else None
        except ValueError:
            local = None
        if local is None:
            raise Refused("invalid", _l("Enter a date and time such as 2027-03-10 10:00."),
                          field=f"slot_{position}")
        starts = local.replace(tzinfo=zone).astimezone(timezone.utc)
        if starts <= now:
            raise Refused("invalid", _l("This time has already passed."), field=f"slot_{position}")
        if starts > now + timedelta(days=366):
            raise Refused("invalid", _l("Propose a time within the next year."), field=f"slot_{position}")
        if starts in found:
            raise Refused("invalid", _l("Each proposed time must be different."), field=f"slot_{position}")
        found.append(starts)
    return sorted(found)


def may_see(user: Optional[User], match: Match) -> bool:
    return curation.party_side(user, match) is not None or curation.curates(user, match)


def _check_open(introduction: Optional[Introduction]) -> None:
    if introduction is None or curation.stage_of(introduction) not in OPEN_STAGES:
        raise Refused("stage",
                      _l("A meeting can be arranged once both parties have accepted the introduction."))


def propose(session: Session, *, match_id: int, user_id: int, slots: list[str], zone_key: str,
            duration_minutes=60, where: str = "", note: str = "", now: Optional[datetime] = None) -> Meeting:
    now = now or utcnow()
    with transaction(session):
        match = session.get(Match, match_id)
        user = session.get(User, user_id)
        if match is None or not may_see(user, match):
            raise Refused("forbidden", _l("This match does not exist."))
        introduction = curation.introduction_for(session, match_id)
        _check_open(introduction)
        try:
            duration = int(duration_minutes)
        except (TypeError, ValueError):
            duration = 0
        if duration not in DURATIONS:
            raise Refused("invalid", _l("Choose how long the meeting lasts."), field="duration_minutes")
        where, note = (where or "").strip(), (note or "").strip()
        if len(where) > WHERE_MAX:
            raise Refused("invalid", _l("Keep the place or link under %(n)s characters.", n=WHERE_MAX),
                          field="where")
        if len(note) > NOTE_MAX:
            raise Refused("invalid", _l("Keep the note under %(n)s characters.", n=NOTE_MAX), field="note")
        starts = parse_slots(slots, zone_key, now=now)
        meeting = Meeting(introduction_id=introduction.id, proposed_by_id=user.id, timezone=zone_key,
                          duration_minutes=duration, where=where, note=note)
        session.add(meeting)
        session.flush()
        session.add_all([MeetingSlot(meeting_id=meeting.id, starts_at=s) for s in starts])
        notifications.notify(session, users=_others(session, match, user), kind="meeting_proposed",
                             params={"other": _org_name(user), "times": [t.isoformat() for t in starts]},
                             match=match, actor_id=user.id)
    return meeting


def _others(session: Session, match: Match, user: User) -> list[User]:
    """The people who answer a proposal: the other party's members (both parties' for a curator's)."""
    sides = [match.product.organisation_id, match.request.organisation_id]
    return notifications.members(session, [s for s in sides if s != user.organisation_id])


def _org_name(user: User) -> str:
    return user.organisation.name if user.organisation else (user.name or user.email)


def _load(session: Session, meeting_id: int, user: Optional[User], *,
          lock: bool = False) -> tuple[Meeting, Match]:
    if lock:  # two answers to one proposal run one after the other; the second sees the first's
        session.exec(update(Meeting).where(Meeting.id == meeting_id).values(status=Meeting.status))
    meeting = session.get(Meeting, meeting_id, populate_existing=True)
    if meeting is None:
        raise Refused("forbidden", _l("This meeting does not exist."))
    match = session.get(Match, meeting.introduction.match_id)
    if not may_see(user, match):
        raise Refused("forbidden", _l("This meeting does not exist."))
    return meeting, match


def may_confirm(user: Optional[User], meeting: Meeting, match: Match) -> bool:
    """The other side answers: a party that did not propose (either party, when a curator proposed)."""
    side = curation.party_side(user, match)
    if side is None or meeting.status != "proposed" or user.id == meeting.proposed_by_id:
        return False
    proposer = meeting_proposer(meeting)
    return proposer is None or proposer.organisation_id != user.organisation_id


def meeting_proposer(meeting: Meeting) -> Optional[User]:
    from sqlalchemy.orm import object_session
    session = object_session(meeting)
    return session.get(User, meeting.proposed_by_id) if session is not None else None


def confirm(session: Session, *, meeting_id: int, user_id: int, slot_id) -> Meeting:
    """Confirm one slot; the introduction moves to "meeting" (through the curation service, in the same
    transaction) when it is still at "accepted"."""
    user = session.get(User, user_id)
    try:  # one transaction: move() commits it with the stage, or anything refused rolls it all back
        meeting, match = _load(session, meeting_id, user, lock=True)
        if meeting.status != "proposed":
            raise Refused("stage", _l("This meeting is no longer waiting for an answer."))
        if not may_confirm(user, meeting, match):
            raise Refused("own", _l("The other party confirms a proposed meeting."))
        _check_open(meeting.introduction)
        slot = next((s for s in meeting.slots if str(s.id) == str(slot_id)), None)
        if slot is None:
            raise Refused("invalid", _l("Choose one of the proposed times."), field="slot_id")
        meeting.status, meeting.confirmed_slot_id = "confirmed", slot.id
        meeting.confirmed_by_id, meeting.confirmed_at = user.id, utcnow()
        meeting.updated_at = utcnow()
        session.add(meeting)
        sides = [match.product.organisation_id, match.request.organisation_id]
        notifications.notify(session, users=notifications.members(session, sides),
                             kind="meeting_confirmed", match=match, actor_id=user.id,
                             params={"other": _org_name(user),
                                     "when": timezones.aware(slot.starts_at).isoformat()})
        if curation.stage_of(meeting.introduction) is Stage.ACCEPTED:
            curation.move(session, match_id=match.id, user_id=user.id, action="meeting")
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return meeting


def cancel(session: Session, *, meeting_id: int, user_id: int) -> Meeting:
    user = session.get(User, user_id)
    with transaction(session):
        meeting, match = _load(session, meeting_id, user, lock=True)
        if meeting.status == "cancelled":
            raise Refused("stage", _l("This meeting is already cancelled."))
        _check_open(meeting.introduction)
        meeting.status, meeting.updated_at = "cancelled", utcnow()
        session.add(meeting)
        sides = [match.product.organisation_id, match.request.organisation_id]
        notifications.notify(session, users=notifications.members(session, sides), kind="meeting_cancelled",
                             params={"other": _org_name(user)}, match=match, actor_id=user.id)
    return meeting


def meetings_of(session: Session, introduction_id: int) -> list[Meeting]:
    return list(session.exec(select(Meeting).where(Meeting.introduction_id == introduction_id)
                             .order_by(Meeting.created_at.desc(), Meeting.id.desc())))


def confirmed_slot(meeting: Meeting) -> Optional[MeetingSlot]:
    return next((s for s in meeting.slots if s.id == meeting.confirmed_slot_id), None)


def ics(session: Session, *, meeting_id: int, user_id: int, base_url: str) -> bytes:
    """The confirmed meeting as an iCalendar invitation: times in UTC, the two companies' contacts."""
    user = session.get(User, user_id)
    meeting, match = _load(session, meeting_id, user)
    slot = confirmed_slot(meeting)
    if meeting.status != "confirmed" or slot is None:
        raise Refused("stage", _l("Only a confirmed meeting can be added to a calendar."))
    supplier, buyer = match.product.organisation, match.request.organisation
    proposer = meeting_proposer(meeting)
    buyer_proposed = proposer is not None and proposer.organisation_id == buyer.id
    organiser, attendee = (buyer, supplier) if buyer_proposed else (supplier, buyer)
    starts = timezones.aware(slot.starts_at).astimezone(timezone.utc)
    link = f"{base_url.rstrip('/')}/matches/{match.id}"
    calendar = Calendar()
    calendar.add("prodid", "-//ID-KZ Matchmaker//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = base_url.split("//", 1)[-1].split("/", 1)[0] or "matchmaker"
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", timezones.aware(meeting.confirmed_at or meeting.created_at).astimezone(timezone.utc))
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{supplier.name} ⇄ {buyer.name}")
    description = f"{match.product.title} ⇄ {match.request.title}\n{link}"
    if meeting.note:
        description += f"\n\n{meeting.note}"
    event.add("description", description)
    event.add("url", link)
    if meeting.where:
        event.add("location", meeting.where)
    event["organizer"] = _address(organiser)
    for org in (organiser, attendee):
        event.add("attendee", _address(org), encode=0)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def _address(org) -> vCalAddress:
    address = vCalAddress(f"mailto:{org.contact_email or 'noreply@invalid'}")
    address.params["cn"] = vText(org.contact_person or org.name)
    return address
