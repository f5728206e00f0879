"""The catalogue change log: which published items changed, in commit order.

Every write path that changes a fact the engine reads (an item's text, HS code, certificates,
quantities or status; its organisation's country or kind) calls :func:`record` inside its own
transaction. Consumers (the matching job, each process's search index) read :func:`since` their
own position and keep up by deltas; none of them runs inside the save.

Commit order matters: a reader that has applied everything up to ``seq`` N must never later find a
change N-1 committed after it looked. PostgreSQL hands out sequence numbers before commit, so writers
of the log take one transaction-scoped advisory lock first (saves are rare, a human's pace, so
serialising them costs nothing); SQLite has a single writer anyway.

After a commit that recorded changes, :data:`catalogue_changed` is sent (sender: the engine), so the
matching scheduler can start work without the write paths knowing about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from blinker import Namespace
from sqlalchemy import event, insert, text
from sqlmodel import Session, func, select

from matchmaker.models import CatalogueChange, DerivedPosition, utcnow

SIDES = ("products", "requests")
_LOCK_KEY = 0x6D6174636865  # the advisory lock that orders log writers ("matche")
_PENDING = "catalogue_changes_pending"

catalogue_changed = Namespace().signal("catalogue-changed")


@dataclass
class Changed:
    """The items changed after one position and up to another (``upto``), by side."""

    products: set[int] = field(default_factory=set)
    requests: set[int] = field(default_factory=set)
    upto: int = 0

    def __bool__(self) -> bool:
        return bool(self.products or self.requests)


def record(session: Session, *, products: Iterable[int] = (), requests: Iterable[int] = ()) -> None:
    """Log these items (ids) as changed, in the caller's open transaction; they commit or roll back
    with the change itself. Items must have ids (flush first)."""
    now = utcnow()
    rows = [{"side": "products", "item_id": i, "at": now} for i in sorted(set(products))]
    rows += [{"side": "requests", "item_id": i, "at": now} for i in sorted(set(requests))]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_LOCK_KEY))
    # One multi-row INSERT, not an ORM object per row: a bulk import logs 100,000 items at once.
    session.execute(insert(CatalogueChange), rows)
    session.info[_PENDING] = True


def latest(session: Session) -> int:
    """The newest position of the log (0 when it is empty)."""
    return session.exec(select(func.coalesce(func.max(CatalogueChange.seq), 0))).one()


def earliest(session: Session) -> int:
    """The oldest position still in the log (0 when it is empty): rows before it were pruned."""
    return session.exec(select(func.coalesce(func.min(CatalogueChange.seq), 0))).one()


def since(session: Session, after: int, *, upto: int | None = None) -> Changed:
    """What changed after position ``after`` (up to ``upto``, default the newest)."""
    upto = latest(session) if upto is None else upto
    changed = Changed(upto=max(after, upto))
    rows = session.exec(select(CatalogueChange.side, CatalogueChange.item_id)
                        .where(CatalogueChange.seq > after, CatalogueChange.seq <= upto)).all()
    for side, item_id in rows:
        (changed.products if side == "products" else changed.requests).add(item_id)
    return changed


def position(session: Session, name: str) -> int:
    """How far the consumer ``name`` has got (0 before its first run)."""
    row = session.get(DerivedPosition, name)
    return row.seq if row is not None else 0


def advance(session: Session, name: str, seq: int) -> None:
    """Move the consumer ``name`` to ``seq`` in the caller's transaction (never backwards)."""
    row = session.get(DerivedPosition, name)
    if row is None:
        session.add(DerivedPosition(name=name, seq=seq))
    elif seq > row.seq:
        row.seq, row.updated_at = seq, utcnow()
        session.add(row)


@event.listens_for(Session, "after_commit")
def _announce(session) -> None:
    if session.info.pop(_PENDING, False):
        catalogue_changed.send(session.get_bind())


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_PENDING, None)
