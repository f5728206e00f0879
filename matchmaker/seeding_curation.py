"""Load the demo queue in ``seeds/curation.json``: requests, introductions and outcomes on computed matches.

Runs after the matches are computed (``matchmaker init`` and ``matchmaker seed``). Every step goes
through :func:`matchmaker.services.curation.move` as the demo user it names, so the stages, the frozen
explanations and the audit history are exactly what the interface would have made; then the step's
timestamps (and its audit event) are moved back by ``days_ago`` so the dashboard's "median time from
proposal to introduction" and the queue's ages read like months of work.

Keyed on the pair (product title, request title): a pair that already has an introduction is left
alone, so loading twice duplicates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

from sqlmodel import Session, col, func, select, update

from matchmaker.db import transaction
from matchmaker.models import (AuditEvent, BuyingRequest, Introduction, Match, Notification, ProductProfile, User,
                               utcnow)
from matchmaker.seeding import SEEDS_DIR
from matchmaker.services import audit, curation

TIMESTAMPS = ("requested_at", "introduced_at", "supplier_accepted_at", "buyer_accepted_at", "accepted_at",
              "closed_at")


@dataclass
class QueueLoad:
    created: int = 0
    kept: int = 0                                   # already there from an earlier load
    missing: list[str] = field(default_factory=list)  # pairs the engine did not propose

    def as_dict(self) -> dict[str, int]:
        return {"introductions": self.created, "already there": self.kept, "pairs not found": len(self.missing)}


def load_demo_queue(session: Session, *, seeds_dir: Path = SEEDS_DIR, now: Optional[datetime] = None) -> QueueLoad:
    path = seeds_dir / "curation.json"
    result = QueueLoad()
    if not path.exists():
        return result
    entries = json.loads(path.read_text(encoding="utf-8"))["introductions"]
    now = now or utcnow()
    users = {u.email: u for u in session.exec(select(User)).all()}
    for entry in entries:
        pair = f"{entry['product']} ⇄ {entry['request']}"
        match = _find_match(session, entry["product"], entry["request"])
        if match is None:
            result.missing.append(pair)
            continue
        if curation.introduction_for(session, match.id) is not None:
            result.kept += 1
            continue
        _play(session, match, entry, users, now)
        result.created += 1
    return result


def _find_match(session: Session, product_title: str, request_title: str) -> Optional[Match]:
    statement = (select(Match)
                 .join(ProductProfile, Match.product_id == ProductProfile.id)
                 .join(BuyingRequest, Match.request_id == BuyingRequest.id)
                 .where(ProductProfile.title == product_title, BuyingRequest.title == request_title)
                 .order_by(Match.id))
    return session.exec(statement).first()


def _play(session: Session, match: Match, entry: dict, users: dict[str, User], now: datetime) -> None:
    proposed = now - timedelta(days=entry.get("proposed_days_ago", 0))
    with transaction(session):
        match.created_at = proposed
        session.add(match)
    for step in entry["steps"]:
        at = now - timedelta(days=step["days_ago"])
        deal_date = (now - timedelta(days=step["deal_days_ago"])).date() if "deal_days_ago" in step else None
        existing = curation.introduction_for(session, match.id)
        before = _times(existing)
        last_notification = session.exec(select(func.max(Notification.id))).one() or 0
        introduction = curation.move(
            session, match_id=match.id, user_id=users[step["by"]].id, action=step["action"],
            note=step.get("note", ""), reason=step.get("reason"), deal_value_usd=step.get("deal_value_usd"),
            deal_date=deal_date, today=now.date())
        _backdate(session, introduction, before, at, proposed if existing is None else None)
        # The parties were told when the step happened, not when the demo was loaded: a notification
        # list where everything is "just now" tells a new user nothing about the pipeline's pace.
        with transaction(session):
            session.exec(update(Notification).where(col(Notification.id) > last_notification)
                         .values(created_at=at))


def _times(introduction: Optional[Introduction]) -> dict[str, Optional[datetime]]:
    return {name: getattr(introduction, name, None) for name in TIMESTAMPS}


def _backdate(session: Session, introduction: Introduction, before: dict, at: datetime,
              proposed: Optional[datetime]) -> None:
    """Move what the step just stamped (its timestamps, its audit event) back to ``at``; ``proposed``
    when the step opened the introduction."""
    with transaction(session):
        for name, value in _times(introduction).items():
            if value is not None and value != before[name]:
                setattr(introduction, name, at)
        if proposed is not None:
            introduction.created_at, introduction.proposed_at = at, proposed
        introduction.updated_at = at
        session.add(introduction)
        session.flush()
        event = session.exec(select(AuditEvent)
                             .where(AuditEvent.entity_type == "introduction", AuditEvent.entity_id == introduction.id)
                             .order_by(col(AuditEvent.id).desc())).first()
        if event is not None:  # the history says when it happened and what it looked like then
            event.created_at, event.after = at, audit.snapshot(introduction)
            session.add(event)

