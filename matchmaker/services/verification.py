"""Verification with evidence: a curator checks an organisation's registration number and each of its
certificates, and the pages say who checked what and when.

- An organisation is verified with its registration number — NIB in Indonesia (13 digits), BIN in
  Kazakhstan (12 digits, the last a control digit) — and a note on what was checked.
- A curator verifies organisations of their chamber's country; admins any. Nobody but an admin grants
  or withdraws the verification of the curator's own chamber.
- Members add their organisation's certificates (kind, issuer, number, expiry); a curator verifies each.
  An expired certificate no longer counts as verified; ``expire_certificates`` (the daily
  ``matchmaker certificates expire``) records each expiry once and tells its owner.

Every change is audited and sends ``signals.verification_changed`` inside its transaction (notifications
listen; this module never imports them). Functions take ids and plain values, so a view, a job or an
API call them alike; refusals are :class:`~matchmaker.services.curation.Refused`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from matchmaker.db import transaction
from matchmaker.models import Certificate, Organisation, User, utcnow
from matchmaker.schemas import has_markup
from matchmaker.services import audit
from matchmaker.services.curation import Refused
from matchmaker.services.editing import edit
from matchmaker.signals import verification_changed
from matchmaker.vocabulary import CERTIFICATIONS

NOTE_MAX = 2000
ISSUER_MAX = 200
NUMBER_MAX = 100
_SEPARATORS = re.compile(r"[\s.\-/]+")
_OTHER_NUMBER = re.compile(r"^[A-Z0-9]{3,30}$")

# The registration number's name in each country (shown on badges: "NIB 9120001234567").
NUMBER_NAMES = {"ID": "NIB", "KZ": "BIN"}

VERIFIED, PENDING, EXPIRED = "verified", "pending", "expired"


def today_utc() -> date:
    return utcnow().date()


# --- registration numbers -------------------------------------------------------------------------

def bin_check_digit(first_eleven: str) -> Optional[int]:
    """The control digit of a Kazakh BIN/IIN (the official algorithm): the digits weighted 1..11, sum
    mod 11; if that is 10, weighted 3..11, 1, 2 instead; 10 again means no number has these digits.

    >>> bin_check_digit("08114000043")  # Samruk-Kazyna's BIN is 081140000436
    6
    >>> bin_check_digit("12345678901")  # 10 on the first weights, 3 on the second
    3
    """
    digits = [int(d) for d in first_eleven]
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        remainder = sum(d * w for d, w in zip(digits, weights)) % 11
        if remainder != 10:
            return remainder
    return None


def is_valid_bin(value: str) -> bool:
    """Twelve digits whose last is the control digit of the first eleven.

    >>> is_valid_bin("081140000436"), is_valid_bin("081140000437"), is_valid_bin("12345")
    (True, False, False)
    """
    return len(value) == 12 and value.isdigit() and bin_check_digit(value[:11]) == int(value[11])


def clean_registration_number(country: str, value: Optional[str]) -> str:
    """The number as stored (digits only for NIB and BIN), or :class:`Refused` saying what is wrong."""
    number = _SEPARATORS.sub("", (value or "").strip()).upper()
    if not number:
        raise Refused("invalid", _l("Give the organisation's registration number."), field="registration_number")
    if country == "ID":
        if not (len(number) == 13 and number.isdigit()):
            raise Refused("invalid", _l("An Indonesian NIB has 13 digits."), field="registration_number")
    elif country == "KZ":
        if not (len(number) == 12 and number.isdigit()):
            raise Refused("invalid", _l("A Kazakh BIN has 12 digits."), field="registration_number")
        if not is_valid_bin(number):
            raise Refused("invalid", _l("This is not a valid BIN: its control digit does not match. Check "
                                        "the number on the registration certificate."),
                          field="registration_number")
    elif not _OTHER_NUMBER.match(number):
        raise Refused("invalid", _l("Give the registration number: 3 to 30 letters and digits."),
                      field="registration_number")
    return number


def _note(value: Optional[str], *, required: bool) -> str:
    note = (value or "").strip()
    if required and not note:
        raise Refused("invalid", _l("Say what you checked (or why), for the next curator."), field="note")
    if len(note) > NOTE_MAX:
        raise Refused("invalid", _l("Keep the note under %(n)s characters.", n=NOTE_MAX), field="note")
    if has_markup(note):
        raise Refused("invalid", _l("Plain text only: remove the HTML tags."), field="note")
    return note


# --- who may verify -------------------------------------------------------------------------------

def refusal(user: Optional[User], organisation: Organisation) -> Optional[Refused]:
    """Why this user may not grant or withdraw this organisation's verification (or its certificates'),
    or None when they may."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_curator:
        return Refused("forbidden", _l("Only chamber curators verify organisations."))
    if user.is_admin:
        return None
    if organisation.id == user.organisation_id:
        return Refused("forbidden", _l("Only an administrator can grant or withdraw your own chamber's "
                                       "verification."))
    chamber = user.organisation
    if chamber is None or chamber.country != organisation.country:
        return Refused("forbidden", _l("Curators verify organisations of their own chamber's country."))
    return None


