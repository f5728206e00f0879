"""The audit trail: every state change records who did it and the record before and after."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlmodel import Session, SQLModel

from matchmaker.models import AuditEvent, User


def snapshot(record: Optional[SQLModel], *, exclude: frozenset[str] = frozenset({"password_hash"})) -> Optional[dict]:
    if record is None:
        return None
    data = {}
    for key, value in record.model_dump().items():
        if key in exclude:
            continue
        data[key] = _iso(value) if isinstance(value, (date, datetime)) else value
    return data


def _iso(value: date | datetime) -> str:
    # Times are stored in UTC, but SQLite hands them back without a zone: written the same way, an
    # event's "before" (read from the database) equals the previous event's "after" (from memory).
    if isinstance(value, datetime):
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value.isoformat()


def record(session: Session, *, actor: Optional[User], action: str, entity: SQLModel,
           before: Optional[dict[str, Any]] = None, reason: Optional[dict[str, Any]] = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits both together).

    ``reason`` says why when the platform made the change itself, e.g. ``{"code": "identity_changed",
    "fields": ["name"]}`` for a verification withdrawn after an organisation renamed itself.
    """
    session.flush()  # so a new entity has its id
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=entity.__tablename__,
        entity_id=getattr(entity, "id", None),
        before=before,
        after=snapshot(entity),
        reason=reason,
    )
    session.add(event)
    return event
