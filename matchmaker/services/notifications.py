"""Who is told what: in-app notifications and emails, on the curation and verification signals.

The receivers run inside the sender's transaction (see :mod:`matchmaker.signals`), so a notification and
its email commit or roll back with the move that caused them. A notification stores a kind and plain
parameters and is written as a sentence when it is read, in the reader's language of the moment; an
email is written once, when queued, in its recipient's language (``User.locale``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Iterable, Optional

from babel.dates import format_datetime
from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale, gettext
from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker import timezones
from matchmaker.countries import country_name
from matchmaker.models import Introduction, Match, Notification, Organisation, User, utcnow
from matchmaker.services import outbox
from matchmaker.signals import introduction_moved, verification_changed
from matchmaker.stages import DECLINE_REASON_LABELS, PROGRESS, DeclineReason, Stage
from matchmaker.vocabulary import INTERFACE_LOCALES, N_

log = logging.getLogger(__name__)

TEXTS = {
    "requested": N_("%(org)s asked for an introduction: “%(product)s” for “%(request)s”."),
    "introduced": N_("A chamber curator introduced you to %(other)s. Read their profile, then accept or "
                     "decline the introduction."),
    "accepted_by_other": N_("%(other)s accepted the introduction; your answer is awaited."),
    "accepted_both": N_("You and %(other)s have both accepted: each of you now sees the other's contact "
                        "details."),
    "declined": N_("The chamber did not introduce “%(product)s” and “%(request)s”: %(reason)s."),
    "rejected": N_("%(other)s declined the introduction."),
    "stage": N_("“%(product)s” and “%(request)s” moved to the stage “%(stage)s”."),
    "meeting_proposed": N_("%(other)s proposed a meeting; choose one of the times."),
    "meeting_confirmed": N_("The meeting with %(other)s is confirmed for %(when)s."),
    "meeting_cancelled": N_("The meeting with %(other)s was cancelled."),
    "organisation_verified": N_("A chamber curator verified your organisation."),
    "organisation_withdrawn": N_("The verification of your organisation was withdrawn."),
    "certificate_verified": N_("A chamber curator verified your certificate %(name)s."),
    "certificate_withdrawn": N_("The verification of your certificate %(name)s was withdrawn."),
    "certificate_expired": N_("Your certificate %(name)s has expired and no longer counts as verified."),
}
FALLBACK = N_("Something changed on the platform for you.")
# Kinds whose email carries the other party's profile and the explanation the curator acted on.
WITH_PROFILE = {"introduced", "accepted_both", "requested"}


# --- reading -------------------------------------------------------------------------------------

def render(notification: Notification, reader: Optional[User] = None) -> str:
    """The sentence, in the current locale (a page's, or the one forced for an email)."""
    params = dict(notification.params or {})
    text = TEXTS.get(notification.kind)
    if text is None:
        return gettext(FALLBACK)
    if "stage" in params:
        params["stage"] = Stage(params["stage"]).label
    if "reason" in params:
        try:
            params["reason"] = str(DECLINE_REASON_LABELS[DeclineReason(params["reason"])])
        except ValueError:
            pass
    if "when" in params:
        params["when"] = format_when(datetime.fromisoformat(params["when"]), timezones.for_user(reader))
    params.setdefault("name", "")
    try:
        return gettext(text, **params)
    except (KeyError, ValueError, TypeError):
        return gettext(FALLBACK)


def format_when(when: datetime, zone_key: str) -> str:
    local = timezones.aware(when).astimezone(timezones.zone(zone_key))
    shown = format_datetime(local, "EEE d MMM y, HH:mm", tzinfo=timezones.zone(zone_key), locale=str(get_locale()))
    return f"{shown} {timezones.short_name(zone_key)} ({timezones.offset_label(zone_key, local)})"


def unread_count(session: Session, user_id: int) -> int:
    """One indexed count (user_id, read_at): cheap enough for every page's navigation."""
    return session.exec(select(func.count()).select_from(Notification)
                        .where(Notification.user_id == user_id, Notification.read_at.is_(None))).one()


def for_user(session: Session, user_id: int, *, limit: int = 50, offset: int = 0) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.user_id == user_id)
                             .order_by(Notification.created_at.desc(), Notification.id.desc())
                             .offset(offset).limit(limit)))