def may_verify(user: Optional[User], organisation: Organisation) -> bool:
    return refusal(user, organisation) is None


def _curator(session: Session, user_id: int, organisation: Organisation) -> User:
    user = session.get(User, user_id)
    problem = refusal(user, organisation)
    if problem is not None:
        raise problem
    return user


def _organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise Refused("forbidden", _l("This organisation does not exist."))
    return organisation


def _send(session: Session, organisation_id: int, what: str, event: str, actor_id: Optional[int],
          **detail) -> None:
    verification_changed.send(session, organisation_id=organisation_id, what=what, event=event,
                              actor_id=actor_id, detail=detail)


# --- organisations --------------------------------------------------------------------------------

def verify_organisation(session: Session, *, organisation_id: int, user_id: int, registration_number: str,
                        note: str) -> Organisation:
    """Mark the organisation verified on the evidence of its registration number, and say who did."""
    organisation = _organisation(session, organisation_id)
    user = _curator(session, user_id, organisation)
    number = clean_registration_number(organisation.country, registration_number)
    note = _note(note, required=True)
    with edit(session, organisation) as before:
        organisation.verified = True
        organisation.verified_by_id, organisation.verified_at = user.id, utcnow()
        organisation.registration_number, organisation.verification_note = number, note
        session.add(organisation)
        audit.record(session, actor=user, action="verify", entity=organisation, before=before)
        _send(session, organisation.id, "organisation", "verified", user.id, registration_number=number)
    return organisation


def withdraw_organisation(session: Session, *, organisation_id: int, user_id: int, note: str) -> Organisation:
    """Withdraw the organisation's verification, saying why (the number stays on record)."""
    organisation = _organisation(session, organisation_id)
    user = _curator(session, user_id, organisation)
    note = _note(note, required=True)
    if not organisation.verified:
        raise Refused("stage", _l("This organisation is not verified."))
    with edit(session, organisation) as before:
        organisation.verified = False
        organisation.verified_by_id = organisation.verified_at = None
        organisation.verification_note = note
        session.add(organisation)
        audit.record(session, actor=user, action="unverify", entity=organisation, before=before)
        _send(session, organisation.id, "organisation", "withdrawn", user.id, note=note)
    return organisation


# --- certificates ---------------------------------------------------------------------------------

def status(certificate: Certificate, today: Optional[date] = None) -> str:
    """"expired" once past its expiry date (whoever verified it), else "verified" or "pending"."""
    today = today or today_utc()
    if certificate.expires_on is not None and certificate.expires_on < today:
        return EXPIRED
    return VERIFIED if certificate.verified_at is not None else PENDING


def for_organisation(session: Session, organisation_id: int) -> list[Certificate]:
    return list(session.exec(select(Certificate).where(Certificate.organisation_id == organisation_id)
                             .order_by(Certificate.kind, Certificate.id)).all())


def counts_as_verified(session: Session, organisation_id: int, kind: str, today: Optional[date] = None) -> bool:
    return any(c.kind == kind and status(c, today) == VERIFIED for c in for_organisation(session, organisation_id))


def _text(value: Optional[str], field: str, limit: int, message) -> str:
    text = (value or "").strip()
    if not text:
        raise Refused("invalid", message, field=field)
    if len(text) > limit:
        raise Refused("invalid", _l("At most %(n)s characters.", n=limit), field=field)
    if has_markup(text):
        raise Refused("invalid", _l("Plain text only: remove the HTML tags."), field=field)
    return text


