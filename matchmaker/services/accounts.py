"""Registration, authentication and user administration."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Session, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.db import transaction
from matchmaker.models import Organisation, User
from matchmaker.schemas import OrganisationIn
from matchmaker.services import audit

ROLES = ("member", "curator", "admin")
# Hashing an unknown email's password too keeps the login time the same for known and unknown emails.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class EmailTaken(ValueError):
    pass


class AccountDeactivated(Exception):
    """The email and password are right, but an administrator has deactivated the account."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(session: Session, email: str) -> Optional[User]:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def authenticate(session: Session, *, email: str, password: str) -> Optional[User]:
    """The user with this email and password, or ``None``; raises :class:`AccountDeactivated` for a
    deactivated account, but only once the password has proved right.

    Every attempt checks exactly one password hash, so the answer time tells nobody whether an email
    is registered or deactivated; only the account's owner learns that it was deactivated.
    """
    user = find_user(session, email)
    password_matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not password_matches:
        return None
    if not user.active:
        raise AccountDeactivated(user.email)
    return user


def unique_slug(session: Session, name: str) -> str:
    base = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    base = "-".join(part for part in base.split("-") if part)[:60] or "organisation"
    slug, n = base, 1
    while session.exec(select(Organisation.id).where(Organisation.slug == slug)).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def register(session: Session, *, organisation: OrganisationIn, email: str, password: str, name: str = "",
             locale: str = "en") -> User:
    """Create an organisation and its first member in one transaction."""
    email = normalise_email(email)
    if find_user(session, email) is not None:
        raise EmailTaken(email)
    with transaction(session):
        org = Organisation(**organisation.model_dump(), slug=unique_slug(session, organisation.name))
        session.add(org)
        session.flush()
        user = User(email=email, name=name, password_hash=generate_password_hash(password), role="member",
                    organisation_id=org.id, locale=locale)
        session.add(user)
        audit.record(session, actor=None, action="register", entity=org)
        audit.record(session, actor=None, action="register", entity=user)
    return user


def list_users(session: Session, *, page: int = 1, page_size: int = 50) -> tuple[list[User], int]:
    total = session.exec(select(func.count()).select_from(User)).one()
    users = session.exec(select(User).order_by(User.email).offset((page - 1) * page_size).limit(page_size)).all()
    return list(users), total


def update_user(session: Session, *, actor: User, user: User, role: str, active: bool) -> User:
    if role not in ROLES:
        raise ValueError(role)
    before = audit.snapshot(user)
    with transaction(session):
        user.role = role
        user.active = active
        session.add(user)
        audit.record(session, actor=actor, action="update", entity=user, before=before)
    return user


def set_locale(session: Session, *, user: User, locale: str) -> None:
    with transaction(session):
        user.locale = locale
        session.add(user)