def mark_read(session: Session, *, user_id: int, notification_id: Optional[int] = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    query = select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    now, changed = utcnow(), 0
    for notification in session.exec(query):
        notification.read_at = now
        session.add(notification)
        changed += 1
    return changed


# --- telling -------------------------------------------------------------------------------------

def members(session: Session, organisation_ids: Iterable[int]) -> list[User]:
    ids = [i for i in organisation_ids if i is not None]
    if not ids:
        return []
    return list(session.exec(select(User).where(User.organisation_id.in_(ids), User.active.is_(True))
                             .order_by(User.id)))


def curators_of(session: Session, countries: Iterable[str]) -> list[User]:
    return list(session.exec(select(User).join(Organisation, User.organisation_id == Organisation.id)
                             .where(User.role == "curator", User.active.is_(True),
                                    Organisation.country.in_(list(set(countries))))
                             .order_by(User.id)))


def notify(session: Session, *, users: Iterable[User], kind: str, params: dict, match: Optional[Match] = None,
           organisation_id: Optional[int] = None, actor_id: Optional[int] = None,
           introduction: Optional[Introduction] = None, email: bool = True) -> list[Notification]:
    """A notification and (when asked) an email for each user but the actor. For a match, ``other`` is
    the opposite party's name for each reader who works for a party."""
    made, seen = [], set()
    for user in users:
        if user.id == actor_id or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        own = dict(params)
        other = _other_party(match, user) if match is not None else None
        if other is not None and "other" not in params:
            own["other"] = other.name
        notification = Notification(user_id=user.id, kind=kind, match_id=match.id if match else None,
                                    organisation_id=organisation_id, params=own)
        session.add(notification)
        made.append(notification)
        if email and has_app_context():
            try:
                _queue_email(session, user, notification, match=match, other=other, introduction=introduction)
            except Exception:  # a wording bug must not undo the move; the bell still tells them
                log.exception("email %s for user %s could not be written", kind, user.id)
        elif email:  # a script without the app: the bell still tells them
            log.warning("no app context: notification %s for user %s has no email", kind, user.id)
    return made


def _other_party(match: Match, user: User) -> Optional[Organisation]:
    supplier, buyer = match.product.organisation, match.request.organisation
    if user.organisation_id == supplier.id:
        return buyer
    if user.organisation_id == buyer.id:
        return supplier
    return None


def _queue_email(session: Session, user: User, notification: Notification, *, match, other,
                 introduction) -> None:
    from matchmaker.templating import explain_detail  # the engine's vocabulary loads on first use

    locale = user.locale if user.locale in INTERFACE_LOCALES else "en"
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    link = f"{base}/matches/{match.id}" if match is not None else f"{base}/notifications"
    with force_locale(locale):
        text = render(notification, user)
        context = dict(text=text, link=link, user=user, match=match, locale=locale,
                       other=other if notification.kind in WITH_PROFILE else None,
                       other_item=_other_item(match, other) if other is not None else None,
                       explanation=(introduction.explanation if introduction is not None
                                    and notification.kind in WITH_PROFILE else None),
                       contacts=notification.kind == "accepted_both" and other is not None,
                       country_name=country_name, explain_detail=explain_detail,
                       times=[format_when(datetime.fromisoformat(t), timezones.for_user(user))
                              for t in notification.params.get("times", [])])
        env = current_app.jinja_env
        subject = gettext("ID ⇄ KZ Matchmaker: %(text)s", text=text)
        body_text = env.get_template("mail/notification.txt").render(**context)
        body_html = env.get_template("mail/notification.html").render(**context)
    outbox.queue(session, user=user, subject=subject[:300], body_text=body_text, body_html=body_html,
                 locale=locale)


def _other_item(match: Match, other: Organisation):
    return match.product if match.product.organisation_id == other.id else match.request


# --- the signals ---------------------------------------------------------------------------------

def on_introduction_moved(session: Session, *, introduction: Introduction, action: str,
                          actor_id: Optional[int] = None, before: Optional[str] = None, **_) -> None:
    match = session.get(Match, introduction.match_id)
    supplier, buyer = match.product.organisation, match.request.organisation
    actor = session.get(User, actor_id) if actor_id else None
    params = {"product": match.product.title, "request": match.request.title}
    parties = members(session, (supplier.id, buyer.id))
    curator = [session.get(User, introduction.curator_id)] if introduction.curator_id else []
    tell = dict(session=session, match=match, actor_id=actor_id, introduction=introduction)
    if action == "request":
        org = actor.organisation.name if actor and actor.organisation else ""
        notify(users=curators_of(session, (supplier.country, buyer.country)), kind="requested",
               params={**params, "org": org}, **tell)
    elif action == "introduce":
        notify(users=parties, kind="introduced", params=params, **tell)
    elif action == "accept":
        if introduction.stage == Stage.ACCEPTED.value:  # both are told, the one who accepted last too
            notify(users=parties, kind="accepted_both", params=params, **{**tell, "actor_id": None})
        else:
            acting_side = actor.organisation_id if actor else None
            notify(users=[u for u in parties if u.organisation_id != acting_side], kind="accepted_by_other",
                   params=params, **tell)
    elif action == "decline":
        reason = introduction.decline_reason or "other"
        notify(users=parties, kind="declined", params={**params, "reason": reason}, **tell)
    elif action == "reject":
        org = actor.organisation.name if actor and actor.organisation else ""
        others = [u for u in parties if actor is None or u.organisation_id != actor.organisation_id]
        notify(users=others + curator, kind="rejected", params={**params, "other": org}, **tell)
    elif action in {stage.value for stage in PROGRESS}:
        notify(users=parties + curator, kind="stage", params={**params, "stage": introduction.stage}, **tell)


def on_verification_changed(session: Session, *, organisation_id: int, what: str, event: str,
                            actor_id: Optional[int] = None, detail: Optional[dict] = None, **_) -> None:
    detail = detail or {}
    name = " ".join(str(detail.get(key)) for key in ("name", "issuer", "number") if detail.get(key))
    kind = f"{what}_{event}"
    notify(session, users=members(session, [organisation_id]), kind=kind if kind in TEXTS else "changed",
           params={"name": name} if what == "certificate" else {}, organisation_id=organisation_id,
           actor_id=actor_id)


def connect() -> None:
    """Subscribe once per process (blinker keeps one entry per receiver, so a second call is a no-op)."""
    introduction_moved.connect(on_introduction_moved, weak=False)
    verification_changed.connect(on_verification_changed, weak=False)
