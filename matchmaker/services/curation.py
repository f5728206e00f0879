"""The curation loop: from an engine's proposal to an introduction, a meeting and a deal.

Every move is one row of :data:`TRANSITIONS` (which stages it leaves from, where it goes, whose hand it
needs), carried out by :func:`move` in one transaction with an audit event (the match's history) and
the ``introduction_moved`` signal (notifications and mail listen). Functions take ids and plain values,
so a view, a job or an API call them alike.

The first person to act on a match creates its :class:`~matchmaker.models.Introduction`, with a frozen
copy of the score and explanation they saw; the engine may later recompute or forget the pair, but never
changes that row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from matchmaker.db import transaction
from matchmaker.models import Introduction, Match, User, utcnow
from matchmaker.services import audit
from matchmaker.signals import introduction_moved
from matchmaker.stages import STAGE_LABELS, Actor, DeclineReason, DismissReason, LostReason, Stage

NOTE_MAX = 2000
DEAL_VALUE_MAX = 10_000_000_000  # USD 10 bn: more than the corridor's yearly trade is a typing slip


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Stage]
    target: Stage
    actors: frozenset[Actor]


def _t(sources, target, *actors) -> Transition:
    return Transition(frozenset(sources), target, frozenset(actors))


OPEN = (Stage.PROPOSED, Stage.REQUESTED)
KNOWN = (Stage.ACCEPTED, Stage.MEETING, Stage.NEGOTIATION)

# action → where it may start, where it ends, who may do it. "accept" ends in ACCEPTED only when the
# other party has accepted too; until then the stage stays INTRODUCED.
TRANSITIONS: dict[str, Transition] = {
    "request": _t([Stage.PROPOSED], Stage.REQUESTED, Actor.PARTY),
    "dismiss": _t(OPEN, Stage.DISMISSED, Actor.PARTY),
    "introduce": _t(OPEN, Stage.INTRODUCED, Actor.CURATOR),
    "decline": _t(OPEN, Stage.DECLINED, Actor.CURATOR),
    "accept": _t([Stage.INTRODUCED], Stage.ACCEPTED, Actor.PARTY),
    "reject": _t([Stage.INTRODUCED], Stage.REJECTED, Actor.PARTY),
    "meeting": _t([Stage.ACCEPTED], Stage.MEETING, Actor.PARTY, Actor.CURATOR),
    "negotiation": _t([Stage.ACCEPTED, Stage.MEETING], Stage.NEGOTIATION, Actor.PARTY, Actor.CURATOR),
    "won": _t([Stage.MEETING, Stage.NEGOTIATION], Stage.WON, Actor.PARTY, Actor.CURATOR),
    "lost": _t(KNOWN, Stage.LOST, Actor.PARTY, Actor.CURATOR),
}


class Refused(Exception):
    """The move is not allowed: ``code`` is "forbidden" (wrong person), "stage" (not from this stage)
    or "invalid" (a field's value; ``field`` names it). ``message`` is for the user, and stays lazy
    until shown: a job outside any request is refused without translating anything."""

    def __init__(self, code: str, message, *, field: Optional[str] = None):
        super().__init__(code, message)
        self.code, self.message, self.field = code, message, field

    def __str__(self) -> str:
        return str(self.message)


# --- who is acting --------------------------------------------------------------------------------

def party_side(user: Optional[User], match: Match) -> Optional[str]:
    """"supplier" or "buyer" when the user works for one of the match's two organisations."""
    if user is None or not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return None
    if user.organisation_id == match.product.organisation_id:
        return "supplier"
    if user.organisation_id == match.request.organisation_id:
        return "buyer"
    return None


def curates(user: Optional[User], match: Match) -> bool:
    """Admins curate every match; a curator those involving a member of their chamber's country."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_curator:
        return False
    if user.is_admin:
        return True
    chamber = user.organisation
    return chamber is not None and chamber.country in (match.product.organisation.country,
                                                      match.request.organisation.country)


def _actors(user: Optional[User], match: Match) -> set[Actor]:
    actors = set()
    if party_side(user, match) is not None:
        actors.add(Actor.PARTY)
    if curates(user, match):
        actors.add(Actor.CURATOR)
    return actors


def stage_of(introduction: Optional[Introduction]) -> Stage:
    return Stage(introduction.stage) if introduction is not None else Stage.PROPOSED


def available_actions(user: Optional[User], match: Match, introduction: Optional[Introduction]) -> set[str]:
    """The moves this user may make on the match now (what the page offers; ``move`` asks the same)."""
    stage, actors = stage_of(introduction), _actors(user, match)
    allowed = {name for name, t in TRANSITIONS.items() if stage in t.sources and actors & t.actors}
    if stage is Stage.INTRODUCED and introduction is not None:
        side = party_side(user, match)
        if side is None or _accepted_by(introduction, side):
            allowed -= {"accept", "reject"}  # each party answers once
    if match.status == "proposed" and not _both_published(match):
        allowed -= {"request", "introduce"}
    return allowed


def _both_published(match: Match) -> bool:
    return match.product.status == "published" and match.request.status == "published"


def _accepted_by(introduction: Introduction, side: str) -> bool:
    return getattr(introduction, f"{side}_accepted_at") is not None


# --- the moves ------------------------------------------------------------------------------------

def introduction_for(session: Session, match_id: int) -> Optional[Introduction]:
    return session.exec(select(Introduction).where(Introduction.match_id == match_id)).first()


def request_introduction(session: Session, *, match_id: int, user_id: int, note: str = "") -> Introduction:
    return move(session, match_id=match_id, user_id=user_id, action="request", note=note)


def dismiss(session: Session, *, match_id: int, user_id: int, reason: str, note: str = "") -> Introduction:
    return move(session, match_id=match_id, user_id=user_id, action="dismiss", reason=reason, note=note)


def introduce(session: Session, *, match_id: int, user_id: int, note: str = "") -> Introduction:
    return move(session, match_id=match_id, user_id=user_id, action="introduce", note=note)


def decline(session: Session, *, match_id: int, user_id: int, reason: str, note: str = "") -> Introduction:
    return move(session, match_id=match_id, user_id=user_id, action="decline", reason=reason, note=note)


def accept(session: Session, *, match_id: int, user_id: int) -> Introduction:
    return move(session, match_id=match_id, user_id=user_id, action="accept")


def reject(session: Session, *, match_id: int, user_id: int, note: str = "") -> Introduction:
    return move(session, match_id=match_id, user_id=user_id, action="reject", note=note)


def record_progress(session: Session, *, match_id: int, user_id: int, stage: str,
                    deal_value_usd: Optional[float] = None, deal_date: Optional[date] = None,
                    reason: Optional[str] = None, note: str = "", today: Optional[date] = None) -> Introduction:
    """Meeting, negotiation, won (with the deal's value and date) or lost (with a reason)."""
    if stage not in ("meeting", "negotiation", "won", "lost"):
        raise Refused("invalid", _l("Choose meeting, negotiation, won or lost."), field="stage")
    return move(session, match_id=match_id, user_id=user_id, action=stage, reason=reason, note=note,
                deal_value_usd=deal_value_usd, deal_date=deal_date, today=today)


def move(session: Session, *, match_id: int, user_id: int, action: str, note: str = "",
         reason: Optional[str] = None, deal_value_usd: Optional[float] = None,
         deal_date: Optional[date] = None, today: Optional[date] = None) -> Introduction:
    """Carry out one transition, or raise :class:`Refused` and change nothing."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Refused("invalid", _l("Unknown action."), field="action")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Refused("invalid", _l("Keep the note under %(n)s characters.", n=NOTE_MAX), field="note")
    try:
        with transaction(session):
            match = _locked_match(session, match_id)
            user = session.get(User, user_id)
            introduction = introduction_for(session, match_id)
            stage = stage_of(introduction)
            check(user, match, introduction, action)
            if introduction is None:
                introduction = _open(session, match)
            before = audit.snapshot(introduction)
            _apply(introduction, action, transition, user, match, note=note, reason=reason,
                   deal_value_usd=deal_value_usd, deal_date=deal_date, today=today or date.today())
            introduction.updated_at = utcnow()
            match.status = "curated"  # a recompute now keeps the pair
            session.add_all([introduction, match])
            # The note goes with the event: reject and progress notes have no column of their own, and
            # the match's history shows each move with what its author wrote.
            detail = {key: value for key, value in (("code", reason), ("note", note)) if value}
            audit.record(session, actor=user, action=action, entity=introduction, before=before,
                         reason=detail or None)
            introduction_moved.send(session, introduction=introduction, action=action, actor_id=user_id,
                                    before=stage.value)
    except IntegrityError:
        # Someone else opened this match's introduction at the same instant: their move stands.
        raise Refused("stage", _l("Someone acted on this match at the same moment; reload the page.")) from None
    return introduction


def _locked_match(session: Session, match_id: int) -> Match:
    # A no-op UPDATE locks the row (PostgreSQL) or takes the write lock (SQLite), so two moves on one
    # match run one after the other and the second sees the first's stage.
    session.exec(update(Match).where(Match.id == match_id).values(status=Match.status))
    match = session.get(Match, match_id, populate_existing=True)
    if match is None:
        raise Refused("forbidden", _l("This match does not exist."))
    return match


def _open(session: Session, match: Match) -> Introduction:
    introduction = Introduction(match_id=match.id, product_id=match.product_id, request_id=match.request_id,
                                stage=Stage.PROPOSED.value, score=match.score,
                                explanation=dict(match.explanation or {}), proposed_at=match.created_at,
                                weights_version=getattr(match, "weights_version", None))
    session.add(introduction)
    session.flush()
    return introduction


def _apply(introduction: Introduction, action: str, transition: Transition, user: User, match: Match, *,
           note: str, reason: Optional[str], deal_value_usd, deal_date, today: date) -> None:
    now = utcnow()
    target = transition.target
    if action == "request":
        introduction.requested_by_id, introduction.requested_at, introduction.request_note = user.id, now, note
    elif action == "dismiss":
        introduction.dismiss_reason = _reason(DismissReason, reason)
        introduction.requested_by_id, introduction.request_note = user.id, note
    elif action == "introduce":
        introduction.curator_id, introduction.curator_note, introduction.introduced_at = user.id, note, now
    elif action == "decline":
        introduction.decline_reason = _reason(DeclineReason, reason)
        introduction.curator_id, introduction.curator_note = user.id, note
    elif action == "accept":
        setattr(introduction, f"{party_side(user, match)}_accepted_at", now)
        if not (introduction.supplier_accepted_at and introduction.buyer_accepted_at):
            target = Stage.INTRODUCED  # waiting for the other party
        else:
            introduction.accepted_at = now
    elif action == "won":
        introduction.deal_value_usd = _deal_value(deal_value_usd)
        introduction.deal_date = _deal_date(deal_date, today)
    elif action == "lost":
        introduction.lost_reason = _reason(LostReason, reason)
    if target.is_closed:
        introduction.closed_at = now
    introduction.stage = target.value


def _reason(choices, value: Optional[str]) -> str:
    try:
        return choices(value).value
    except ValueError:
        raise Refused("invalid", _l("Choose a reason."), field="reason") from None


def _deal_value(value) -> float:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise Refused("invalid", _l("Enter the deal's value in US dollars."), field="deal_value_usd") from None
    if not 0 < amount <= DEAL_VALUE_MAX:  # also refuses NaN
        raise Refused("invalid", _l("Enter a deal value above zero and at most USD 10 billion."),
                      field="deal_value_usd")
    return round(amount, 2)


def _deal_date(value, today: date) -> date:
    if not isinstance(value, date):
        raise Refused("invalid", _l("Enter the date the deal was signed."), field="deal_date")
    if value > today:
        raise Refused("invalid", _l("A won deal's date cannot be in the future."), field="deal_date")
    return value


def check(user: Optional[User], match: Match, introduction: Optional[Introduction], action: str) -> None:
    """Raise :class:`Refused` ("forbidden" or "stage") as :func:`move` would, before any field is read:
    a view answers 403 or 409 for the person and the stage, and only then looks at what was typed."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Refused("invalid", _l("Unknown action."), field="action")
    if not _actors(user, match) & transition.actors:
        raise Refused("forbidden", _l("You may not do this on this match."))
    if action not in available_actions(user, match, introduction):
        if stage_of(introduction) in transition.sources:  # e.g. a second "accept" from the same party
            raise Refused("stage", _l("You have already answered this introduction."))
        raise Refused("stage", _l("This match is at the stage “%(stage)s”; that step is not "
                                  "possible from there.", stage=STAGE_LABELS[stage_of(introduction)]))