def add_certificate(session: Session, *, organisation_id: int, user_id: int, kind: str, issuer: str,
                    number: str, expires_on: Optional[date], today: Optional[date] = None) -> Certificate:
    """A member records one of their organisation's certificates; it waits for a curator's check."""
    organisation = _organisation(session, organisation_id)
    user = session.get(User, user_id)
    if user is None or user.organisation_id != organisation.id:
        raise Refused("forbidden", _l("Only the organisation's members add its certificates."))
    if kind not in CERTIFICATIONS:
        raise Refused("invalid", _l("Choose a certificate from the list."), field="kind")
    issuer = _text(issuer, "issuer", ISSUER_MAX, _l("Say who issued the certificate."))
    number = _text(number, "number", NUMBER_MAX, _l("Give the certificate's number."))
    if expires_on is not None and expires_on < (today or today_utc()):
        raise Refused("invalid", _l("This certificate has already expired."), field="expires_on")
    certificate = Certificate(organisation_id=organisation.id, kind=kind, issuer=issuer, number=number,
                              expires_on=expires_on)
    with transaction(session):
        session.add(certificate)
        audit.record(session, actor=user, action="create", entity=certificate)
    return certificate


def _certificate(session: Session, certificate_id: int) -> Certificate:
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise Refused("forbidden", _l("This certificate does not exist."))
    return certificate


def _certificate_detail(certificate: Certificate) -> dict:
    return {"certificate_id": certificate.id, "kind": certificate.kind, "issuer": certificate.issuer,
            "number": certificate.number,
            "expires_on": certificate.expires_on.isoformat() if certificate.expires_on else None}


def verify_certificate(session: Session, *, certificate_id: int, user_id: int,
                       today: Optional[date] = None) -> Certificate:
    return _mark_certificate(session, certificate_id, user_id, verified=True, today=today)


def withdraw_certificate(session: Session, *, certificate_id: int, user_id: int) -> Certificate:
    return _mark_certificate(session, certificate_id, user_id, verified=False)


def _mark_certificate(session: Session, certificate_id: int, user_id: int, *, verified: bool,
                      today: Optional[date] = None) -> Certificate:
    certificate = _certificate(session, certificate_id)
    user = _curator(session, user_id, certificate.organisation)
    if verified and status(certificate, today) == EXPIRED:
        raise Refused("stage", _l("This certificate has expired: ask the organisation for the renewed one."))
    if not verified and certificate.verified_at is None:
        raise Refused("stage", _l("This certificate is not verified."))
    with transaction(session):
        before = audit.snapshot(certificate)
        certificate.verified_by_id, certificate.verified_at = (user.id, utcnow()) if verified else (None, None)
        session.add(certificate)
        audit.record(session, actor=user, action="verify" if verified else "unverify", entity=certificate,
                     before=before)
        _send(session, certificate.organisation_id, "certificate", "verified" if verified else "withdrawn",
              user.id, **_certificate_detail(certificate))
    return certificate


def remove_certificate(session: Session, *, certificate_id: int, user_id: int) -> None:
    """A member removes a certificate their organisation no longer holds."""
    certificate = _certificate(session, certificate_id)
    user = session.get(User, user_id)
    if user is None or user.organisation_id != certificate.organisation_id:
        raise Refused("forbidden", _l("Only the organisation's members remove its certificates."))
    with transaction(session):
        before = audit.snapshot(certificate)
        audit.record(session, actor=user, action="delete", entity=certificate, before=before)
        if certificate.verified_at is not None:
            _send(session, certificate.organisation_id, "certificate", "withdrawn", user.id,
                  **_certificate_detail(certificate))
        session.delete(certificate)


def expire_certificates(session: Session, *, today: Optional[date] = None) -> list[int]:
    """Record, once, each certificate whose expiry date has passed, and tell its owner (the signal).
    Returns the ids newly recorded; running it twice on one day records nothing the second time."""
    today = today or today_utc()
    with transaction(session):
        due = session.exec(select(Certificate)
                           .where(col(Certificate.expires_on) < today, col(Certificate.expiry_recorded_at).is_(None))
                           .order_by(Certificate.id).with_for_update(skip_locked=True)).all()
        for certificate in due:
            before = audit.snapshot(certificate)
            certificate.expiry_recorded_at = utcnow()
            session.add(certificate)
            audit.record(session, actor=None, action="expire", entity=certificate, before=before)
            _send(session, certificate.organisation_id, "certificate", "expired", None,
                  was_verified=certificate.verified_at is not None, **_certificate_detail(certificate))
        return [c.id for c in due]
